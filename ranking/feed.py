"""The personal feed: ALS user·item, text and image taste, preference boosts, reasons; trending
and favourites for a cold start (DESIGN §5); what the customer buys again, what is bought with
their purchases and other colours of them (`scoring.sources`); ordered by the blend or by the
version's learned ranker (`scoring.learned`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from core.catalog import point_id
from core.events import Activity
from core.preferences import Preferences
from core.settings import Settings
from core.store.base import AnyOf, Filter, Match, Record, VectorQuery
from ranking.index import Snapshot
from ranking.pool import (
    Boost,
    Plan,
    Pool,
    Ranked,
    hydrate,
    page_of,
    score_pool,
    weights_of,
)
from ranking.request import ListFilters, Page, to_store
from ranking.taste import Customer, Recent, article_matrix, load_customer, tastes
from scoring.blend import blend
from scoring.learned import Items, Shopper, features
from scoring.sources import (
    COLOURWAY_CANDIDATES,
    COPURCHASE_HALF_LIFE_DAYS,
    TRENDING_CANDIDATES,
    FloatArray,
    IntArray,
    pool_size,
    rebuy_reason,
    rebuy_scores,
)

FAVOURITE_CANDIDATES = 50


def preference_boost(prefs: Preferences | None, multiplier: float) -> Boost | None:
    """Soft boosts: favourite category +0.20, favourite colour +0.15, outside price range −0.20."""
    if prefs is None:
        return None
    cats = {c.lower() for c in prefs.favourite_categories}
    cols = {c.lower() for c in prefs.favourite_colours}

    def boost(p: dict[str, Any]) -> tuple[float, str]:
        b, why = 0.0, []
        if cats & {p["product_type_name"].lower(), p["product_group_name"].lower()}:
            b += 0.2
            why.append(f"a favourite category ({p['product_type_name']})")
        if p["colour_group_name"].lower() in cols:
            b += 0.15
            why.append(f"in your colour {p['colour_group_name'].lower()}")
        # The price the shop shows (to the cent), as the price filter compares it.
        price = round(float(p["price"]) * multiplier, 2)
        lo, hi = prefs.min_price, prefs.max_price
        if (lo is not None and price < lo) or (hi is not None and price > hi):
            b -= 0.20
        return b, "; ".join(why)

    return boost


def feed_pool(
    snap: Snapshot,
    settings: Settings,
    customer_id: str,
    prefs: Preferences | None,
    filters: ListFilters,
    page: Page,
    *,
    exclude_bought: bool = True,
    activity: Activity | None = None,
) -> tuple[Pool, Recent]:
    """The feed's scored candidates and the customer's recent purchases; ``activity``: what
    the customer did since the version was built (the event log).

    Candidates come from the engine (cf, text and image taste), trending, favourites, and the
    extra sources (`scoring.sources`): what the customer is likely to buy again, what is bought
    together with their recent purchases, and other colours of what they bought. With
    ``exclude_bought`` the articles bought are left out, except those whose buy-again score
    reaches ``ranking.rebuy_threshold``. With ``ranking.ranker = learned`` (and a version
    that has a model) the pool carries the learned ranker's scores."""
    cust = load_customer(snap, customer_id, activity, settings.live)
    text_taste, image_taste, recent = tastes(snap, settings, cust, prefs)
    shopper = shopper_of(snap, cust)
    rebuy = np.zeros(0)
    if shopper is not None:
        rebuy = rebuy_scores(shopper.bought.share, shopper.overall_share, shopper.counts)
    kept = {
        int(k)
        for k, r in zip(shopper.bought.key if shopper else (), rebuy, strict=True)
        if r >= settings.ranking.rebuy_threshold
    }
    bought = (
        tuple(p for p in (point_id(a) for a in cust.bought) if p not in kept)
        if exclude_bought
        else ()
    )
    flt = to_store(filters, settings.shop.price_multiplier, exclude_ids=bought)
    n = pool_size(settings.ranking.candidates, page.limit, page.offset)
    plan = Plan()
    if cust.cf is not None:
        # ALS user·item is a dot product: a graph walk on it misses much of the true top
        # (recall@100 0.67-0.77 at H&M size, whatever the beam), so the cf candidates come
        # from an exact scan of the 64-d factors (as cheap as the walk).
        plan.add("cf", cust.cf, n, exact=True)
    for name, vec in (("text", text_taste), ("image", image_taste)):
        if vec is not None:
            plan.add(name, vec.tolist(), n)
    trending = snap.columns.top("trend_score", flt, TRENDING_CANDIDATES)
    notes: dict[int, str] = {}
    extra = _extra_sources(snap, cust, shopper, rebuy, kept, flt, notes)
    plan.extra_ids = (
        [r.id for r in trending]
        + _favourite_ids(snap, flt, prefs, text_taste)
        + [pid for found in extra.values() for pid in found]
    )
    boost = _with_colourways(
        snap, cust.bought, preference_boost(prefs, settings.shop.price_multiplier), settings
    )
    if not plan.queries:
        boost = _with_trend(boost, trending)
    pool = score_pool(snap.reader, snap.columns, plan, flt, boost, snap.vectors)
    ids = pool.ids.tolist()
    pool.sources = {
        name: np.array([found.get(i, (0.0, 0))[0] for i in ids]) for name, found in extra.items()
    }
    pool.via = {i: extra["copurchase"][i][1] for i in ids if i in extra["copurchase"]}
    pool.notes = notes
    if settings.ranking.ranker == "learned" and len(pool):
        model = snap.ranker
        if model is not None:
            pool.learned = model.score(pool_features(snap, settings, pool, shopper))
    return pool, recent


def _extra_sources(
    snap: Snapshot,
    cust: Customer,
    shopper: Shopper | None,
    rebuy: FloatArray,
    kept: set[int],
    flt: Filter,
    notes: dict[int, str],
) -> dict[str, dict[int, tuple[float, int]]]:
    """Per extra source, point id → (score, the purchase it comes from) of its candidates
    that pass ``flt``; the rebuy source's reasons go into ``notes``."""
    out: dict[str, dict[int, tuple[float, int]]] = {"rebuy": {}, "copurchase": {}, "colourway": {}}
    if shopper is None:
        return out
    cols = snap.columns
    b = shopper.bought
    for k, r, n, share in zip(b.key, rebuy, shopper.counts, b.share, strict=True):
        if int(k) in kept:
            out["rebuy"][int(k)] = (float(r), int(k))
            notes[int(k)] = rebuy_reason(int(n), float(share))
    table = snap.copurchase
    if table is not None and cust.recent:
        rows = snap.article_rows([point_id(a) for a in cust.recent])
        ages = np.maximum(snap.as_of_day - np.array(cust.recent_days, dtype=np.float64), 0)
        known = rows >= 0
        partners, scores, via = table.scored(
            rows[known], 0.5 ** (ages[known] / COPURCHASE_HALF_LIFE_DAYS)
        )
        points = snap.article_points[0]
        out["copurchase"] = {
            int(p): (float(s), int(points[v]))
            for p, s, v in zip(points[partners], scores, via, strict=True)
        }
    bought_rows = cols.rows(shopper.bought.key)
    ways = cols.rows_with("product_code", cols.codes("product_code", bought_rows))
    ways = ways[~np.isin(ways, bought_rows)][:COLOURWAY_CANDIDATES]
    out["colourway"] = {int(cols.ids[r]): (1.0, 0) for r in ways}
    for name, found in out.items():
        pids = np.array(list(found), dtype=np.int64)
        rows = cols.rows(pids)
        ok = rows >= 0
        ok[ok] = cols.matches(flt, rows[ok])
        out[name] = {int(p): found[int(p)] for p in pids[ok]}
    return out


def items_at(snap: Snapshot, rows: IntArray) -> Items:
    """The ranker's facts of the articles at these rows of the columns."""
    c = snap.columns
    ids = np.asarray(c.ids[rows], dtype=np.int64)
    return Items(
        key=ids,
        code=c.codes("product_code", rows).astype(np.int64),
        ptype=c.codes("product_type_name", rows).astype(np.int64),
        dept=c.codes("department_name", rows).astype(np.int64),
        price=c.numbers("price", rows),
        sales_7d=c.numbers("sales_7d", rows),
        sales_30d=c.numbers("sales_30d", rows),
        trend=c.numbers("trend_score", rows),
        first_day=c.numbers("first_sale_day", rows),
        share=_shares(snap, ids),
    )


def _shares(snap: Snapshot, pids: IntArray) -> FloatArray:
    """Each article's smoothed repurchase share (the catalogue's for one the version lacks)."""
    table = snap.customers
    figures = table.article_repurchase if table is not None else None
    if figures is None or not len(figures):
        return np.zeros(len(pids))
    rows = snap.article_rows(pids)
    out: FloatArray = np.where(rows >= 0, figures[np.maximum(rows, 0)], snap.repurchase_overall)
    return out


def shopper_of(snap: Snapshot, cust: Customer) -> Shopper | None:
    """The customer's purchases as the ranker and the rebuy source read them (None: none)."""
    if not cust.bought:
        return None
    pids = np.array([point_id(a) for a in cust.bought], dtype=np.int64)
    rows = snap.columns.rows(pids)
    known = rows >= 0
    if not known.any():
        return None
    counts = np.array(cust.bought_count or [1] * len(pids), dtype=np.float64)[known]
    day_of = dict(zip(cust.recent, cust.recent_days, strict=False))
    last = np.array(
        [float(day_of.get(a, np.nan)) for a, k in zip(cust.bought, known, strict=True) if k]
    )
    return Shopper(
        items_at(snap, rows[known]), counts, last, snap.repurchase_overall, snap.as_of_day
    )


def pool_features(snap: Snapshot, settings: Settings, pool: Pool, shopper: Shopper | None) -> Any:
    """The learned ranker's features of every candidate of the pool."""
    if shopper is None:
        empty = Items(*(np.zeros(0, dtype=np.int64),) * 4, *(np.zeros(0),) * 6)
        shopper = Shopper(empty, np.zeros(0), np.zeros(0), snap.repurchase_overall, snap.as_of_day)
    zero = np.zeros(len(pool))
    blended = blend(pool.norm, weights_of(settings))[0] if pool.norm else zero
    return features(
        items_at(snap, pool.rows),
        pool.norm,
        blended,
        pool.sources.get("copurchase", zero),
        shopper,
    )


def feed(
    snap: Snapshot,
    settings: Settings,
    customer_id: str,
    prefs: Preferences | None,
    filters: ListFilters,
    page: Page,
    *,
    exclude_bought: bool = True,
    activity: Activity | None = None,
) -> tuple[Ranked, list[str]]:
    """The personal feed: ALS user·item, text and image taste; trending for a cold start."""
    pool, recent = feed_pool(
        snap,
        settings,
        customer_id,
        prefs,
        filters,
        page,
        exclude_bought=exclude_bought,
        activity=activity,
    )
    ranked = page_of(
        pool,
        weights_of(settings),
        limit=page.limit,
        offset=page.offset,
        collapse=page.collapse,
        arrange=page.arrange,
    )
    # The reasons compare the page with the purchases: vectors from the engine only for an
    # index without its matrices.
    hydrate(snap.reader, ranked, with_vectors=("text", "image") if snap.vectors is None else ())
    pages = {s: article_matrix(snap, ranked.records, s) for s in ("text", "image")}
    reasons = _feed_reasons(ranked, recent, pages)
    return ranked, _source_reasons(snap, ranked, pool, reasons)


def _source_reasons(snap: Snapshot, ranked: Ranked, pool: Pool, reasons: list[str]) -> list[str]:
    """The extra sources' reasons where they brought the item: a likely rebuy says so; an
    item bought with a recent purchase at least half as often as that purchase's best partner
    names the purchase."""
    at = {int(p): i for i, p in enumerate(pool.ids.tolist())}
    strong = pool.sources.get("copurchase")
    page = [at.get(r.id) for r in ranked.records]
    via = {
        r.id: pool.via[r.id]
        for r, i in zip(ranked.records, page, strict=True)
        if i is not None and strong is not None and strong[i] >= 0.5 and r.id in pool.via
    }
    names = {}
    if via:
        found = snap.reader.retrieve(
            "articles", sorted(set(via.values())), payload_fields=("prod_name",)
        )
        names = {r.id: r.payload["prod_name"] for r in found}
    out = []
    for r, why in zip(ranked.records, reasons, strict=True):
        if r.id in pool.notes:
            out.append(pool.notes[r.id])
        elif r.id in via and via[r.id] in names:
            out.append(f"Often bought with the {names[via[r.id]]} you bought")
        else:
            out.append(why)
    return out


def _favourite_ids(
    snap: Snapshot, flt: Filter, prefs: Preferences | None, text_taste: Any
) -> list[int]:
    """Candidates in the customer's favourite categories or colours, so boosts can act on them:
    nearest to the text taste when there is one, else the trending ones."""
    if prefs is None or not (prefs.favourite_categories or prefs.favourite_colours):
        return []
    cats, cols = tuple(prefs.favourite_categories), tuple(prefs.favourite_colours)
    conds = [Match("product_type_name", cats), Match("product_group_name", cats)] if cats else []
    conds += [Match("colour_group_name", cols)] if cols else []
    fav = replace(flt, must=(*flt.must, AnyOf(tuple(conds))))
    if text_taste is not None:
        query = VectorQuery("text", list(map(float, text_taste)), FAVOURITE_CANDIDATES)
        return [r.id for r in snap.reader.search("articles", query, fav)]
    found = snap.reader.scroll(
        "articles", fav, order_by=("trend_score", "desc"), limit=FAVOURITE_CANDIDATES
    )
    return [r.id for r in found]


def _with_colourways(
    snap: Snapshot, bought: list[str], boost: Boost | None, settings: Settings
) -> Boost | None:
    """Other colours of a product the customer bought: up by the setting's amount for a
    customer who has bought two colours of one product (they do swap colours), down by it for
    one who never has."""
    amount = settings.live.colourway_boost
    if not bought or amount == 0:
        return boost
    rows = snap.columns.rows(np.array([point_id(a) for a in bought], dtype=np.int64))
    codes = [snap.columns.payload(int(r))["product_code"] for r in rows if r >= 0]
    products = set(codes)
    step = amount if len(products) < len(codes) else -amount

    def colourway_boost(p: dict[str, Any]) -> tuple[float, str]:
        b, why = boost(p) if boost else (0.0, "")
        return (b + step, why) if p["product_code"] in products else (b, why)

    return colourway_boost


def _with_trend(boost: Boost | None, trending: list[Record]) -> Boost:
    """Cold start with no signal: order by trend rank (a small decreasing boost) plus prefs."""
    rank_of = {r.payload["article_id"]: i for i, r in enumerate(trending)}

    def trend_boost(p: dict[str, Any]) -> tuple[float, str]:
        b, why = boost(p) if boost else (0.0, "")
        r = rank_of.get(p["article_id"])
        t = 0.0 if r is None else 0.1 * (1 - r / max(len(rank_of), 1))
        return b + t, why or "Trending now"

    return trend_boost


def _feed_reasons(ranked: Ranked, recent: Recent, pages: dict[str, Any]) -> list[str]:
    """Why each item is in the feed: its strongest part, named after the purchase or view it is
    most like when that part is text or image (another colour of that very product says so);
    on ties the concrete reasons (text, image) win."""
    nearest = {s: recent.nearest(pages[s], s) for s in ("text", "image")}
    out = []
    for i, parts in enumerate(ranked.parts):
        boost_reason = ranked.boosts[i][1]
        values = {s: parts[s] or 0.0 for s in ("text", "image", "cf")}
        top = max(values, key=lambda s: values[s])
        if values[top] <= 0:
            out.append(boost_reason or "Trending now")
            continue
        j = nearest[top][i] if top != "cf" else None
        if top == "cf":
            why = "Popular with shoppers who buy what you buy"
        elif j is None:
            why = "Matches your style"
        else:
            name, verb = recent.names[top][j], recent.verbs[top][j]
            if recent.codes[top][j] == ranked.records[i].payload.get("product_code"):
                why = f"The {name} you {verb}, in another colour"
            else:
                why = f"{'Looks like' if top == 'image' else 'Goes with'} the {name} you {verb}"
        out.append(f"{why}; {boost_reason}" if boost_reason else why)
    return out
