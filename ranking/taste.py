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
from core.preferences import Preferences
from core.settings import Settings
from core.store.base import Record
from ranking.index import Snapshot

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


def load_customer(snap: Snapshot, customer_id: str) -> Customer:
    """The indexed customer, or an empty one (cold start) when the index does not know them."""
    table = snap.customers
    row = table.get(customer_id) if table is not None else _stored(snap, customer_id)
    if row is None:
        return Customer(customer_id)
    has_cf = row.n_purchases > 0 and float(np.linalg.norm(row.cf)) > 0
    return Customer(
        customer_id,
        cf=row.cf.tolist() if has_cf else None,
        recent=row.recent,
        recent_days=row.recent_days,
        bought=row.bought,
    )


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

    def nearest(self, page: npt.NDArray[np.float64], signal: str) -> list[str | None]:
        """For each row of ``page`` (an article's ``signal`` vector, NaN where it has none),
        the name of the purchase most like it (cosine)."""
        out: list[str | None] = [None] * len(page)
        rows = np.flatnonzero(~np.isnan(page).any(axis=1)) if page.size else np.array([], int)
        if signal not in self.unit or not len(rows):
            return out
        # Argmax over unit purchase rows: the article's own norm does not change the winner.
        for i, j in zip(rows, (page[rows] @ self.unit[signal].T).argmax(axis=1), strict=True):
            out[int(i)] = self.names[signal][int(j)]
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
    recs = snap.reader.retrieve(
        "articles",
        [point_id(a) for a in cust.recent],
        # Vectors from the engine only for an index without its matrices.
        with_vectors=["text", "image"] if snap.vectors is None else (),
        payload_fields=("article_id", "prod_name"),  # what decay and the reasons read
    )
    day_of = dict(zip(cust.recent, cust.recent_days, strict=False))
    half_life = settings.models.decay_half_life_days
    recent = Recent()
    for name in ("text", "image"):
        m = article_matrix(snap, recs, name)
        norms = np.linalg.norm(m, axis=1) if m.size else np.zeros(len(recs))
        keep = np.nan_to_num(norms) > 0
        if not keep.any():
            continue
        ages = np.array(
            [snap.as_of_day - day_of.get(r.payload["article_id"], snap.as_of_day) for r in recs],
            dtype=np.float64,
        )
        recent.unit[name] = m[keep] / norms[keep, None]
        recent.weight[name] = (0.5 ** (np.maximum(ages, 0) / half_life))[keep]
        recent.names[name] = [r.payload["prod_name"] for r, k in zip(recs, keep, strict=True) if k]
    return recent


def tastes(
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
