"""What the engine knows of a customer: cf vector, recent purchases, bought set, and the
time-decayed text and image tastes made from them (DESIGN §5, the feed's text and image terms)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from core.catalog import point_id, unpack
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
