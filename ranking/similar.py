"""Similar items and "complete the look": cf, text and image cosine to one article."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.catalog import point_id
from core.errors import NotFound
from core.settings import Settings
from core.store.base import Match, Record
from ranking.index import Snapshot
from ranking.pool import Plan, Ranked, ranked_page
from ranking.request import ListFilters, Page, to_store
from scoring.sources import pool_size

#: Candidates the exact cf scan gives similar items (the scan costs the same for any number).
SCAN_CANDIDATES = 500


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
    src = _source(snap, article_id)
    flt = to_store(filters, settings.shop.price_multiplier, exclude_ids=(src.id,))
    if other_groups:
        # "Complete the look": the same signals, other product groups only.
        flt = replace(
            flt,
            must_not=(
                *flt.must_not,
                Match("product_group_name", (src.payload["product_group_name"],)),
            ),
        )
    n = pool_size(settings.ranking.candidates, page.limit, page.offset)
    plan = Plan()
    for name in ("cf", "text", "image"):
        vec = src.vectors.get(name)
        if vec and float(np.linalg.norm(vec)) > 0:
            # cf: candidates from an exact scan of the 64-d factors by cosine (exact, and as
            # cheap as a walk); the ``cf_cosine`` graph serves an index without the matrices.
            cf = name == "cf"
            k = max(n, SCAN_CANDIDATES) if cf and snap.vectors is not None else n
            plan.add(name, list(vec), k, cosine=cf, using="cf_cosine" if cf else None, exact=cf)
    return ranked_page(snap.reader, snap.columns, settings, plan, flt, page, snap.vectors)


def _source(snap: Snapshot, article_id: str) -> Record:
    """The article's slim record with its three vectors: from the version's matrices and
    columns when it has them (no engine round trip), else from the engine."""
    pid = point_id(article_id)
    if snap.vectors is not None:
        row = int(snap.columns.rows(np.array([pid], dtype=np.int64))[0])
        if row < 0:
            raise NotFound("article", article_id)
        vectors = {
            name: [float(x) for x in snap.vectors.rows(name, [pid])[0]]
            for name in ("text", "image", "cf")
        }
        # An article without an image has a NaN row: no image vector, as in the engine.
        present = {k: v for k, v in vectors.items() if not any(np.isnan(v))}
        return Record(id=pid, payload=snap.columns.payload(row), vectors=present)
    found = snap.reader.retrieve("articles", [pid], with_vectors=["text", "image", "cf"])
    if not found:
        raise NotFound("article", article_id)
    return found[0]
