"""The embedded engine: Qdrant Edge shards in versioned folders.

Layout under ``root`` (``settings.index_dir / "store"``)::

    versions/<version>/articles/        one Edge shard per collection
    versions/<version>/customers/
    versions/<version>/COMPLETE.json    written last by finish(): point counts, finish time
    CURRENT                             the published version's name, replaced atomically

A folder without ``COMPLETE.json`` is a build that did not finish (killed, failed) and is
never listed, published or opened. One process owns a shard folder (Edge holds a lock on its
WAL), so readers in one process share each open shard through a reference count.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import qdrant_edge as qe

from core.errors import BuildError, IndexNotReady, NotFound, StoreUnavailable
from core.store.base import (
    Collection,
    CollectionSpec,
    Filter,
    Point,
    Record,
    Store,
    StoreReader,
    StoreWriter,
    VectorQuery,
)
from core.store.filters import (
    check_version_name,
    hnsw_ef,
    keep_order,
    stable_ordered_page,
    to_edge,
)

log = logging.getLogger(__name__)

MARKER = "COMPLETE.json"
_COLLECTIONS: tuple[Collection, ...] = ("articles", "customers")
_INDEX_TYPES = (
    ("keyword_fields", qe.PayloadSchemaType.Keyword),
    ("float_fields", qe.PayloadSchemaType.Float),
    ("integer_fields", qe.PayloadSchemaType.Integer),
    ("datetime_fields", qe.PayloadSchemaType.Datetime),
)


class _Shards:
    """Open shards of this process by folder, shared by readers and closed by the last one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[Path, tuple[qe.EdgeShard, int]] = {}

    def acquire(self, path: Path) -> qe.EdgeShard:
        with self._lock:
            shard, refs = self._open.get(path, (None, 0))
            if shard is None:
                try:
                    shard = qe.EdgeShard.load(str(path))
                except Exception as exc:  # the binding raises a bare Exception
                    raise StoreUnavailable(
                        f"cannot open the Edge shard {path}: {exc} (is another process "
                        "serving or building it? one process owns a shard folder)"
                    ) from exc
            self._open[path] = (shard, refs + 1)
            return shard

    def release(self, path: Path) -> None:
        with self._lock:
            shard, refs = self._open.pop(path)
            if refs > 1:
                self._open[path] = (shard, refs - 1)
                return
        shard.close()


_SHARDS = _Shards()


def _to_record(p: qe.Record | qe.ScoredPoint, score: float | None = None) -> Record:
    vec = p.vector
    vectors = {k: list(v) for k, v in vec.items()} if isinstance(vec, dict) else {}
    return Record(id=int(p.id), payload=dict(p.payload or {}), vectors=vectors, score=score)  # type: ignore[arg-type]


def _to_point(p: Point) -> qe.Point:
    return qe.Point(id=p.id, vector={k: list(v) for k, v in p.vectors.items()}, payload=p.payload)


def _read_marker(vdir: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((vdir / MARKER).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data


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
            raise BuildError(
                f"index version {version!r} already exists at {vdir}; pick another name "
                "or remove the folder"
            ) from None

    def create(self, collection: Collection, spec: CollectionSpec) -> None:
        vectors = {
            name: qe.EdgeVectorParams(size=size, distance=qe.Distance.Cosine)
            for name, size in spec.vectors.items()
        }
        # Payload in RAM: it is small next to the vectors and every query returns it.
        config = qe.EdgeConfig(vectors=vectors, payload_memory=qe.Memory.Cached)
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

    def finish(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name, shard in self._shards.items():
            started = time.perf_counter()
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
        marker = {"version": self.version, "counts": counts, "finished_at": time.time()}
        _write_atomic(self._vdir / MARKER, json.dumps(marker))
        return counts


class EdgeReader(StoreReader):
    """Queries one complete version; each call is one engine request (two for tied pages)."""

    def __init__(self, vdir: Path, version: str) -> None:
        self.version = version
        self._paths = [vdir / c for c in _COLLECTIONS if (vdir / c).is_dir()]
        self._shards: dict[str, qe.EdgeShard] = {}
        try:
            for path in self._paths:
                self._shards[path.name] = _SHARDS.acquire(path)
        except StoreUnavailable:
            self.close()
            raise

    def _shard(self, collection: Collection) -> qe.EdgeShard:
        try:
            return self._shards[collection]
        except KeyError:
            raise NotFound("collection", f"{collection} in version {self.version}") from None

    def retrieve(
        self, collection: Collection, ids: Sequence[int], with_vectors: Sequence[str] = ()
    ) -> list[Record]:
        if not ids:
            return []
        found = self._shard(collection).retrieve(
            list(dict.fromkeys(ids)), with_payload=True, with_vector=list(with_vectors) or False
        )
        return keep_order(ids, [_to_record(p) for p in found])

    def search(
        self, collection: Collection, query: VectorQuery, flt: Filter | None = None
    ) -> list[Record]:
        if query.limit <= 0:
            return []
        request = qe.QueryRequest(
            limit=query.limit,
            query=qe.Query.Nearest(list(query.vector), using=query.using),
            filter=to_edge(flt),
            params=qe.SearchParams(hnsw_ef=hnsw_ef(query.limit)),
            with_payload=True,
        )
        return [_to_record(p, p.score) for p in self._shard(collection).query(request)]

    def candidates(
        self, collection: Collection, queries: Sequence[VectorQuery], flt: Filter | None = None
    ) -> list[int]:
        queries = [q for q in queries if q.limit > 0]
        if not queries:
            return []
        edge_flt = to_edge(flt)
        prefetches = [
            qe.Prefetch(
                limit=q.limit,
                query=qe.Query.Nearest(list(q.vector), using=q.using),
                filter=edge_flt,
                params=qe.SearchParams(hnsw_ef=hnsw_ef(q.limit)),
            )
            for q in queries
        ]
        # Fusion over the prefetches returns their union; RRF gives it a sensible order.
        request = qe.QueryRequest(
            limit=sum(q.limit for q in queries),
            prefetches=prefetches,
            query=qe.Fusion.Rrf(k=60),
            filter=edge_flt,
            with_payload=False,
        )
        hits = self._shard(collection).query(request)
        hits.sort(key=lambda p: (-p.score, int(p.id)))  # type: ignore[arg-type]
        return [int(p.id) for p in hits]  # type: ignore[arg-type]

    def count(self, collection: Collection, flt: Filter | None = None) -> int:
        return self._shard(collection).count(qe.CountRequest(exact=True, filter=to_edge(flt)))

    def facet(
        self, collection: Collection, key: str, flt: Filter | None = None, limit: int = 100
    ) -> dict[str, int]:
        request = qe.FacetRequest(key=key, limit=limit, exact=True, filter=to_edge(flt))
        return {str(h.value): h.count for h in self._shard(collection).facet(request).hits}

    def _scroll(
        self,
        collection: Collection,
        flt: Filter | None,
        n: int,
        with_vectors: Sequence[str],
        order: tuple[str, Literal["asc", "desc"]] | None = None,
    ) -> list[qe.Record]:
        if n <= 0:
            return []
        order_by = None
        if order is not None:
            direction = qe.Direction.Desc if order[1] == "desc" else qe.Direction.Asc
            order_by = qe.OrderBy(key=order[0], direction=direction)
        request = qe.ScrollRequest(
            limit=n,
            filter=to_edge(flt),
            with_payload=True,
            with_vector=list(with_vectors) or False,
            order_by=order_by,
        )
        return self._shard(collection).scroll(request)[0]

    def scroll(
        self,
        collection: Collection,
        flt: Filter | None = None,
        order_by: tuple[str, Literal["asc", "desc"]] | None = None,
        limit: int = 12,
        offset: int = 0,
        with_vectors: Sequence[str] = (),
    ) -> list[Record]:
        if order_by is None:
            found = self._scroll(collection, flt, offset + limit, with_vectors)
            return [_to_record(p) for p in found[offset:]]

        def by_value(f: Filter | None, n: int) -> list[tuple[Record, float]]:
            found = self._scroll(collection, f, n, with_vectors, order_by)
            return [(_to_record(p), float(p.order_value or 0.0)) for p in found]

        def by_id(f: Filter | None, n: int) -> list[Record]:
            return [_to_record(p) for p in self._scroll(collection, f, n, with_vectors)]

        key, direction = order_by
        return stable_ordered_page(by_value, by_id, flt, key, direction, offset, limit)

    def close(self) -> None:
        for name in list(self._shards):
            self._shards.pop(name)
            _SHARDS.release(next(p for p in self._paths if p.name == name))


class EdgeStore(Store):
    """Versions of the index as folders under ``root``; ``CURRENT`` names the published one."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._versions = self.root / "versions"

    def _complete(self, version: str) -> Path:
        vdir = self._versions / check_version_name(version)
        if _read_marker(vdir) is None:
            raise NotFound("index version", version)
        return vdir

    def new_writer(self, version: str) -> EdgeWriter:
        return EdgeWriter(self._versions / check_version_name(version), version)

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

    def open_reader(self, version: str | None = None) -> EdgeReader:
        version = version or self.current_version()
        if version is None:
            raise IndexNotReady(f"no published index version under {self.root}; run a build")
        return EdgeReader(self._complete(version), version)

    def versions(self) -> list[str]:
        if not self._versions.is_dir():
            return []
        markers = [(_read_marker(d), d.name) for d in self._versions.iterdir() if d.is_dir()]
        done = [(m["finished_at"], name) for m, name in markers if m is not None]
        return [name for _, name in sorted(done)]
