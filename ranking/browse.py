"""Filtered browsing with facets and sorts, and trending (DESIGN §6 `GET /articles`, `/trending`).

With a text query `q`, the matching set is the `SEMANTIC_TOP` articles nearest to the query's
text embedding under the other filters (semantic retrieval has no natural cut-off); sorts,
counts and facets then apply to that set through an id condition. Pages come from the store;
counts, facets, price bounds and trending's ranking from the snapshot's columns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from core.settings import Settings
from core.store.base import Filter, Record, VectorQuery
from ranking.index import Snapshot
from ranking.request import ListFilters, to_store
from ranking.rules import Arrange, Ref, both, rearrange

Sort = Literal["relevance", "price_asc", "price_desc", "newest", "trending"]
SEMANTIC_TOP = 200
#: Articles scanned for a collapsed trending list (one per product_code).
TRENDING_POOL = 300
#: Facet name → payload field; "category" also filters product_group_name.
FACETS = {
    "category": "product_type_name",
    "product_group": "product_group_name",
    "colour": "colour_group_name",
    "index_group": "index_group_name",
}
_FILTER_OF_FACET = {
    "category": "category",
    "product_group": "category",
    "colour": "colour",
    "index_group": "index_group",
}
_ORDER: dict[str, tuple[str, Literal["asc", "desc"]]] = {
    "relevance": ("trend_score", "desc"),
    "trending": ("trend_score", "desc"),
    "price_asc": ("price", "asc"),
    "price_desc": ("price", "desc"),
    "newest": ("first_sale_day", "desc"),
}


@dataclass
class BrowsePage:
    records: list[Record]
    scores: list[float | None]
    total: int
    facets: dict[str, dict[str, int]]
    price_range: tuple[float, float] | None
    #: Per record, the merchandising rules that moved it.
    rules: list[list[Ref]] | None = None


def _semantic_ids(snap: Snapshot, flt: Filter, q_vec: list[float]) -> tuple[list[int], list[float]]:
    hits = snap.reader.search("articles", VectorQuery("text", q_vec, SEMANTIC_TOP), flt)
    return [h.id for h in hits], [float(h.score or 0.0) for h in hits]


def _filter(
    snap: Snapshot, settings: Settings, f: ListFilters, q_vec: list[float] | None
) -> tuple[Filter, list[int], list[float]]:
    """The store filter for ``f``, restricted to the semantic matches of ``q`` when given."""
    flt = to_store(f, settings.shop.price_multiplier)
    if q_vec is None:
        return flt, [], []
    ids, scores = _semantic_ids(snap, flt, q_vec)
    return replace(flt, only_ids=tuple(ids)), ids, scores


def browse(
    snap: Snapshot,
    settings: Settings,
    f: ListFilters,
    *,
    q_vec: list[float] | None,
    sort: Sort,
    limit: int,
    offset: int,
    arrange: Arrange | None = None,
) -> BrowsePage:
    """One page of the filtered catalog, its total, facets and price range. ``arrange``: the
    rules' boosts and pins, on the relevance and trending orders only (a shopper's own sort
    by price or newness is kept as asked)."""
    flt, ids, sims = _filter(snap, settings, f, q_vec)
    moved: list[list[Ref]] | None = None
    if arrange is not None and sort in ("relevance", "trending"):
        if q_vec is not None and sort == "relevance":
            ordered, by_score = ids, dict(zip(ids, sims, strict=True))
        else:
            n = max(TRENDING_POOL, 3 * (offset + limit))
            pool = snap.columns.top("trend_score", flt, n)
            for target, strength, _ in arrange.boosts:
                if strength > 0:  # a bury needs nothing from further down
                    pool += snap.columns.top("trend_score", both(flt, target), n)
            ranked = sorted({r.id: r for r in pool}.values(), key=_by_trend)
            ordered, by_score = [r.id for r in ranked], {}
        placed, refs = rearrange(ordered, arrange, snap.columns, flt, collapse=False)
        page_ids = placed[offset : offset + limit]
        records = snap.reader.retrieve("articles", page_ids)
        scores: list[float | None] = [by_score.get(i) for i in page_ids]
        total = len(ids) if q_vec is not None else snap.columns.count(flt)
        moved = [refs.get(i, []) for i in page_ids]
    elif q_vec is not None and sort == "relevance":
        records = snap.reader.retrieve("articles", ids[offset : offset + limit])
        scores = list(sims[offset : offset + limit])
        total = len(ids)
    else:
        records = snap.reader.scroll(
            "articles", flt, order_by=_ORDER[sort], limit=limit, offset=offset
        )
        scores = [None] * len(records)
        total = snap.columns.count(flt)
    return BrowsePage(
        records=records,
        scores=scores,
        total=total,
        facets=facets(snap, settings, f, q_vec),
        price_range=price_range(snap, settings, f, q_vec),
        rules=moved,
    )


def _by_trend(r: Record) -> tuple[float, int]:
    return (-float(r.payload.get("trend_score") or 0.0), r.id)


def facets(
    snap: Snapshot, settings: Settings, f: ListFilters, q_vec: list[float] | None
) -> dict[str, dict[str, int]]:
    """Counts per value of each facet field under the *other* active filters."""
    out: dict[str, dict[str, int]] = {}
    for name, key in FACETS.items():
        flt, _, _ = _filter(snap, settings, f.without(_FILTER_OF_FACET[name]), q_vec)
        out[name] = snap.columns.facet(key, flt, limit=200)
    return out


def price_range(
    snap: Snapshot, settings: Settings, f: ListFilters, q_vec: list[float] | None
) -> tuple[float, float] | None:
    """Lowest and highest shop price under every filter except the price range."""
    flt, _, _ = _filter(snap, settings, f.without("price"), q_vec)
    bounds = snap.columns.bounds("price", flt)
    if bounds is None:
        return None
    m = settings.shop.price_multiplier
    return round(float(bounds[0]) * m, 2), round(float(bounds[1]) * m, 2)


def trending(
    snap: Snapshot,
    settings: Settings,
    f: ListFilters,
    *,
    window_days: int,
    limit: int,
    offset: int,
    collapse: bool,
    live: dict[int, int] | None = None,
    arrange: Arrange | None = None,
) -> tuple[list[Record], int, list[list[Ref]] | None]:
    """Top sellers of the last `window_days` days under the filters (ties by article id);
    ``live``: purchases logged since the build in that window, per article point id, added to
    the built counts (the records carry the sum); ``arrange``: the rules' boosts and pins
    (per record, the rules that moved it, third)."""
    flt = to_store(f, settings.shop.price_multiplier)
    key = "sales_7d" if window_days == 7 else "sales_30d"
    if arrange is not None:
        return _trending_arranged(snap, flt, key, live or {}, limit, offset, collapse, arrange)
    if live:
        return (*_trending_live(snap, flt, key, live, limit, offset, collapse), None)
        return _trending_live(snap, flt, key, live, limit, offset, collapse)
    if not collapse:
        records = snap.reader.scroll(
            "articles", flt, order_by=(key, "desc"), limit=limit, offset=offset
        )
        return records, snap.columns.count(flt), None
    # Rank and collapse the slim rows, widening the pool until it holds the page's products;
    # only the page is read in full.
    n = max(TRENDING_POOL, 3 * (offset + limit))
    while True:
        pool = snap.columns.top(key, flt, n)
        kept = _best_of_each_product(pool)
        if len(kept) >= offset + limit or len(pool) < n:
            break
        n *= 4
    page = snap.reader.retrieve("articles", [r.id for r in kept[offset : offset + limit]])
    return page, snap.columns.distinct("product_code", flt, having=key), None


def _trending_arranged(
    snap: Snapshot,
    flt: Filter,
    key: str,
    live: dict[int, int],
    limit: int,
    offset: int,
    collapse: bool,
    arrange: Arrange,
) -> tuple[list[Record], int, list[list[Ref]]]:
    """Trending with rules: the ranked pool (the built top, what sold since the build, and the
    top of each boost's targets, so a boost can lift an article from further down), boosted on
    the rank score, collapsed, pinned, paged."""
    columns = snap.columns
    n = max(TRENDING_POOL, 3 * (offset + limit))
    pool = columns.top(key, flt, n)
    for target, strength, _ in arrange.boosts:
        if strength > 0:  # a bury needs nothing from further down
            pool += columns.top(key, both(flt, target), n)
    if live:
        ids = np.array(list(live), dtype=np.int64)
        rows = columns.rows(ids)
        ok = rows >= 0
        ok[ok] = columns.mask(flt)[rows[ok]]
        pool += columns.records(ids[ok].tolist())
    merged = {r.id: r for r in pool}

    def sold(pid: int, payload: dict[str, object]) -> int:
        return int(float(payload.get(key) or 0)) + live.get(pid, 0)  # type: ignore[arg-type]

    total = {i: sold(i, r.payload) for i, r in merged.items()}
    ranked = sorted(merged, key=lambda i: (-total[i], i))

    def best_of_each(ids: list[int]) -> list[int]:
        seen: set[object] = set()
        out = []
        for i in ids:
            code = columns.payload_of(i).get("product_code")
            if code not in seen:
                seen.add(code)
                out.append(i)
        return out

    placed, refs = rearrange(
        ranked,
        arrange,
        columns,
        flt,
        collapse=collapse,
        collapse_of=best_of_each if collapse else None,
    )
    page_ids = placed[offset : offset + limit]
    page = snap.reader.retrieve("articles", page_ids)
    for r in page:
        r.payload[key] = sold(r.id, r.payload) if r.id not in total else total[r.id]
    count = columns.distinct("product_code", flt, having=key) if collapse else columns.count(flt)
    return page, count, [refs.get(r.id, []) for r in page]


def _trending_live(
    snap: Snapshot,
    flt: Filter,
    key: str,
    live: dict[int, int],
    limit: int,
    offset: int,
    collapse: bool,
) -> tuple[list[Record], int]:
    """Trending with the logged purchases added: the built top ``n`` plus every article sold
    since the build (an article outside both sold no more than the built top's last)."""
    columns = snap.columns
    ids = np.array(list(live), dtype=np.int64)
    rows = columns.rows(ids)
    ok = rows >= 0
    ok[ok] = columns.mask(flt)[rows[ok]]
    sold = columns.records(ids[ok].tolist())
    n = max(TRENDING_POOL, 3 * (offset + limit))
    while True:
        pool = columns.top(key, flt, n)
        merged = {r.id: r for r in [*pool, *sold]}
        total = {i: float(r.payload.get(key) or 0) + live.get(i, 0) for i, r in merged.items()}
        ranked = sorted(merged.values(), key=lambda r: (-total[r.id], r.id))
        kept = _best_of_each_product(ranked) if collapse else ranked
        if len(kept) >= offset + limit or len(pool) < n:
            break
        n *= 4
    page = snap.reader.retrieve("articles", [r.id for r in kept[offset : offset + limit]])
    for r in page:
        r.payload[key] = int(total[r.id])
    count = columns.distinct("product_code", flt, having=key) if collapse else columns.count(flt)
    return page, count


def _best_of_each_product(ranked: list[Record]) -> list[Record]:
    """The first (best-selling) record of each product_code, in order."""
    seen: set[str] = set()
    kept = []
    for r in ranked:
        if r.payload["product_code"] not in seen:
            seen.add(r.payload["product_code"])
            kept.append(r)
    return kept
