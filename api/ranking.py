"""The ranking engine shared by the feed, similar items and search.

One prefetch per signal under the request's filter gives the candidate pool; each candidate's
raw signal scores are then computed exactly from its stored vectors, normalised
(`scoring.normalise.minmax`), blended (`scoring.blend`), optionally nudged by preference boosts,
ordered, collapsed by product_code and paged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from core.store.base import Filter, Record, StoreReader, VectorQuery
from scoring.blend import SIGNALS, Weights, blend
from scoring.diversity import collapse_variants, rank
from scoring.normalise import FloatArray, cosine, minmax

VECTORS = ("text", "image", "cf")
#: Hard cap on the candidates one prefetch asks for.
MAX_PREFETCH = 3000

Scorer = Callable[[npt.NDArray[np.float64]], FloatArray]
Boost = Callable[[dict[str, Any]], tuple[float, str]]


@dataclass
class Plan:
    """What a request asks of each present signal: a prefetch vector and an exact scorer."""

    queries: dict[str, VectorQuery] = field(default_factory=dict)
    scorers: dict[str, Scorer] = field(default_factory=dict)
    extra_ids: list[int] = field(default_factory=list)

    def add(self, signal: str, query: VectorQuery, scorer: Scorer) -> None:
        self.queries[signal] = query
        self.scorers[signal] = scorer


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


def cosine_scorer(query: Sequence[float] | npt.NDArray[np.floating[Any]]) -> Scorer:
    q = np.asarray(query, dtype=np.float64)
    return lambda m: cosine(m, q)


def dot_scorer(query: Sequence[float] | npt.NDArray[np.floating[Any]]) -> Scorer:
    q = np.asarray(query, dtype=np.float64)
    return lambda m: m @ q


def _matrix(records: Sequence[Record], name: str, dim: int) -> npt.NDArray[np.float64]:
    """Stacked vectors; a record lacking the vector gets a NaN row (absent for that item)."""
    nan_row = [np.nan] * dim
    rows = []
    for r in records:
        v = r.vectors.get(name)
        rows.append(v if v is not None and len(v) == dim else nan_row)
    return np.array(rows, dtype=np.float64).reshape(len(records), dim)


def _raw_parts(records: Sequence[Record], plan: Plan) -> dict[str, FloatArray]:
    raw: dict[str, FloatArray] = {}
    for signal, scorer in plan.scorers.items():
        dim = len(plan.queries[signal].vector)
        raw[signal] = np.asarray(scorer(_matrix(records, signal, dim)), dtype=np.float64)
    return raw


@dataclass
class Pool:
    """Scored candidates before the blend: records, normalised parts, preference boosts."""

    records: list[Record]
    norm: dict[str, FloatArray]
    boosts: list[tuple[float, str]]


def score_pool(reader: StoreReader, plan: Plan, flt: Filter, boost: Boost | None = None) -> Pool:
    """The union of the plan's prefetches (and extra ids) under ``flt``, scored exactly."""
    ids = reader.candidates("articles", list(plan.queries.values()), flt)
    seen = set(ids)
    ids += [i for i in plan.extra_ids if i not in seen]
    records = reader.retrieve("articles", ids, with_vectors=VECTORS)
    norm = {s: minmax(v) for s, v in _raw_parts(records, plan).items()} if records else {}
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
    plan: Plan,
    flt: Filter,
    weights: Weights,
    *,
    limit: int,
    offset: int,
    collapse: bool,
    boost: Boost | None = None,
) -> Ranked:
    """Rank the union of the plan's prefetches (and extra ids) under ``flt``; one page back."""
    pool = score_pool(reader, plan, flt, boost)
    return page_of(pool, weights, limit=limit, offset=offset, collapse=collapse)


def _part(norm: dict[str, FloatArray], signal: str, i: int) -> float | None:
    if signal not in norm or np.isnan(norm[signal][i]):
        return None
    return round(float(norm[signal][i]), 6)
