"""The ranking engine shared by the feed, similar items and search.

One prefetch per signal under the request's filter gives the candidate pool; each candidate's
raw signal score is then computed exactly by the engine (`StoreReader.score_ids`: an exact
search restricted to the candidate ids, so no vector crosses into Python), normalised
(`scoring.normalise.minmax`), blended (`scoring.blend`), optionally nudged by preference boosts,
ordered, collapsed by product_code and paged. Only the page's records are then read in full.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.settings import Settings
from core.store.base import Filter, Record, StoreReader, VectorQuery
from core.vectors import ArticleVectors
from ranking.columns import Columns
from ranking.request import Page
from scoring.blend import SIGNALS, Weights, blend
from scoring.diversity import collapse_variants, rank
from scoring.normalise import FloatArray, minmax

#: Hard cap on the candidates one prefetch asks for.
MAX_PREFETCH = 3000
#: The payload fields ranking needs for every candidate (ties, collapse, boosts, cosine).
SLIM = (
    "article_id",
    "product_code",
    "product_type_name",
    "product_group_name",
    "colour_group_name",
    "price",
    "cf_norm",
)

Boost = Callable[[dict[str, Any]], tuple[float, str]]


@dataclass
class Plan:
    """Per present signal: the query vector with its prefetch size; optionally extra ids.

    A signal in ``cosine_of_dot`` is stored as a dot-product vector (ALS factors) but scored
    as a cosine: its dot score is divided by ``|query|`` and the item's ``<signal>_norm``.
    """

    queries: dict[str, VectorQuery] = field(default_factory=dict)
    cosine_of_dot: set[str] = field(default_factory=set)
    extra_ids: list[int] = field(default_factory=list)

    def add(
        self, signal: str, vector: Sequence[float], prefetch: int, cosine: bool = False
    ) -> None:
        self.queries[signal] = VectorQuery(signal, [float(x) for x in vector], prefetch)
        if cosine:
            self.cosine_of_dot.add(signal)


def weights_of(settings: Settings) -> Weights:
    """The blend weights the settings configure."""
    r = settings.ranking
    return Weights(cf=r.w_cf, text=r.w_text, image=r.w_image)


@dataclass
class Ranked:
    """A ranked page: records with their parts, scores and boosts, plus request-level data."""

    records: list[Record]
    parts: list[dict[str, float | None]]
    scores: list[float]
    boosts: list[tuple[float, str]]
    weights: dict[str, float | None] | None
    total: int


def pool_size(candidates: int, limit: int, offset: int) -> int:
    """Candidates per prefetch: enough to fill the requested page after variant collapse."""
    return min(max(candidates, 3 * (offset + limit)), MAX_PREFETCH)


def _raw_parts(
    reader: StoreReader, records: Sequence[Record], plan: Plan, vectors: ArticleVectors | None
) -> dict[str, FloatArray]:
    """Exact raw score of each signal for each record (NaN where the item lacks the vector):
    from the version's memory-mapped matrices when it has them, else from the engine."""
    ids = [r.id for r in records]
    raw: dict[str, FloatArray] = {}
    if vectors is not None:
        batch = [vectors.scores(q.using, q.vector, ids) for q in plan.queries.values()]
    else:
        found = reader.score_ids_many("articles", list(plan.queries.values()), ids)
        batch = [np.array([f.get(i, np.nan) for i in ids], dtype=np.float64) for f in found]
    for (signal, query), values in zip(plan.queries.items(), batch, strict=True):
        if signal in plan.cosine_of_dot:
            qn = float(np.linalg.norm(query.vector)) or 1.0
            norms = np.array([r.payload.get(f"{signal}_norm") or np.nan for r in records])
            with np.errstate(invalid="ignore", divide="ignore"):
                values = values / (qn * norms)
        raw[signal] = values
    return raw


@dataclass
class Pool:
    """Scored candidates before the blend: records, normalised parts, preference boosts."""

    records: list[Record]
    norm: dict[str, FloatArray]
    boosts: list[tuple[float, str]]


def score_pool(
    reader: StoreReader,
    columns: Columns,
    plan: Plan,
    flt: Filter,
    boost: Boost | None = None,
    vectors: ArticleVectors | None = None,
) -> Pool:
    """The union of the plan's prefetches (and extra ids) under ``flt``, scored exactly; the
    candidates' `SLIM` payloads come from ``columns`` (no engine round trip)."""
    ids = reader.candidates("articles", list(plan.queries.values()), flt)
    seen = set(ids)
    ids += [i for i in plan.extra_ids if i not in seen]
    records = columns.records(ids)
    raw = _raw_parts(reader, records, plan, vectors) if records else {}
    norm = {s: minmax(v) for s, v in raw.items()}
    boosts = [boost(r.payload) if boost else (0.0, "") for r in records]
    return Pool(records, norm, boosts)


def page_of(pool: Pool, weights: Weights, *, limit: int, offset: int, collapse: bool) -> Ranked:
    """Blend, order (ties by article id), collapse variants and cut one page."""
    records, norm = pool.records, pool.norm
    if not records:
        return Ranked([], [], [], [], None, 0)
    w = weights.as_dict()
    if any(w[s] > 0 for s in norm):
        scores, eff = blend(norm, weights)
    else:
        # No present signal carries weight: order by the boosts (and trend) alone.
        scores, eff = np.zeros(len(records)), None
        norm = {}
    final = scores + np.array([b[0] for b in pool.boosts])
    order = rank(final, tie_keys=[r.payload["article_id"] for r in records])
    if collapse:
        order = collapse_variants(order, [r.payload["product_code"] for r in records])
    page = order[offset : offset + limit]
    return Ranked(
        records=[records[i] for i in page],
        parts=[{s: _part(norm, s, i) for s in SIGNALS} for i in page],
        scores=[float(final[i]) for i in page],
        boosts=[pool.boosts[i] for i in page],
        weights=eff,
        total=len(order),
    )


def rank_candidates(
    reader: StoreReader,
    columns: Columns,
    plan: Plan,
    flt: Filter,
    weights: Weights,
    *,
    limit: int,
    offset: int,
    collapse: bool,
    boost: Boost | None = None,
    vectors: ArticleVectors | None = None,
) -> Ranked:
    """Rank the union of the plan's prefetches (and extra ids) under ``flt``; one page back."""
    pool = score_pool(reader, columns, plan, flt, boost, vectors)
    return page_of(pool, weights, limit=limit, offset=offset, collapse=collapse)


def hydrate(reader: StoreReader, ranked: Ranked, with_vectors: Sequence[str] = ()) -> Ranked:
    """Replace the page's slim records by full ones (all payload, and vectors if asked)."""
    full = reader.retrieve("articles", [r.id for r in ranked.records], with_vectors=with_vectors)
    by_id = {r.id: r for r in full}
    ranked.records = [by_id.get(r.id, r) for r in ranked.records]
    return ranked


def _part(norm: dict[str, FloatArray], signal: str, i: int) -> float | None:
    if signal not in norm or np.isnan(norm[signal][i]):
        return None
    return round(float(norm[signal][i]), 6)


def ranked_page(
    reader: StoreReader,
    columns: Columns,
    settings: Settings,
    plan: Plan,
    flt: Filter,
    page: Page,
    vectors: ArticleVectors | None = None,
) -> Ranked:
    """Rank the plan's candidates with the configured weights; the page read in full."""
    ranked = rank_candidates(
        reader,
        columns,
        plan,
        flt,
        weights_of(settings),
        limit=page.limit,
        offset=page.offset,
        collapse=page.collapse,
        vectors=vectors,
    )
    return hydrate(reader, ranked)
