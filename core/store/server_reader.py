"""Reads one version's collections on a Qdrant server (see `core.store.server`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import ParamSpec, TypeVar, cast

from qdrant_client import QdrantClient
from qdrant_client import models as qm
from qdrant_client.http.exceptions import ResponseHandlingException

from core.errors import NotFound, StoreUnavailable
from core.store.base import (
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
from core.store.filters import Order, PagedScroll, candidate_ef, hnsw_ef, keep_order, to_server

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")


def guarded(retries: int, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(*args, **kwargs)``; a connection failure or timeout is retried ``retries`` times
    (every call here is idempotent), then raised as StoreUnavailable."""
    for attempt in range(retries + 1):
        try:
            return call(*args, **kwargs)
        except ResponseHandlingException as exc:  # qdrant-client's "could not reach the server"
            if attempt == retries:
                raise StoreUnavailable(f"Qdrant server unreachable: {exc}") from exc
            log.warning("Qdrant call failed (%s), retry %d of %d", exc, attempt + 1, retries)
            time.sleep(0.2 * 2**attempt)
    raise AssertionError("unreachable")


def _to_record(p: qm.Record | qm.ScoredPoint, score: float | None = None) -> Record:
    vec = p.vector
    vectors = cast(dict[str, list[float]], dict(vec)) if isinstance(vec, dict) else {}
    return Record(id=int(p.id), payload=dict(p.payload or {}), vectors=vectors, score=score)


class ServerReader(PagedScroll, StoreReader):
    """One version of the index on the server; the client is shared and owned by the store."""

    def __init__(
        self, client: QdrantClient, version: str, names: dict[Collection, str], retries: int = 0
    ) -> None:
        self.version = version
        self._client = client
        self._names = names
        self._retries = retries

    def _name(self, collection: Collection) -> str:
        if collection not in self._names:
            raise NotFound("collection", f"{collection} in version {self.version}")
        return self._names[collection]

    def retrieve(
        self,
        collection: Collection,
        ids: Sequence[int],
        with_vectors: Sequence[str] = (),
        payload_fields: Sequence[str] | None = None,
    ) -> list[Record]:
        if not ids:
            return []
        name, unique = self._name(collection), list(dict.fromkeys(ids))
        vectors: list[str] | bool = list(with_vectors) or False
        found = guarded(
            self._retries,
            self._client.retrieve,
            name,
            unique,
            with_payload=True if payload_fields is None else list(payload_fields),
            with_vectors=vectors,
        )
        return keep_order(ids, [_to_record(p) for p in found])

    def score_ids_many(
        self, collection: Collection, queries: Sequence[VectorQuery], ids: Sequence[int]
    ) -> list[dict[int, float]]:
        unique = list(dict.fromkeys(ids))
        if not unique or not queries:
            return [{} for _ in queries]
        only = qm.Filter(must=[qm.HasIdCondition(has_id=unique)])  # type: ignore[arg-type]
        requests = [
            qm.QueryRequest(
                query=list(q.vector),
                using=q.using,
                filter=only,
                limit=len(unique),
                params=qm.SearchParams(exact=True),
                with_payload=False,
            )
            for q in queries
        ]
        responses = guarded(
            self._retries, self._client.query_batch_points, self._name(collection), requests
        )
        return [{int(p.id): float(p.score) for p in r.points} for r in responses]

    def search(
        self, collection: Collection, query: VectorQuery, flt: Filter | None = None
    ) -> list[Record]:
        if query.limit <= 0:
            return []
        name = self._name(collection)
        response = guarded(
            self._retries,
            self._client.query_points,
            name,
            query=list(query.vector),
            using=query.using,
            query_filter=to_server(flt),
            limit=query.limit,
            search_params=qm.SearchParams(hnsw_ef=hnsw_ef(query.limit)),
            with_payload=True,
        )
        return [_to_record(p, p.score) for p in response.points]

    def candidates(
        self, collection: Collection, queries: Sequence[VectorQuery], flt: Filter | None = None
    ) -> list[int]:
        queries = [q for q in queries if q.limit > 0]
        if not queries:
            return []
        name, server_flt = self._name(collection), to_server(flt)
        prefetch = [
            qm.Prefetch(
                query=list(q.vector),
                using=q.using,
                limit=q.limit,
                filter=server_flt,
                params=qm.SearchParams(hnsw_ef=candidate_ef(q.limit)),
            )
            for q in queries
        ]
        response = guarded(
            self._retries,
            self._client.query_points,
            name,
            prefetch=prefetch,
            query=qm.RrfQuery(rrf=qm.Rrf(k=60)),
            query_filter=server_flt,
            limit=sum(q.limit for q in queries),
            with_payload=False,
        )
        hits = sorted(response.points, key=lambda p: (-p.score, int(p.id)))
        return [int(p.id) for p in hits]

    def count(self, collection: Collection, flt: Filter | None = None) -> int:
        name = self._name(collection)
        flt_ = to_server(flt)
        return guarded(self._retries, self._client.count, name, count_filter=flt_, exact=True).count

    def facet(
        self, collection: Collection, key: str, flt: Filter | None = None, limit: int = 100
    ) -> dict[str, int]:
        name = self._name(collection)
        response = guarded(
            self._retries,
            self._client.facet,
            name,
            key,
            facet_filter=to_server(flt),
            limit=limit,
            exact=True,
        )
        return {str(h.value): h.count for h in response.hits}

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
            direction = qm.Direction.DESC if order[1] == "desc" else qm.Direction.ASC
            order_by = qm.OrderBy(key=order[0], direction=direction)
        records, _ = guarded(
            self._retries,
            self._client.scroll,
            self._name(collection),
            scroll_filter=to_server(flt),
            limit=n,
            order_by=order_by,
            with_payload=True,
            with_vectors=list(with_vectors) or False,
        )
        return [(_to_record(p), float(cast(float, p.order_value or 0.0))) for p in records]

    def apply(self, collection: Collection, changes: Sequence[Change]) -> None:
        name = self._name(collection)
        for change in changes:
            if isinstance(change, Upsert):
                points = [
                    qm.PointStruct(id=p.id, vector=dict(p.vectors), payload=p.payload)
                    for p in change.points
                ]
                guarded(self._retries, self._client.upsert, name, points=points, wait=True)
            elif isinstance(change, SetPayload):
                guarded(
                    self._retries,
                    self._client.set_payload,
                    name,
                    payload=dict(change.payload),
                    points=list(change.ids),
                    wait=True,
                )
            elif isinstance(change, Delete):
                selector = qm.PointIdsList(points=list(change.ids))
                guarded(
                    self._retries, self._client.delete, name, points_selector=selector, wait=True
                )
            else:
                raise TypeError(f"not a store change: {change!r}")

    def close(self) -> None:
        """Nothing to release: the connection belongs to the store."""
