"""Personal feed, similar items and semantic search: plans for the ranking engine (DESIGN §5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from api.filters import ListFilters, to_store
from api.index import Snapshot
from api.ranking import (
    Boost,
    Plan,
    Pool,
    Ranked,
    hydrate,
    page_of,
    pool_size,
    rank_candidates,
    score_pool,
)
from api.schemas import Preferences
from core.catalog import point_id, unpack
from core.errors import NotFound
from core.settings import Settings
from core.store.base import AnyOf, Filter, Match, Record, VectorQuery
from scoring.blend import Weights

#: How much of the text taste the customer's free-text style makes up when both exist.
STYLE_SHARE = 0.5
TRENDING_CANDIDATES = 50
FAVOURITE_CANDIDATES = 50


@dataclass
class Page:
    limit: int = 12
    offset: int = 0
    collapse: bool = True


@dataclass
class Customer:
    """What the feed knows of a customer: cf vector, recent purchases, bought set."""

    customer_id: str
    cf: list[float] | None = None
    recent: list[str] = field(default_factory=list)
    recent_days: list[int] = field(default_factory=list)
    bought: list[str] = field(default_factory=list)


def weights_of(settings: Settings) -> Weights:
    r = settings.ranking
    return Weights(cf=r.w_cf, text=r.w_text, image=r.w_image)


def load_customer(snap: Snapshot, customer_id: str) -> Customer:
    """The indexed customer, or an empty one (cold start) when the index does not know them."""
    found = snap.reader.retrieve("customers", [point_id(customer_id)], with_vectors=["cf"])
    if not found:
        return Customer(customer_id)
    p = found[0].payload
    cf = found[0].vectors.get("cf")
    has_cf = cf is not None and p.get("n_purchases", 0) > 0 and float(np.linalg.norm(cf)) > 0
    return Customer(
        customer_id,
        cf=list(cf) if has_cf and cf is not None else None,
        recent=unpack(p.get("recent")),
        recent_days=[int(d) for d in unpack(p.get("recent_days"))],
        bought=unpack(p.get("bought")),
    )


def _taste(vectors: npt.ArrayLike, weights: npt.ArrayLike) -> Any:
    """Weighted mean direction of ``vectors`` (rows, each scaled to unit length; a zero row
    adds nothing), or None when there is none."""
    m = np.asarray(vectors, dtype=np.float64)
    if not len(m):
        return None
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    acc = np.asarray(weights, dtype=np.float64) @ (m / np.where(norms == 0, 1.0, norms))
    norm = float(np.linalg.norm(acc))
    return None if norm == 0 else acc / norm


@dataclass
class Recent:
    """The customer's recent purchases that have a vector, per signal: unit rows, decay weights
    and product names (what the tastes are made of and the feed's reasons point to)."""

    unit: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    weight: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)

    def taste(self, signal: str) -> Any:
        """Decay-weighted mean direction of the purchases' vectors (None without any)."""
        return _taste(self.unit[signal], self.weight[signal]) if signal in self.unit else None

    def nearest(self, records: Sequence[Record], signal: str) -> list[str | None]:
        """For each record, the name of the purchase most like it by ``signal`` (cosine)."""
        out: list[str | None] = [None] * len(records)
        rows = [i for i, r in enumerate(records) if r.vectors.get(signal)]
        if signal not in self.unit or not rows:
            return out
        page = np.array([records[i].vectors[signal] for i in rows], dtype=np.float64)
        # Argmax over unit purchase rows: the record's own norm does not change the winner.
        for i, j in zip(rows, (page @ self.unit[signal].T).argmax(axis=1), strict=True):
            out[i] = self.names[signal][int(j)]
        return out


def _recent(snap: Snapshot, settings: Settings, cust: Customer) -> Recent:
    recs = snap.reader.retrieve(
        "articles",
        [point_id(a) for a in cust.recent],
        with_vectors=["text", "image"],
        payload_fields=("article_id", "prod_name"),  # what decay and the reasons read
    )
    day_of = dict(zip(cust.recent, cust.recent_days, strict=False))
    half_life = settings.models.decay_half_life_days
    recent = Recent()
    for name in ("text", "image"):
        have = [r for r in recs if r.vectors.get(name)]
        if not have:
            continue
        m = np.array([r.vectors[name] for r in have], dtype=np.float64)
        norms = np.linalg.norm(m, axis=1)
        keep = norms > 0
        if not keep.any():
            continue
        ages = np.array(
            [snap.as_of_day - day_of.get(r.payload["article_id"], snap.as_of_day) for r in have],
            dtype=np.float64,
        )
        recent.unit[name] = m[keep] / norms[keep, None]
        recent.weight[name] = (0.5 ** (np.maximum(ages, 0) / half_life))[keep]
        recent.names[name] = [r.payload["prod_name"] for r, k in zip(have, keep, strict=True) if k]
    return recent


def _tastes(
    snap: Snapshot, settings: Settings, cust: Customer, prefs: Preferences | None
) -> tuple[Any, Any, Recent]:
    """Time-decayed text and image tastes from recent purchases, style text mixed in."""
    recent = _recent(snap, settings, cust)
    text_taste, image_taste = recent.taste("text"), recent.taste("image")
    if prefs is not None and prefs.style.strip():
        style = np.asarray(snap.embed_text(prefs.style), dtype=np.float64)
        text_taste = (
            style
            if text_taste is None
            else _taste([text_taste, style], [1 - STYLE_SHARE, STYLE_SHARE])
        )
    return text_taste, image_taste, recent


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
        price = float(p["price"]) * multiplier
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
) -> tuple[Pool, Recent]:
    """The feed's scored candidates (before the blend) and the customer's recent purchases."""
    cust = load_customer(snap, customer_id)
    text_taste, image_taste, recent = _tastes(snap, settings, cust, prefs)
    bought = tuple(point_id(a) for a in cust.bought) if exclude_bought else ()
    flt = to_store(filters, settings.shop.price_multiplier, exclude_ids=bought)
    n = pool_size(settings.ranking.candidates, page.limit, page.offset)
    plan = Plan()
    if cust.cf is not None:
        plan.add("cf", cust.cf, n)
    for name, vec in (("text", text_taste), ("image", image_taste)):
        if vec is not None:
            plan.add(name, vec.tolist(), n)
    trending = snap.columns.top("trend_score", flt, TRENDING_CANDIDATES)
    plan.extra_ids = [r.id for r in trending] + _favourite_ids(snap, flt, prefs, text_taste)
    boost = preference_boost(prefs, settings.shop.price_multiplier)
    if not plan.queries:
        boost = _with_trend(boost, trending)
    return score_pool(snap.reader, snap.columns, plan, flt, boost), recent


def feed(
    snap: Snapshot,
    settings: Settings,
    customer_id: str,
    prefs: Preferences | None,
    filters: ListFilters,
    page: Page,
    *,
    exclude_bought: bool = True,
) -> tuple[Ranked, list[str]]:
    """The personal feed: ALS user·item, text and image taste; trending for a cold start."""
    pool, recent = feed_pool(
        snap, settings, customer_id, prefs, filters, page, exclude_bought=exclude_bought
    )
    ranked = page_of(
        pool, weights_of(settings), limit=page.limit, offset=page.offset, collapse=page.collapse
    )
    hydrate(snap.reader, ranked, with_vectors=("text", "image"))
    return ranked, _feed_reasons(ranked, recent)


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


def _with_trend(boost: Boost | None, trending: list[Record]) -> Boost:
    """Cold start with no signal: order by trend rank (a small decreasing boost) plus prefs."""
    rank_of = {r.payload["article_id"]: i for i, r in enumerate(trending)}

    def trend_boost(p: dict[str, Any]) -> tuple[float, str]:
        b, why = boost(p) if boost else (0.0, "")
        r = rank_of.get(p["article_id"])
        t = 0.0 if r is None else 0.1 * (1 - r / max(len(rank_of), 1))
        return b + t, why or "Trending now"

    return trend_boost


def _feed_reasons(ranked: Ranked, recent: Recent) -> list[str]:
    """Why each item is in the feed: its strongest part, named after the purchase it is most
    like when that part is text or image; on ties the concrete reasons (text, image) win."""
    nearest = {s: recent.nearest(ranked.records, s) for s in ("text", "image")}
    out = []
    for i, parts in enumerate(ranked.parts):
        boost_reason = ranked.boosts[i][1]
        values = {s: parts[s] or 0.0 for s in ("text", "image", "cf")}
        top = max(values, key=lambda s: values[s])
        if values[top] <= 0:
            out.append(boost_reason or "Trending now")
            continue
        if top == "cf":
            why = "Popular with shoppers who buy what you buy"
        elif (name := nearest[top][i]) is None:
            why = "Matches your style"
        else:
            why = f"{'Looks like' if top == 'image' else 'Goes with'} the {name} you bought"
        out.append(f"{why}; {boost_reason}" if boost_reason else why)
    return out


def similar(
    snap: Snapshot,
    settings: Settings,
    article_id: str,
    filters: ListFilters,
    page: Page,
    *,
    other_groups: bool = False,
) -> Ranked:
    """Items similar to an article: cf, text and image cosine to it."""
    found = snap.reader.retrieve(
        "articles", [point_id(article_id)], with_vectors=["text", "image", "cf"]
    )
    if not found:
        raise NotFound("article", article_id)
    src = found[0]
    flt = to_store(filters, settings.shop.price_multiplier, exclude_ids=(src.id,))
    if other_groups:
        # "Complete the look": the same signals, other product groups only.
        flt = replace(
            flt, must_not=(Match("product_group_name", (src.payload["product_group_name"],)),)
        )
    n = pool_size(settings.ranking.candidates, page.limit, page.offset)
    plan = Plan()
    for name in ("cf", "text", "image"):
        vec = src.vectors.get(name)
        if vec and float(np.linalg.norm(vec)) > 0:
            plan.add(name, list(vec), n, cosine=name == "cf")
    return _ranked_page(snap, settings, plan, flt, page)


def _ranked_page(snap: Snapshot, settings: Settings, plan: Plan, flt: Filter, page: Page) -> Ranked:
    """Rank the plan's candidates with the configured weights; the page read in full."""
    ranked = rank_candidates(
        snap.reader,
        snap.columns,
        plan,
        flt,
        weights_of(settings),
        limit=page.limit,
        offset=page.offset,
        collapse=page.collapse,
    )
    return hydrate(snap.reader, ranked)


def search(
    snap: Snapshot,
    settings: Settings,
    filters: ListFilters,
    page: Page,
    *,
    text: npt.NDArray[np.float32] | None = None,
    clip_text: npt.NDArray[np.float32] | None = None,
    image: npt.NDArray[np.float32] | None = None,
    customer_id: str | None = None,
) -> Ranked:
    """Semantic search by text (and CLIP text→image) or by photo, cf from a signed-in customer."""
    flt = to_store(filters, settings.shop.price_multiplier)
    n = pool_size(settings.ranking.candidates, page.limit, page.offset)
    plan = Plan()
    if customer_id:
        cust = load_customer(snap, customer_id)
        if cust.cf is not None:
            # Affinity only re-scores what the query found: it does not add candidates.
            plan.add("cf", cust.cf, 0)
    if text is not None:
        plan.add("text", text.tolist(), n)
    vec = image if image is not None else clip_text
    if vec is not None:
        plan.add("image", vec.tolist(), n)
    return _ranked_page(snap, settings, plan, flt, page)
