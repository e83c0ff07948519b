"""The personal feed: ALS user·item, text and image taste, preference boosts, reasons; trending
and favourites for a cold start (DESIGN §5)."""

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
    pool_size,
    score_pool,
    weights_of,
)
from ranking.request import ListFilters, Page, to_store
from ranking.taste import Recent, article_matrix, load_customer, tastes

TRENDING_CANDIDATES = 50
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
    """The feed's scored candidates (before the blend) and the customer's recent purchases;
    ``activity``: what the customer did since the version was built (the event log)."""
    cust = load_customer(snap, customer_id, activity, settings.live)
    text_taste, image_taste, recent = tastes(snap, settings, cust, prefs)
    bought = tuple(point_id(a) for a in cust.bought) if exclude_bought else ()
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
    plan.extra_ids = [r.id for r in trending] + _favourite_ids(snap, flt, prefs, text_taste)
    boost = _with_colourways(
        snap, cust.bought, preference_boost(prefs, settings.shop.price_multiplier), settings
    )
    if not plan.queries:
        boost = _with_trend(boost, trending)
    return score_pool(snap.reader, snap.columns, plan, flt, boost, snap.vectors), recent


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
    return ranked, _feed_reasons(ranked, recent, pages)


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
