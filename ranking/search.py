"""Semantic search: by text (and CLIP text→image) or by photo; cf from a signed-in customer."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from core.events import Activity
from core.settings import Settings
from ranking.index import Snapshot
from ranking.pool import Plan, Ranked, ranked_page
from ranking.request import ListFilters, Page, to_store
from ranking.taste import load_customer
from scoring.sources import pool_size


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
    activity: Activity | None = None,
) -> Ranked:
    """Semantic search by text (and CLIP text→image) or by photo, cf from a signed-in customer
    (with ``activity``, their purchases since the build folded in)."""
    flt = to_store(filters, settings.shop.price_multiplier)
    n = pool_size(settings.ranking.candidates, page.limit, page.offset)
    plan = Plan()
    if customer_id:
        cust = load_customer(snap, customer_id, activity, settings.live)
        if cust.cf is not None:
            # Affinity only re-scores what the query found: it does not add candidates.
            plan.add("cf", cust.cf, 0)
    if text is not None:
        plan.add("text", text.tolist(), n)
    vec = image if image is not None else clip_text
    if vec is not None:
        plan.add("image", vec.tolist(), n)
    return ranked_page(snap.reader, snap.columns, settings, plan, flt, page, snap.vectors)
