"""The personal rows besides the feed: what the customer viewed lately, and what they bought
that people buy again (basics, socks, underwear), from the index and the event log."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.catalog import point_id
from core.events import Activity
from core.store.base import Record
from ranking.index import Snapshot
from scoring.sources import rebuy_reason, rebuy_scores

#: The catalogue's share of buyers who buy an article again, when the version has no figures.
_NO_SHARE = 0.0


@dataclass
class Row:
    """Records in order, each with its score and reason, and how many there are in all."""

    records: list[Record]
    scores: list[float]
    reasons: list[str]
    total: int


def recently_viewed(snap: Snapshot, activity: Activity, limit: int, offset: int = 0) -> Row:
    """Distinct articles the customer viewed or put in the bag, newest first."""
    newest: dict[str, str] = {}
    for v in activity.views:
        newest.setdefault(v.article_id, "Added to your bag" if v.type == "add_to_cart" else "")
    ids = list(newest)
    page = ids[offset : offset + limit]
    found = {r.payload["article_id"]: r for r in snap.reader.retrieve("articles", _pids(page))}
    kept = [a for a in page if a in found]
    reasons = [newest[a] or "You viewed it" for a in kept]
    return Row([found[a] for a in kept], [0.0] * len(kept), reasons, len(ids))


def buy_again(
    snap: Snapshot, customer_id: str, activity: Activity, limit: int, offset: int = 0
) -> Row:
    """Articles the customer bought that are likely bought again, best first.

    Each article scores `scoring.sources.rebuy_scores`. Articles with neither a share above the
    catalogue's nor a repeat by this customer are left out.
    """
    table = snap.customers
    row = table.get(customer_id) if table is not None else None
    counts: dict[str, int] = {}
    if row is not None:
        given = row.bought_count or [1] * len(row.bought)
        counts.update(zip(row.bought, given, strict=True))
    for p in activity.purchases:
        counts[p.article_id] = counts.get(p.article_id, 0) + 1
    if not counts:
        return Row([], [], [], 0)
    ids = list(counts)
    shares = np.full(len(ids), _NO_SHARE)
    figures = table.article_repurchase if table is not None else None
    overall = snap.repurchase_overall if figures is not None else _NO_SHARE
    if figures is not None:
        rows = snap.article_rows(_pids(ids))
        shares = np.where(rows >= 0, figures[np.maximum(rows, 0)], _NO_SHARE)
    n = np.array([counts[a] for a in ids], dtype=np.float64)
    score = rebuy_scores(shares, overall, n)
    keep = (shares > overall) | (n >= 2)
    order = [int(i) for i in np.lexsort((np.array(ids), -score)) if keep[i]]
    page = order[offset : offset + limit]
    found = {
        r.payload["article_id"]: r
        for r in snap.reader.retrieve("articles", _pids([ids[i] for i in page]))
    }
    kept = [i for i in page if ids[i] in found]
    reasons = [rebuy_reason(int(n[i]), float(shares[i])) for i in kept]
    return Row([found[ids[i]] for i in kept], [float(score[i]) for i in kept], reasons, len(order))


def _pids(ids: list[str]) -> list[int]:
    return [point_id(a) for a in ids]
