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
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.catalog import INDEX_FORMAT
from core.customers import CustomerTable
from core.errors import IndexNotReady
from core.settings import Settings
from core.store.base import Store, StoreReader
from core.vectors import ArticleVectors
from encoders.image import ImageEncoder, load_image_encoder
from encoders.text import TextEncoder, load_text_encoder
from ranking.columns import Columns
from scoring.foldin import item_gram

log = logging.getLogger(__name__)
CHECK_EVERY_S = 1.0


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
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @cached_property
    def image_encoder(self) -> ImageEncoder:
        with self._lock:
            return load_image_encoder(self.models_dir / "image")

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

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._lock = threading.Lock()
        self._current: Snapshot | None = None
        self._previous: Snapshot | None = None
        self._checked = 0.0
        self._refused: set[str] = set()
        self._text_encoders: dict[tuple[str, str], TextEncoder] = {}

    def snapshot(self) -> Snapshot:
        """The snapshot to serve this request from; raises IndexNotReady if none is published."""
        now = time.monotonic()
        current = self._current
        if current is not None and now - self._checked < CHECK_EVERY_S:
            return current
        with self._lock:
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
            assert self._current is not None
            return self._current

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
        )
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


def _article_ids(models_dir: Path) -> list[str]:
    with np.load(models_dir / "ids.npz", allow_pickle=False) as ids:
        return [str(a) for a in ids["article_id"]]
