"""The served index: the current version's reader and models, switched without a restart.

`LiveIndex.snapshot()` is cheap: it looks at the published version at most every
`CHECK_EVERY_S` seconds and, when a newer version appeared, opens it and swaps it in. The
previous snapshot stays open until the next switch so requests still holding it finish; the
one before it is closed then.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.catalog import INDEX_FORMAT, find_sorted, point_id
from core.changes import ChangeLog
from core.customers import CustomerTable
from core.db import DatabaseUnavailable
from core.errors import IndexNotReady
from core.memory import give_back
from core.settings import Settings
from core.store.base import Store, StoreReader
from core.store.journal import fold
from core.taxonomy import CODE_NAMES, GROUP_OF, Taxonomy
from core.vectors import ArticleVectors
from encoders.image import ImageEncoder, load_image_encoder
from encoders.text import TextEncoder, load_text_encoder
from ranking.catalog import apply_changes, uploads_dir
from ranking.catalog_held import Held, retry_due
from ranking.columns import Columns
from scoring.foldin import item_gram
from scoring.learned import Ranker
from scoring.sources import CoPurchase

log = logging.getLogger(__name__)
CHECK_EVERY_S = 1.0
#: How often a process looks for new catalog changes (one indexed SQLite read).
CATALOG_EVERY_S = 0.1
#: How long a reader replaced by a fresh copy stays open for the requests still holding it.
RETIRE_S = 30.0
#: At most this many changes are applied to a fresh copy while the catalog waits for it.
CATCH_UP_LOCKED = 200
#: Engine writes per run, and the pause between runs, of a fresh copy's catch-up.
CATCH_UP_CHUNK = 50
CATCH_UP_PAUSE_S = 0.005


@dataclass
class Snapshot:
    """One published version as the API sees it."""

    version: str
    reader: StoreReader
    models_dir: Path
    manifest: dict[str, Any]
    text_encoder: TextEncoder
    columns: Columns
    #: The articles' vectors for exact re-scoring (None: an index built without them).
    vectors: ArticleVectors | None = None
    #: The customers, shared by the processes (None: an index built without the table; they
    #: are read from the store then).
    customers: CustomerTable | None = None
    #: The catalog's change log is applied up to this sequence number (the live catalog).
    catalog_seq: int = 0
    #: Changes up to ``catalog_seq`` that could not be applied, by article (tried again).
    held: Mapping[str, Held] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def with_catalog(
        self, columns: Columns, vectors: ArticleVectors | None, catalog_seq: int
    ) -> Snapshot:
        """This version with the catalog's changes up to ``catalog_seq`` applied: the same
        reader, models and loaded encoders, the new columns and vectors."""
        out = replace(self, columns=columns, vectors=vectors, catalog_seq=catalog_seq)
        for name in (
            "image_encoder",
            "item_gram",
            "taxonomy",
            "copurchase",
            "ranker",
            "repurchase_overall",
            "article_points",
        ):
            if name in self.__dict__:
                out.__dict__[name] = self.__dict__[name]
        out._lock = self._lock
        return out

    def with_reader(self, reader: StoreReader) -> Snapshot:
        """This snapshot served from another reader of the same version (a fresh copy)."""
        out = self.with_catalog(self.columns, self.vectors, self.catalog_seq)
        out.reader = reader
        return out

    @property
    def built_catalog_seq(self) -> int:
        """The catalog's changes up to this sequence number are in the build itself."""
        return int(self.manifest.get("catalog_seq", 0))

    @cached_property
    def taxonomy(self) -> Taxonomy:
        """The codes and names of the version's catalog (what a change may use): written by
        the build, else read from the store once."""
        written = Taxonomy.load(self.models_dir)
        if written is not None:
            return written
        fields = [*CODE_NAMES, *CODE_NAMES.values(), *GROUP_OF.values()]
        pids = [int(p) for p in self.columns.ids]
        rows = []
        for lo in range(0, len(pids), 10_000):
            found = self.reader.retrieve("articles", pids[lo : lo + 10_000], payload_fields=fields)
            rows += [r.payload for r in found]
        return Taxonomy.of(rows)

    @cached_property
    def image_encoder(self) -> ImageEncoder:
        with self._lock:
            return load_image_encoder(self.models_dir / "image")

    @cached_property
    def copurchase(self) -> CoPurchase | None:
        """The version's co-purchase partners (None: built before them)."""
        return CoPurchase.load(self.models_dir)

    @cached_property
    def article_points(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The point id of each article row of the version (``ids.npz`` order: the rows of
        its matrices, customer table and co-purchase counts), and those rows by point id."""
        pids = np.array([point_id(a) for a in _article_ids(self.models_dir)], dtype=np.int64)
        return pids, np.argsort(pids, kind="stable")

    def article_rows(self, pids: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The version's row of each point id (-1: an article the build did not have)."""
        ids, order = self.article_points
        pos = find_sorted(ids[order], np.asarray(pids, dtype=np.int64))
        return np.where(pos >= 0, order[np.maximum(pos, 0)], -1).astype(np.int64)

    @cached_property
    def repurchase_overall(self) -> float:
        """The catalogue's repurchase share, the mean of its articles' (0: none written)."""
        table = self.customers
        figures = table.article_repurchase if table is not None else None
        return float(np.mean(figures)) if figures is not None and len(figures) else 0.0

    @cached_property
    def ranker(self) -> Ranker | None:
        """The version's learned ranker (None: built without one); one whose features differ
        from this code's is refused (`RankerMismatch`)."""
        with self._lock:
            return Ranker.load(self.models_dir, self.version)

    @property
    def as_of_day(self) -> int:
        return int(self.manifest["as_of_day"])

    @property
    def events_seq(self) -> int:
        """The event log's purchases up to this sequence number are in this version."""
        return int(self.manifest.get("events_seq", 0))

    @cached_property
    def item_gram(self) -> npt.NDArray[np.float64]:
        """``YᵀY`` of the version's ALS item factors, for folding purchases into a customer."""
        if self.vectors is None:
            raise IndexNotReady(f"version {self.version} has no article matrices")
        return item_gram(self.vectors.matrix("cf"))

    def embed_text(self, text: str) -> npt.NDArray[np.float32]:
        """The query's vector, remembered: merchandisers and shoppers repeat their queries, and
        encoding one costs tens of ms of CPU against microseconds for a look-up."""
        return _embed_cached(self.text_encoder, text)


#: Query embeddings remembered per process (384 floats each: 4096 take 6 MB).
QUERY_CACHE = 4096
#: Per encoder (a model at a precision), its remembered queries, oldest first.
_queries: weakref.WeakKeyDictionary[TextEncoder, OrderedDict[str, npt.NDArray[np.float32]]] = (
    weakref.WeakKeyDictionary()
)
_queries_lock = threading.Lock()


def _embed_cached(encoder: TextEncoder, text: str) -> npt.NDArray[np.float32]:
    with _queries_lock:
        cache = _queries.setdefault(encoder, OrderedDict())
        found = cache.get(text)
        if found is not None:
            cache.move_to_end(text)
            return found
    vector = np.asarray(encoder.encode([text])[0], dtype=np.float32)
    vector.flags.writeable = False  # shared between requests
    with _queries_lock:
        cache[text] = vector
        while len(cache) > QUERY_CACHE:
            cache.popitem(last=False)
    return vector


class LiveIndex:
    """Holds the current snapshot and switches to a newly published version."""

    def __init__(self, settings: Settings, store: Store, changes: ChangeLog | None = None) -> None:
        self.settings = settings
        self.store = store
        self.changes = changes
        self._catalog_checked = 0.0
        self._lock = threading.Lock()
        self._current: Snapshot | None = None
        self._previous: Snapshot | None = None
        self._checked = 0.0
        self._refused: set[str] = set()
        self._text_encoders: dict[tuple[str, str], TextEncoder] = {}
        self._reindexing: threading.Thread | None = None
        self._refresh_lock = threading.Lock()
        self._db_warned = -float("inf")
        self._refreshing: threading.Thread | None = None
        self._reindexed_at = -float("inf")
        #: Fresh, indexed copies swapped in so far (the live catalog's re-index).
        self.reindexes = 0

    def snapshot(self, background: bool = False) -> Snapshot:
        """The snapshot to serve this request from; raises IndexNotReady if none is published.

        ``background``: never do the work here (the middleware asks on the event loop): when a
        version check or a catch-up is due, one thread does it while this call returns the
        snapshot in hand."""
        now = time.monotonic()
        current = self._current
        if background and current is not None:
            due = now - self._checked >= CHECK_EVERY_S or (
                self.changes is not None and now - self._catalog_checked >= CATALOG_EVERY_S
            )
            if due:
                self._refresh_in_background()
            return current
        if current is not None and now - self._checked < CHECK_EVERY_S:
            if self.changes is None or now - self._catalog_checked < CATALOG_EVERY_S:
                return current
            self._catalog_checked = now
            # Requests keep the snapshot in hand while another thread applies the changes.
            if not self._lock.acquire(blocking=False):
                return current
            try:
                self._catch_up()
                return self._current or current
            finally:
                self._lock.release()
        # The middleware asks on the event loop: while another thread holds the lock (a
        # catch-up, a fresh copy's swap), serve what is in hand and look again next time,
        # rather than stall every request of the process behind it (seen in the soak).
        if current is not None and not self._lock.acquire(blocking=False):
            return current
        if current is None:
            self._lock.acquire()
        try:
            return self._check_version(now)
        finally:
            self._lock.release()

    def _refresh_in_background(self) -> None:
        """Run one ``snapshot()`` in a thread of its own unless one is running already."""
        with self._refresh_lock:
            if self._refreshing is not None and self._refreshing.is_alive():
                return
            self._refreshing = threading.Thread(
                target=self._refresh, name="catalog-refresh", daemon=True
            )
            self._refreshing.start()

    def _refresh(self) -> None:
        try:
            self.snapshot()
        except Exception:  # the next request's own snapshot() says what is wrong
            log.exception("refreshing the served snapshot failed")

    def _check_version(self, now: float) -> Snapshot:
        """Switch to a newly published version and catch up (under the lock)."""
        self._checked = now
        version = self.store.current_version()
        if version is None:
            if self._current is not None:
                return self._current
            raise IndexNotReady("no index version is published yet: run `make index`")
        if self._current is None or self._current.version != version:
            try:
                self._switch(version)
            except IndexNotReady as exc:
                if self._current is None:
                    raise
                # Keep serving the version in hand rather than failing every request.
                if version not in self._refused:
                    self._refused.add(version)
                    log.error("not switching to %s: %s", version, exc)
        self._catch_up()
        assert self._current is not None
        return self._current

    def catch_up(self) -> Snapshot:
        """The current snapshot with every change logged so far applied (an admin write
        answers once its own process serves it)."""
        self.snapshot()
        with self._lock:
            self._catch_up()
            assert self._current is not None
            return self._current

    def _catch_up(self) -> None:
        """Apply the changes logged after the current snapshot's (under the lock)."""
        snap = self._current
        if snap is None or self.changes is None:
            return
        uploads = uploads_dir(self.settings.db_path)
        try:
            high = self.changes.high_water()
            changes = self.changes.since(snap.catalog_seq) if high > snap.catalog_seq else []
            held = [c for h in snap.held.values() for c in h.changes]
            self.changes.fetch_uploads([*changes, *held], uploads)  # taken on another host
        except DatabaseUnavailable as exc:
            # Serve the catalog in hand; the changes apply once the database answers again.
            if time.monotonic() - self._db_warned > 10:
                self._db_warned = time.monotonic()
                log.warning("catalog changes not read, the database is unavailable: %s", exc)
            return
        if not changes and not retry_due(snap.held, time.monotonic()):
            self._maybe_reindex(snap)  # a failed re-index is tried again without new changes
            return
        exclusive = self.changes.exclusive_apply if self.store.shared else None
        self._current = apply_changes(snap, changes, self.settings, uploads, exclusive=exclusive)
        self._maybe_reindex(self._current)

    def _maybe_reindex(self, snap: Snapshot) -> None:
        """Start a fresh, indexed copy of the engine in the background once enough points were
        written to this one (under the lock)."""
        if self._reindexing is not None and self._reindexing.is_alive():
            return
        # The journal is read by a re-index in flight: folded only between two.
        fold_journal = getattr(snap.reader, "fold_journal", None)
        if fold_journal is not None:
            fold_journal()
        after = self.settings.live.reindex_after
        written = getattr(snap.reader, "written", 0)
        if not after or written < after:
            return
        now = time.monotonic()
        if now - self._reindexed_at < self.settings.live.reindex_every_s:
            return
        self._reindexed_at = now
        self._reindexing = threading.Thread(
            target=self._reindex, args=(snap.reader,), name="reindex", daemon=True
        )
        self._reindexing.start()

    def reindex_now(self) -> Snapshot:
        """Make and swap in the fresh, indexed copy now, in this thread (benchmarks, tools);
        the snapshot served afterwards."""
        self._reindex(self.snapshot().reader)
        return self.snapshot()

    def _reindex(self, reader: StoreReader) -> None:
        """Swap in a fresh copy of ``reader``'s version with its changes indexed (made by
        another process), with the changes applied meanwhile; ``reader`` closes once the
        requests still holding it had time to finish."""
        log.info("re-index started: %d points written", getattr(reader, "written", 0))
        try:
            fresh = self.store.reindexed(reader, self.settings.live.reindex_timeout_s)
        except Exception:
            log.exception(
                "re-indexing the live catalog's changes failed; serving on, retrying in %g s",
                self.settings.live.reindex_every_s,
            )
            return
        if fresh is None:
            return
        # Catch the fresh copy up with what arrived while it was made, outside the lock (a
        # long burst can be thousands of changes), then the last few under it.
        done = int(getattr(fresh, "journal_source", 0))
        # Folded (each article once, runs of the same update as one), the tens of seconds
        # of changes a copy's indexing took cost the fresh copy fewer engine writes.
        while len(journal := getattr(reader, "journal", [])) - done > CATCH_UP_LOCKED:
            upto = len(journal)
            folded = fold(journal[done:upto])
            for lo in range(0, len(folded), CATCH_UP_CHUNK):
                fresh.apply("articles", folded[lo : lo + CATCH_UP_CHUNK])
                # Each engine write holds the interpreter: pausing between short runs of
                # them leaves it to the requests and the catalog's own catch-up (unpaced,
                # one catch-up of 20,000 changes slowed a 100-change apply to 3.7 s).
                time.sleep(CATCH_UP_PAUSE_S)
            done = upto
        with self._lock:
            snap = self._current
            if snap is None or snap.reader is not reader:  # a new version came meanwhile
                fresh.close()
                return
            later = list(getattr(reader, "journal", ()))[done:]
            if later:
                fresh.apply("articles", fold(later))
            self._current = snap.with_reader(fresh)
            self.reindexes += 1
        log.info(
            "serving a fresh indexed copy of %s (%d changes after it)", snap.version, len(later)
        )
        retire = threading.Timer(RETIRE_S, _retire, args=(reader,))
        retire.daemon = True
        retire.start()

    def _switch(self, version: str) -> None:
        models_dir = self.settings.index_dir / "models" / version
        try:
            manifest = json.loads((models_dir / "manifest.json").read_text())
        except FileNotFoundError as exc:
            raise IndexNotReady(f"version {version} has no models at {models_dir}") from exc
        found = manifest.get("format", 1)
        if found != INDEX_FORMAT:
            raise IndexNotReady(
                f"version {version} is in index format {found} and this API reads format "
                f"{INDEX_FORMAT}: rebuild the index (`make index`)"
            )
        ids = _article_ids(models_dir)
        customers = CustomerTable.load(models_dir, ids)
        # With the shared table the store is read for articles only (and copied only for them).
        reader = self.store.open_reader(version, ("articles",) if customers else None)
        try:
            # Queries are embedded as the catalog was: same model, same precision.
            text = self._text(manifest["text_model"], manifest.get("text_precision", "float32"))
            columns = Columns.load(reader, ids)
            vectors = ArticleVectors.load(models_dir, ids)
        except BaseException:
            reader.close()
            raise
        snap = Snapshot(
            version,
            reader,
            models_dir,
            manifest,
            text,
            columns,
            vectors=vectors,
            customers=customers,
            catalog_seq=int(manifest.get("catalog_seq", 0)),
        )
        if self.changes is not None:
            # Serve the new version with the changes logged since its build, never without.
            changes = self.changes.since(snap.catalog_seq)
            uploads = uploads_dir(self.settings.db_path)
            self.changes.fetch_uploads(changes, uploads)
            snap = apply_changes(snap, changes, self.settings, uploads)
        if self._previous is not None:
            self._previous.reader.close()
        self._previous, self._current = self._current, snap
        # The version's columns are ~600,000 Python objects at H&M size, and every full
        # collection of the cyclic GC walked them all: 0.4 s, a pause of every request in
        # flight, and the open-loop p99 of the feed went to 1.8 s. Frozen, they are left out
        # of later collections (refcounting still frees them when the version goes).
        gc.collect()
        gc.freeze()
        log.info("serving index version %s", version)

    def _text(self, name: str, precision: str) -> TextEncoder:
        key = (name, precision)
        if key not in self._text_encoders:
            self._text_encoders[key] = load_text_encoder(name, precision)
        return self._text_encoders[key]

    def close(self) -> None:
        with self._lock:
            for snap in (self._previous, self._current):
                if snap is not None:
                    snap.reader.close()
            self._previous = self._current = None


def _retire(reader: StoreReader) -> None:
    """Close a copy no request reads any more and give the heap it freed back to the system."""
    reader.close()
    give_back()


def _article_ids(models_dir: Path) -> list[str]:
    with np.load(models_dir / "ids.npz", allow_pickle=False) as ids:
        return [str(a) for a in ids["article_id"]]
