"""Similar items and "complete the look": cf, text and image cosine to one article."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.catalog import point_id
from core.errors import NotFound
from core.settings import Settings
from core.store.base import Match
from ranking.index import Snapshot
from ranking.pool import Plan, Ranked, pool_size, ranked_page
from ranking.request import ListFilters, Page, to_store


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
            cosine = name == "cf"
            plan.add(name, list(vec), n, cosine=cosine, using="cf_cosine" if cosine else None)
    return ranked_page(snap.reader, snap.columns, settings, plan, flt, page, snap.vectors)
