"""What the engine knows of a customer: cf vector, recent purchases, bought set, and the
time-decayed text and image tastes made from them (DESIGN §5, the feed's text and image terms)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from core.catalog import point_id, unpack
from core.customers import CustomerRow
from core.events import Activity
from core.preferences import Preferences
from core.settings import LiveSettings, Settings
from core.store.base import Record
from ranking.index import Snapshot
from scoring.foldin import fold_in
from scoring.sources import RECENT_KEPT, mean_direction

#: How much of the text taste the customer's free-text style makes up when both exist.
STYLE_SHARE = 0.5


@dataclass
class Customer:
    """What the feed knows of a customer: cf vector, recent purchases, bought set."""

    customer_id: str
    cf: list[float] | None = None
    recent: list[str] = field(default_factory=list)
    recent_days: list[int] = field(default_factory=list)
    bought: list[str] = field(default_factory=list)
    #: How many times each bought article was bought (its order is ``bought``'s).
    bought_count: list[int] = field(default_factory=list)
    #: Newest views and add-to-carts: article ids, days and their weight in the tastes.
    viewed: list[str] = field(default_factory=list)
    viewed_days: list[float] = field(default_factory=list)
    viewed_weight: list[float] = field(default_factory=list)


def load_customer(
    snap: Snapshot,
    customer_id: str,
    activity: Activity | None = None,
    live: LiveSettings | None = None,
) -> Customer:
    """The indexed customer with what they did since the build (``activity``) on top, or an
    empty one (cold start) when neither the index nor the log knows them."""
    table = snap.customers
    row = table.get(customer_id) if table is not None else _stored(snap, customer_id)
    cust = Customer(customer_id)
    if row is not None:
        has_cf = row.n_purchases > 0 and float(np.linalg.norm(row.cf)) > 0
        cust = Customer(
            customer_id,
            cf=row.cf.tolist() if has_cf else None,
            recent=row.recent,
            recent_days=row.recent_days,
            bought=row.bought,
            bought_count=row.bought_count or [1] * len(row.bought),
        )
    if activity:
        cust = _with_activity(snap, cust, row, activity, live or LiveSettings())
    return cust


def _with_activity(
    snap: Snapshot,
    cust: Customer,
    row: CustomerRow | None,
    activity: Activity,
    live: LiveSettings,
) -> Customer:
    """``cust`` with the logged purchases (bought set, recent purchases, cf folded in) and
    views (the tastes, at their weights) applied."""
    days = dict(zip(cust.recent, cust.recent_days, strict=False))
    for p in activity.purchases:  # oldest first: the newest purchase of an article wins
        days[p.article_id] = p.day
    newest_first = [p.article_id for p in activity.purchases[::-1]]
    merged = list(dict.fromkeys([*newest_first, *cust.recent]))[:RECENT_KEPT]
    counts = dict(zip(cust.bought, cust.bought_count or [1] * len(cust.bought), strict=True))
    for p in activity.purchases:
        counts[p.article_id] = counts.get(p.article_id, 0) + 1
    bought = list(counts)
    weight_of = {"view": live.view_weight, "add_to_cart": live.cart_weight}
    cf = _folded_cf(snap, cust, row, activity) if activity.purchases else cust.cf
    return Customer(
        cust.customer_id,
        cf=cf,
        recent=merged,
        recent_days=[int(days[a]) for a in merged],
        bought=bought,
        bought_count=[counts[a] for a in bought],
        viewed=[v.article_id for v in activity.views],
        viewed_days=[v.ts / 86400 for v in activity.views],
        viewed_weight=[weight_of[v.type] for v in activity.views],
    )


def _folded_cf(
    snap: Snapshot, cust: Customer, row: CustomerRow | None, activity: Activity
) -> list[float] | None:
    """The customer's ALS vector recomputed from every purchase, the logged ones included
    (one least-squares solve against the version's item factors, as implicit's
    ``recalculate_user``); the built one when the version lacks what that needs."""
    vectors = snap.vectors
    if vectors is None or (row is not None and row.bought_weight is None):
        return cust.cf
    als = snap.manifest.get("als", {})
    half_life = float(als.get("half_life_days", 60.0))
    weight: dict[str, float] = {}
    if row is not None and row.bought_weight is not None:
        weight.update(zip(row.bought, row.bought_weight, strict=True))
    for p in activity.purchases:
        age = max(snap.as_of_day - p.day, 0)
        weight[p.article_id] = weight.get(p.article_id, 0.0) + 0.5 ** (age / half_life)
    ids = list(weight)
    rows = vectors.row_of([point_id(a) for a in ids])
    known = rows >= 0
    if not known.any():
        return cust.cf
    factors = vectors.matrix("cf")[rows[known]]
    confidence = float(als.get("alpha", 10.0)) * np.array(
        [weight[a] for a, k in zip(ids, known, strict=True) if k]
    )
    x = fold_in(factors, confidence, snap.item_gram, float(als.get("regularization", 0.05)))
    return x.tolist() if float(np.linalg.norm(x)) > 0 else cust.cf


def _stored(snap: Snapshot, customer_id: str) -> CustomerRow | None:
    """The customer as the store holds them: an index built without the customers table."""
    found = snap.reader.retrieve("customers", [point_id(customer_id)], with_vectors=["cf"])
    if not found:
        return None
    p = found[0].payload
    return CustomerRow(
        cf=np.asarray(found[0].vectors.get("cf") or [], dtype=np.float32),
        n_purchases=int(p.get("n_purchases", 0)),
        recent=unpack(p.get("recent")),
        recent_days=[int(d) for d in unpack(p.get("recent_days"))],
        bought=unpack(p.get("bought")),
    )


@dataclass
class Recent:
    """The customer's recent purchases, views and add-to-carts that have a vector, per signal:
    unit rows, weights (decay times the event's weight), product names and codes, and what the
    customer did (what the tastes are made of and the feed's reasons point to)."""

    unit: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    weight: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)
    verbs: dict[str, list[str]] = field(default_factory=dict)

    def taste(self, signal: str) -> Any:
        """Weighted mean direction of the events' vectors (None without any)."""
        return (
            mean_direction(self.unit[signal], self.weight[signal]) if signal in self.unit else None
        )

    def nearest(self, page: npt.NDArray[np.float64], signal: str) -> list[int | None]:
        """For each row of ``page`` (an article's ``signal`` vector, NaN where it has none),
        the index of the event whose article is most like it (cosine)."""
        out: list[int | None] = [None] * len(page)
        rows = np.flatnonzero(~np.isnan(page).any(axis=1)) if page.size else np.array([], int)
        if signal not in self.unit or not len(rows):
            return out
        # Argmax over unit event rows: the article's own norm does not change the winner.
        for i, j in zip(rows, (page[rows] @ self.unit[signal].T).argmax(axis=1), strict=True):
            out[int(i)] = int(j)
        return out


def article_matrix(snap: Snapshot, records: Sequence[Record], signal: str) -> Any:
    """The ``signal`` vectors of ``records`` as rows, NaN where an article has none: from the
    version's memory-mapped matrices, else from the records (read with their vectors)."""
    if snap.vectors is not None:
        return snap.vectors.rows(signal, [r.id for r in records])
    present = [r.vectors.get(signal) for r in records]
    dim = next((len(v) for v in present if v), 1)
    return np.array([v if v else [np.nan] * dim for v in present], dtype=np.float64)


def _recent(snap: Snapshot, settings: Settings, cust: Customer) -> Recent:
    """Purchases weigh 1, views and add-to-carts their settings' weight; each halves every
    half-life before the version's day."""
    ids = [*cust.recent, *cust.viewed]
    days = [*map(float, cust.recent_days), *cust.viewed_days]
    weights = [1.0] * len(cust.recent) + list(cust.viewed_weight)
    verbs = ["bought"] * len(cust.recent) + ["viewed"] * len(cust.viewed)
    if not ids:
        return Recent()
    found = snap.reader.retrieve(
        "articles",
        list(dict.fromkeys(point_id(a) for a in ids)),
        # Vectors from the engine only for an index without its matrices.
        with_vectors=["text", "image"] if snap.vectors is None else (),
        payload_fields=("article_id", "prod_name", "product_code"),  # what the reasons read
    )
    by_id = {r.payload["article_id"]: r for r in found}
    events = [i for i, a in enumerate(ids) if a in by_id]
    recs = [by_id[ids[i]] for i in events]
    ages = np.maximum(snap.as_of_day - np.array([days[i] for i in events], dtype=np.float64), 0)
    decayed = np.array([weights[i] for i in events]) * 0.5 ** (
        ages / settings.models.decay_half_life_days
    )
    recent = Recent()
    for name in ("text", "image"):
        m = article_matrix(snap, recs, name)
        norms = np.linalg.norm(m, axis=1) if m.size else np.zeros(len(recs))
        keep = (np.nan_to_num(norms) > 0) & (decayed > 0)
        if not keep.any():
            continue
        kept = np.flatnonzero(keep)
        recent.unit[name] = m[keep] / norms[keep, None]
        recent.weight[name] = decayed[keep]
        recent.names[name] = [recs[k].payload["prod_name"] for k in kept]
        recent.codes[name] = [recs[k].payload["product_code"] for k in kept]
        recent.verbs[name] = [verbs[events[k]] for k in kept]
    return recent


def tastes(
    snap: Snapshot, settings: Settings, cust: Customer, prefs: Preferences | None
) -> tuple[Any, Any, Recent]:
    """Time-decayed text and image tastes from recent purchases and views, style mixed in."""
    recent = _recent(snap, settings, cust)
    text_taste, image_taste = recent.taste("text"), recent.taste("image")
    if prefs is not None and prefs.style.strip():
        style = np.asarray(snap.embed_text(prefs.style), dtype=np.float64)
        text_taste = (
            style
            if text_taste is None
            else mean_direction([text_taste, style], [1 - STYLE_SHARE, STYLE_SHARE])
        )
    return text_taste, image_taste, recent
