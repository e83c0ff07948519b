"""The embedded engine: Qdrant Edge shards in versioned folders.

Layout under ``root`` (``settings.index_dir / "store"``)::

    versions/<version>/articles/        one Edge shard per collection
    versions/<version>/customers/
    versions/<version>/COMPLETE.json    written last by finish(): point counts, finish time
    CURRENT                             the published version's name, replaced atomically
    replicas/<pid>-<version>/           a process's private copy (see `edge_copies`)

A folder without ``COMPLETE.json`` is a build that did not finish (killed, failed) and is
never listed, published or opened. One process owns a shard folder (Edge holds a lock on its
WAL), so readers in one process share each open shard through a reference count.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from core.errors import BuildError, IndexNotReady, NotFound, StoreUnavailable
from core.store.base import (
    ARTICLES,
    Collection,
    CollectionSpec,
    Point,
    Store,
    StoreReader,
    StoreWriter,
    check_counts,
)
from core.store.edge_copies import IDLE, REPLICAS, one_at_a_time, private_copy
from core.store.edge_reader import EdgeReader
from core.store.filters import check_version_name
from core.store.journal import fold

log = logging.getLogger(__name__)
#: Where `python -m core...` runs from (the re-index process imports this project).
_ROOT = Path(__file__).resolve().parents[2]

MARKER = "COMPLETE.json"
#: HNSW graph degree and build beam. Denser than Qdrant's defaults (16, 100): catalog vectors
#: sit in tight clusters (a product type, colourways of one product), where the default graph
#: gave recall@12 0.945 at 105k points and this one 0.976 at the same ef (bench/query.py).
HNSW_M = 32
HNSW_EF_CONSTRUCT = 256
#: A filter matching fewer than this many KB of vectors is answered by scoring its matches
#: exactly instead of walking the graph. Qdrant's default (10,000 KB: 40k points of a 64-d
#: vector) made mid-selectivity shop filters the slowest queries; with 2,000 they use the
#: filter-aware graph, which is faster at the same recall.
FULL_SCAN_KB = 2_000
#: int8 copies of the vectors in RAM for the graph walk; every search rescores its
#: candidates on the original vectors (see `filters.edge_params`), so scores stay exact.
QUANTIZE = True
_INDEX_TYPES = (
    ("keyword_fields", qe.PayloadSchemaType.Keyword),
    ("float_fields", qe.PayloadSchemaType.Float),
    ("integer_fields", qe.PayloadSchemaType.Integer),
    ("datetime_fields", qe.PayloadSchemaType.Datetime),
)


def _distance(name: str, spec: CollectionSpec) -> qe.Distance:
    return qe.Distance.Dot if name in spec.dot_vectors else qe.Distance.Cosine


def _to_point(p: Point) -> qe.Point:
    return qe.Point(id=p.id, vector=dict(p.vectors), payload=p.payload)


def _read_marker(vdir: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((vdir / MARKER).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data


def _taken(version: str, vdir: Path) -> str:
    state = "complete" if _read_marker(vdir) else "unfinished (killed or failed)"
    return (
        f"index version {version!r} already exists at {vdir} ({state}); pick another name "
        "or remove the folder"
    )


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a crash only once the folder is synced
    finally:
        os.close(dir_fd)


class EdgeWriter(StoreWriter):
    """Writes one version folder; nothing is visible to readers until `finish` and `publish`."""

    def __init__(self, vdir: Path, version: str) -> None:
        self.version = version
        self._vdir = vdir
        self._shards: dict[str, qe.EdgeShard] = {}
        try:
            vdir.mkdir(parents=True)
        except FileExistsError:
            raise BuildError(_taken(version, vdir)) from None

    def create(self, collection: Collection, spec: CollectionSpec) -> None:
        vectors = {
            name: qe.EdgeVectorParams(size=size, distance=_distance(name, spec))
            for name, size in spec.vectors.items()
        }
        # m=0 builds no graph: a collection read only by id would pay for it for nothing
        # (1.37M customers at H&M size).
        hnsw = qe.HnswIndexConfig(
            m=HNSW_M if spec.searchable else 0,
            ef_construct=HNSW_EF_CONSTRUCT,
            full_scan_threshold=FULL_SCAN_KB,
        )
        quant = (
            qe.ScalarQuantizationConfig(
                type=qe.ScalarType.Int8, quantile=0.99, memory=qe.Memory.Pinned
            )
            if QUANTIZE and spec.searchable
            else None
        )
        # Payload in RAM: it is small next to the vectors and every query returns it.
        config = qe.EdgeConfig(
            vectors=vectors,
            hnsw_config=hnsw,
            quantization_config=quant,
            payload_memory=qe.Memory.Cached,
        )
        shard = qe.EdgeShard.create(str(self._vdir / collection), config)
        for attr, schema in _INDEX_TYPES:
            for name in getattr(spec, attr):
                shard.update(qe.UpdateOperation.create_field_index(name, schema))
        self._shards[collection] = shard

    def upsert(self, collection: Collection, points: Sequence[Point]) -> None:
        if collection not in self._shards:
            raise BuildError(f"collection {collection!r} was not created in version {self.version}")
        if points:
            op = qe.UpdateOperation.upsert_points([_to_point(p) for p in points])
            self._shards[collection].update(op)

    def finish(self, expected: Mapping[str, int] | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name, shard in self._shards.items():
            started = time.perf_counter()
            # One blocking call with no progress to report: say what is going on first.
            log.info("optimising %s (HNSW graphs, payload indexes) ...", name)
            shard.optimize()  # builds the HNSW graphs and payload indexes
            shard.flush()
            counts[name] = shard.info().points_count
            shard.close()
            log.info(
                "optimised %s: %d points in %.1f s",
                name,
                counts[name],
                time.perf_counter() - started,
            )
        self._shards.clear()
        check_counts(counts, expected)
        marker = {"version": self.version, "counts": counts, "finished_at": time.time()}
        _write_atomic(self._vdir / MARKER, json.dumps(marker))
        return counts


class EdgeStore(Store):
    """Versions of the index as folders under ``root``; ``CURRENT`` names the published one."""

    def __init__(self, root: Path, *, private_copies: bool = False) -> None:
        self.root = Path(root)
        self._versions = self.root / "versions"
        #: Open each version from a copy of this process's own (several API processes).
        self.private_copies = private_copies
        self._reindexes = 0

    def _complete(self, version: str) -> Path:
        vdir = self._versions / check_version_name(version)
        if _read_marker(vdir) is None:
            raise NotFound("index version", version)
        return vdir

    def new_writer(self, version: str) -> EdgeWriter:
        return EdgeWriter(self._versions / check_version_name(version), version)

    def check_new_version(self, version: str) -> None:
        vdir = self._versions / check_version_name(version)
        if vdir.exists():
            raise BuildError(_taken(version, vdir))

    def publish(self, version: str) -> None:
        self._complete(version)
        self.root.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.root / "CURRENT", version + "\n")
        log.info("published index version %s", version)

    def current_version(self) -> str | None:
        try:
            version = (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        if not version or _read_marker(self._versions / version) is None:
            log.warning("CURRENT names %r, which is not a complete version", version)
            return None
        return version

    def open_reader(
        self, version: str | None = None, collections: Sequence[Collection] | None = None
    ) -> EdgeReader:
        version = version or self.current_version()
        if version is None:
            raise IndexNotReady(f"no published index version under {self.root}; run a build")
        vdir = self._complete(version)
        if not self.private_copies:
            return EdgeReader(vdir, version, collections=collections)
        copy = private_copy(vdir, version, self.root / REPLICAS, only=collections)
        try:
            return EdgeReader(
                copy,
                version,
                on_close=lambda: shutil.rmtree(copy, True),
                collections=collections,
            )
        except BaseException:
            shutil.rmtree(copy, ignore_errors=True)
            raise

    def reindexed(self, reader: StoreReader, timeout_s: float | None = None) -> StoreReader | None:
        """A fresh private copy of ``reader``'s version with its journal of changes applied and
        indexed by another process (`core.store.edge_reindex`), killed past ``timeout_s``
        (StoreUnavailable); None without private copies (the reader's folder is the
        version's own: nothing to copy it from). The copy's journal is the reader's folded
        (`core.store.journal.fold`); its ``journal_source`` says how many of the reader's
        journal entries it holds."""
        if not self.private_copies or not isinstance(reader, EdgeReader):
            return None
        with one_at_a_time(self.root / REPLICAS):
            return self._reindexed(reader, timeout_s)

    def _reindexed(self, reader: EdgeReader, timeout_s: float | None) -> EdgeReader:
        changes = list(reader.journal)
        folded = fold(changes)
        self._reindexes += 1
        tag = f"r{self._reindexes}"
        copy = private_copy(
            self._complete(reader.version),
            reader.version,
            self.root / REPLICAS,
            only=reader.collections,
            tag=tag,
        )
        try:
            pickled = copy / "changes.pkl"
            with pickled.open("wb") as fh:
                pickle.dump(folded, fh)
            module = [sys.executable, "-m", "core.store.edge_reindex"]
            cmd = [*IDLE, *module, str(copy / ARTICLES), str(pickled)]
            try:
                done = subprocess.run(
                    cmd, capture_output=True, text=True, cwd=_ROOT, timeout=timeout_s
                )
            except subprocess.TimeoutExpired:
                # subprocess.run has killed and reaped it.
                raise StoreUnavailable(
                    f"re-indexing {copy} took longer than {timeout_s:g} s: stopped"
                ) from None
            if done.returncode != 0:
                raise StoreUnavailable(f"re-indexing {copy} failed: {done.stderr.strip()[-500:]}")
            log.info("%s", done.stdout.strip())
            fresh = EdgeReader(
                copy,
                reader.version,
                on_close=lambda: shutil.rmtree(copy, True),
                collections=reader.collections,
            )
        except BaseException:
            shutil.rmtree(copy, ignore_errors=True)
            raise
        fresh.journal = folded
        fresh.journal_source = len(changes)
        return fresh

    def versions(self) -> list[str]:
        if not self._versions.is_dir():
            return []
        markers = [(_read_marker(d), d.name) for d in self._versions.iterdir() if d.is_dir()]
        done = [(m["finished_at"], name) for m, name in markers if m is not None]
        return [name for _, name in sorted(done)]
