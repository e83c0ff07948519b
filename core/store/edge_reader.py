"""Reads one version of the embedded index: Qdrant Edge shards, shared within the process.

One process owns a shard folder (Edge locks its WAL), so two readers of the same version in
one process must share the open shard: `_Shards` counts references and the last reader to
close it closes the shard.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

import qdrant_edge as qe

from core.errors import NotFound, StoreUnavailable
from core.store.base import (
    ARTICLES,
    Change,
    Collection,
    Delete,
    Filter,
    Record,
    SetPayload,
    StoreReader,
    Upsert,
    VectorQuery,
)
from core.store.filters import (
    Order,
    PagedScroll,
    candidate_params,
    edge_params,
    keep_order,
    to_edge,
)
from core.store.journal import fold

#: A journal is folded once it holds at least this many entries (and doubled since).
FOLD_AT = 2_000


def operation(change: Change) -> qe.UpdateOperation:
    """The Edge update for a store change."""
    if isinstance(change, Upsert):
        points = [
            qe.Point(id=p.id, vector=dict(p.vectors), payload=p.payload) for p in change.points
        ]
        return qe.UpdateOperation.upsert_points(points)
    if isinstance(change, SetPayload):
        return qe.UpdateOperation.set_payload(list(change.ids), dict(change.payload))
    if isinstance(change, Delete):
        return qe.UpdateOperation.delete_points(list(change.ids))
    raise TypeError(f"not a store change: {change!r}")


def candidate_request(
    queries: Sequence[VectorQuery], edge_flt: qe.Filter | None
) -> qe.QueryRequest:
    """A ranked list's candidate query: one prefetch per signal under the filter, fused.
    Fusion over the prefetches returns their union; RRF gives it a sensible order."""
    prefetches = [
        qe.Prefetch(
            limit=q.limit,
            query=qe.Query.Nearest(list(q.vector), using=q.using),
            filter=edge_flt,
            params=candidate_params(q.limit),
        )
        for q in queries
    ]
    return qe.QueryRequest(
        limit=sum(q.limit for q in queries),
        prefetches=prefetches,
        query=qe.Fusion.Rrf(k=60),  # type: ignore[arg-type]  # the stub misses the nesting
        filter=edge_flt,
        with_payload=False,
    )


def _size(change: Change) -> int:
    return len(change.points) if isinstance(change, Upsert) else len(change.ids)


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
        # Closing under the lock: a concurrent acquire must not load the folder before the
        # old handle has let go of the WAL lock.
        with self._lock:
            shard, refs = self._open.pop(path)
            if refs > 1:
                self._open[path] = (shard, refs - 1)
            else:
                shard.close()


_SHARDS = _Shards()


def _to_record(p: qe.Record | qe.ScoredPoint, score: float | None = None) -> Record:
    vec = p.vector
    # Named dense vectors come back as name -> list of floats; absent names are left out.
    vectors = cast(dict[str, list[float]], dict(vec)) if isinstance(vec, dict) else {}
    return Record(
        id=int(cast(int, p.id)), payload=dict(p.payload or {}), vectors=vectors, score=score
    )


class EdgeReader(PagedScroll, StoreReader):
    """Queries one complete version; each call is one engine request (two for tied pages)."""

    def __init__(
        self,
        vdir: Path,
        version: str,
        on_close: Callable[[], None] | None = None,
        collections: Sequence[Collection] | None = None,
    ) -> None:
        self.version = version
        self._on_close = on_close
        self.journal = []
        wanted: tuple[Collection, ...] = (
            tuple(collections) if collections else ("articles", "customers")
        )
        self.collections = wanted
        self._paths = [(vdir / c).resolve() for c in wanted if (vdir / c).is_dir()]
        self._shards: dict[str, qe.EdgeShard] = {}
        try:
            for path in self._paths:
                self._shards[path.name] = _SHARDS.acquire(path)
        except StoreUnavailable:
            self.close()
            raise

    #: The changes applied to the articles since the version's files were copied (a fresh,
    #: indexed copy is made from them), and how many points they wrote since this reader's
    #: files were last indexed.
    journal: list[Change]
    written: int = 0
    #: A fresh copy: how many entries of the replaced reader's journal it holds.
    journal_source: int = 0
    #: The journal's length when it was last folded.
    _folded: int = 0

    def fold_journal(self) -> bool:
        """Fold the journal (`core.store.journal.fold`) once it has doubled since it was last
        folded (at least `FOLD_AT` entries): memory bounded by the articles changed, at an
        amortised cost of a few entries' work per change. Not while a re-index copies it."""
        if len(self.journal) < max(FOLD_AT, 2 * self._folded):
            return False
        self.journal = fold(self.journal)
        self._folded = len(self.journal)
        return True

    def _shard(self, collection: Collection) -> qe.EdgeShard:
        try:
            return self._shards[collection]
        except KeyError:
            raise NotFound("collection", f"{collection} in version {self.version}") from None

    def retrieve(
        self,
        collection: Collection,
        ids: Sequence[int],
        with_vectors: Sequence[str] = (),
        payload_fields: Sequence[str] | None = None,
    ) -> list[Record]:
        if not ids:
            return []
        found = self._shard(collection).retrieve(
            list(dict.fromkeys(ids)),
            with_payload=True if payload_fields is None else list(payload_fields),
            with_vector=list(with_vectors) or False,
        )
        return keep_order(ids, [_to_record(p) for p in found])

    def score_ids_many(
        self, collection: Collection, queries: Sequence[VectorQuery], ids: Sequence[int]
    ) -> list[dict[int, float]]:
        unique = list(dict.fromkeys(ids))
        if not unique or not queries:
            return [{} for _ in queries]
        only = qe.Filter(must=[qe.HasIdCondition(point_ids=set(unique))])
        requests = [
            qe.QueryRequest(
                limit=len(unique),
                query=qe.Query.Nearest(list(q.vector), using=q.using),
                filter=only,
                params=qe.SearchParams(exact=True),
                with_payload=False,
            )
            for q in queries
        ]
        batch = self._shard(collection).query_batch(qe.QueryBatchRequest(requests))
        return [{int(p.id): float(p.score) for p in hits} for hits in batch]  # type: ignore[arg-type]

    def search(
        self, collection: Collection, query: VectorQuery, flt: Filter | None = None
    ) -> list[Record]:
        if query.limit <= 0:
            return []
        request = qe.QueryRequest(
            limit=query.limit,
            query=qe.Query.Nearest(list(query.vector), using=query.using),
            filter=to_edge(flt),
            params=edge_params(query.limit),
            with_payload=True,
        )
        return [_to_record(p, p.score) for p in self._shard(collection).query(request)]

    def candidates(
        self, collection: Collection, queries: Sequence[VectorQuery], flt: Filter | None = None
    ) -> list[int]:
        queries = [q for q in queries if q.limit > 0]
        if not queries:
            return []
        hits = self._shard(collection).query(candidate_request(queries, to_edge(flt)))
        hits.sort(key=lambda p: (-p.score, int(p.id)))  # type: ignore[arg-type]
        return [int(p.id) for p in hits]  # type: ignore[arg-type]

    def count(self, collection: Collection, flt: Filter | None = None) -> int:
        return self._shard(collection).count(qe.CountRequest(exact=True, filter=to_edge(flt)))

    def facet(
        self, collection: Collection, key: str, flt: Filter | None = None, limit: int = 100
    ) -> dict[str, int]:
        request = qe.FacetRequest(key=key, limit=limit, exact=True, filter=to_edge(flt))
        return {str(h.value): h.count for h in self._shard(collection).facet(request).hits}

    def _raw_scroll(
        self,
        collection: Collection,
        flt: Filter | None,
        n: int,
        order: Order | None,
        with_vectors: Sequence[str],
    ) -> list[tuple[Record, float]]:
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
        found = self._shard(collection).scroll(request)[0]
        return [(_to_record(p), float(p.order_value or 0.0)) for p in found]

    def apply(self, collection: Collection, changes: Sequence[Change]) -> None:
        shard = self._shard(collection)
        for change in changes:
            shard.update(operation(change))
        if collection == ARTICLES:
            # Every point an update touches leaves its indexed segment for an unindexed one,
            # which each search then scans: `EdgeStore.reindexed` starts a fresh copy.
            self.journal.extend(changes)
            self.written += sum(_size(c) for c in changes)

    def close(self) -> None:
        for name in list(self._shards):
            self._shards.pop(name)
            _SHARDS.release(next(p for p in self._paths if p.name == name))
        if self._on_close is not None:
            self._on_close()
            self._on_close = None
