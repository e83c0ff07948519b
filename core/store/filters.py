"""The domain `Filter` translated for each engine, and the engine-neutral query helpers.

Both engines evaluate the translated filter themselves (payload indexes, filtered HNSW), so a
result list is never thinned out afterwards and counts, facets and limits stay exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Literal

import qdrant_edge as qe
from qdrant_client import models as qm

from core.errors import InvalidInput
from core.store.base import AnyOf, Collection, Condition, Filter, Match, Range, Record

#: Beam width of the HNSW search. At 105k clustered vectors (bench/query.py) 128 gave
#: recall@12 0.986 under shop filters and 256 gave 0.994, for about 1 ms more per query.
HNSW_EF = 256

_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_version_name(version: str) -> str:
    """A version names a folder and a collection suffix: letters, digits, ``._-``, no ``__``."""
    if not _VERSION_RE.match(version) or "__" in version:
        raise InvalidInput(
            "version", f"{version!r} must be 1-64 of [A-Za-z0-9._-], not starting with '.' or '-'"
        )
    return version


def hnsw_ef(limit: int) -> int:
    return max(HNSW_EF, limit)


#: The candidate search of a ranked list (one prefetch per signal) walks the int8 copies only:
#: every candidate is re-scored exactly afterwards (`ranking.pool`), so the engine's own
#: rescoring on the float vectors would be paid twice. Judged by the served page's agreement
#: with the exact blend (bench/served.py), not by the recall of each prefetch.
CANDIDATE_RESCORE = False
#: Beam width of the candidate search; at least the prefetch size.
CANDIDATE_EF = 100


def candidate_ef(limit: int) -> int:
    return max(CANDIDATE_EF, limit)


def candidate_params(limit: int) -> qe.SearchParams:
    """Edge search params of a ranked list's candidate prefetch."""
    if CANDIDATE_RESCORE:
        walk = qe.QuantizationSearchParams(rescore=True, oversampling=2.0)
    else:
        walk = qe.QuantizationSearchParams(rescore=False, oversampling=1.0)
    return qe.SearchParams(hnsw_ef=candidate_ef(limit), quantization=walk)


def edge_params(limit: int) -> qe.SearchParams:
    """Graph walk on the int8 vectors with twice the candidates, rescored on the originals:
    as accurate as the float walk (recall@12 0.994 vs 0.994) and cheaper per step."""
    rescore = qe.QuantizationSearchParams(rescore=True, oversampling=2.0)
    return qe.SearchParams(hnsw_ef=hnsw_ef(limit), quantization=rescore)


# --- Qdrant Edge -------------------------------------------------------------------------------


def _edge_leaf(cond: Match | Range) -> qe.FieldCondition:
    if isinstance(cond, Match):
        return qe.FieldCondition(key=cond.key, match=qe.MatchAny(any=list(cond.values)))
    return qe.FieldCondition(key=cond.key, range=qe.RangeFloat(gte=cond.gte, lte=cond.lte))


def to_edge(flt: Filter | None) -> qe.Filter | None:
    """The Edge filter for ``flt`` (None when there is nothing to filter)."""
    if flt is None or flt.is_empty():
        return None
    must: list[Any] = [_edge_condition(c) for c in flt.must]
    if flt.only_ids is not None:
        must.append(qe.HasIdCondition(point_ids=set(flt.only_ids)))
    must_not: list[Any] = [_edge_leaf(c) for c in flt.must_not]
    # A group that must not hold as a whole: a nested filter whose `must` is the group.
    must_not += [qe.Filter(must=[_edge_condition(c) for c in g]) for g in flt.none_of]
    if flt.exclude_ids:
        must_not.append(qe.HasIdCondition(point_ids=set(flt.exclude_ids)))
    return qe.Filter(must=must or None, must_not=must_not or None)


def _edge_condition(cond: Condition) -> Any:
    if isinstance(cond, AnyOf):
        # A nested filter whose `should` list means "at least one holds".
        return qe.Filter(should=[_edge_leaf(c) for c in cond.conditions])
    return _edge_leaf(cond)


# --- Qdrant server (qdrant-client) -------------------------------------------------------------


def _server_leaf(cond: Match | Range) -> qm.FieldCondition:
    if isinstance(cond, Match):
        return qm.FieldCondition(key=cond.key, match=qm.MatchAny(any=list(cond.values)))
    return qm.FieldCondition(key=cond.key, range=qm.Range(gte=cond.gte, lte=cond.lte))


def to_server(flt: Filter | None) -> qm.Filter | None:
    """The qdrant-client filter for ``flt`` (None when there is nothing to filter)."""
    if flt is None or flt.is_empty():
        return None
    must: list[qm.Condition] = [_server_condition(c) for c in flt.must]
    if flt.only_ids is not None:
        must.append(qm.HasIdCondition(has_id=list(flt.only_ids)))
    must_not: list[qm.Condition] = [_server_leaf(c) for c in flt.must_not]
    must_not += [qm.Filter(must=[_server_condition(c) for c in g]) for g in flt.none_of]
    if flt.exclude_ids:
        must_not.append(qm.HasIdCondition(has_id=list(flt.exclude_ids)))
    return qm.Filter(must=must or None, must_not=must_not or None)


def _server_condition(cond: Condition) -> qm.Condition:
    if isinstance(cond, AnyOf):
        return qm.Filter(should=[_server_leaf(c) for c in cond.conditions])
    return _server_leaf(cond)


# --- Stable ordering by a payload field --------------------------------------------------------

OrderedFetch = Callable[[Filter | None, int], list[tuple[Record, float]]]
IdFetch = Callable[[Filter | None, int], list[Record]]
Order = tuple[str, Literal["asc", "desc"]]
#: ``raw(flt, n, order)``: the first ``n`` matching records (by id, or by ``order``'s field)
#: with the field's value (0.0 when ordering by id).
RawScroll = Callable[[Filter | None, int, Order | None], list[tuple[Record, float]]]


def paged_scroll(
    raw: RawScroll, flt: Filter | None, order_by: Order | None, limit: int, offset: int
) -> list[Record]:
    """``StoreReader.scroll`` on top of an engine's raw scroll (numeric offset, stable ties)."""
    if limit <= 0:
        return []
    if order_by is None:
        return [r for r, _ in raw(flt, offset + limit, None)[offset:]]
    key, direction = order_by
    return stable_ordered_page(
        lambda f, n: raw(f, n, order_by),
        lambda f, n: [r for r, _ in raw(f, n, None)],
        flt,
        key,
        direction,
        offset,
        limit,
    )


def stable_ordered_page(
    fetch_ordered: OrderedFetch,
    fetch_by_id: IdFetch,
    flt: Filter | None,
    key: str,
    direction: Literal["asc", "desc"],
    offset: int,
    limit: int,
) -> list[Record]:
    """Page ``[offset, offset+limit)`` of the points ordered by ``(key, id)``.

    The engines order by the field only and leave ties in any order, which would let a
    page boundary inside a run of equal values repeat or skip points. So: take the first
    ``n = offset + limit`` points by value; everything strictly before the last value ``v``
    is certainly in the true first ``n``; the rest are points with value ``v``, and of those
    the smallest ids, which a scroll by id under ``flt AND key == v`` gives directly.

    ``fetch_ordered(flt, n)`` returns ``(record, order value)`` best first;
    ``fetch_by_id(flt, n)`` returns records in id order.
    """
    n = offset + limit
    head = fetch_ordered(flt, n)
    if len(head) == n and n > 0:
        last = head[-1][1]
        strict = [(r, v) for r, v in head if v != last]
        base = flt or Filter()
        tie_flt = replace(base, must=(*base.must, Range(key, gte=last, lte=last)))
        head = strict + [(r, last) for r in fetch_by_id(tie_flt, n - len(strict))]
    sign = -1.0 if direction == "desc" else 1.0
    head.sort(key=lambda rv: (sign * rv[1], rv[0].id))
    return [r for r, _ in head[offset:n]]


def keep_order(ids: Sequence[int], records: Sequence[Record]) -> list[Record]:
    """``records`` rearranged into the order of ``ids`` (missing ids skipped, repeats kept)."""
    by_id = {r.id: r for r in records}
    return [by_id[i] for i in ids if i in by_id]


class PagedScroll:
    """`StoreReader.scroll` for an engine reader that implements `_raw_scroll` (one request
    returning ``(record, order value)`` pairs); stable pages come from `paged_scroll`."""

    def _raw_scroll(
        self,
        collection: Collection,
        flt: Filter | None,
        n: int,
        order: Order | None,
        with_vectors: Sequence[str],
    ) -> list[tuple[Record, float]]:
        raise NotImplementedError

    def scroll(
        self,
        collection: Collection,
        flt: Filter | None = None,
        order_by: Order | None = None,
        limit: int = 12,
        offset: int = 0,
        with_vectors: Sequence[str] = (),
    ) -> list[Record]:
        def raw(f: Filter | None, n: int, order: Order | None) -> list[tuple[Record, float]]:
            return self._raw_scroll(collection, f, n, order, with_vectors)

        return paged_scroll(raw, flt, order_by, limit, offset)
