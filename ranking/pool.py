"""The ranking engine shared by the feed, similar items and search.

One prefetch per signal under the request's filter (a graph walk in the engine, or an exact
scan of the signal's matrix for a signal the plan marks ``exact``) gives the candidate pool;
each candidate's raw signal score is then computed exactly (from the version's memory-mapped
article matrices, `core.vectors`; from the engine for an index without them), normalised
from a floor set by the whole catalogue to the best candidate (`scoring.normalise.from_floor`,
which does not depend on the pool), blended (`scoring.blend`), optionally nudged by
preference boosts, ordered, collapsed by product_code and paged. Only the page's records are
then read in full.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from core.settings import Settings
from core.store.base import Filter, Record, StoreReader, VectorQuery
from core.vectors import ArticleVectors
from ranking.columns import Columns
from ranking.request import Page
from ranking.rules import Arrange, Ref, boost_amounts, place_pins
from scoring.blend import SIGNALS, Weights, blend
from scoring.normalise import FloatArray, floor_of, from_floor, minmax

IntArray = npt.NDArray[np.int64]

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
    A signal in ``exact`` takes its candidates from an exact scan of the version's matrix
    (when it has one) instead of the engine's graph walk.
    """

    queries: dict[str, VectorQuery] = field(default_factory=dict)
    cosine_of_dot: set[str] = field(default_factory=set)
    exact: set[str] = field(default_factory=set)
    extra_ids: list[int] = field(default_factory=list)

    def add(
        self,
        signal: str,
        vector: Sequence[float],
        prefetch: int,
        cosine: bool = False,
        using: str | None = None,
        exact: bool = False,
    ) -> None:
        """Score ``signal`` against ``vector``; prefetch by the index vector ``using`` (default:
        the signal's own), e.g. ``cf_cosine`` for a cf scored as a cosine, or (``exact``) by
        scanning the signal's matrix."""
        self.queries[signal] = VectorQuery(using or signal, [float(x) for x in vector], prefetch)
        if cosine:
            self.cosine_of_dot.add(signal)
        if exact:
            self.exact.add(signal)


def weights_of(settings: Settings) -> Weights:
    """The blend weights the settings configure."""
    r = settings.ranking
    return Weights(cf=r.w_cf, text=r.w_text, image=r.w_image)


@dataclass
class Ranked:
    """A ranked page: records with their parts, scores and boosts, plus request-level data."""

    records: list[Record]
    parts: list[dict[str, float | None]]
    #: None: a pinned article that was not among the candidates (it has no score).
    scores: list[float | None]
    boosts: list[tuple[float, str]]
    weights: dict[str, float | None] | None
    total: int
    #: Per item, the merchandising rules that moved it (`ranking.rules`).
    rules: list[list[Ref]] = field(default_factory=list)
    #: What ordered the candidates: the blend of ``weights``, or the learned ranker.
    ranker: str = "blend"


def _raw_parts(
    reader: StoreReader,
    columns: Columns,
    ids: IntArray,
    rows: IntArray,
    plan: Plan,
    vectors: ArticleVectors | None,
) -> dict[str, FloatArray]:
    """Exact raw score of each signal for each candidate (NaN where the item lacks the vector):
    from the version's memory-mapped matrices when it has them, else from the engine."""
    id_list = ids.tolist()
    raw: dict[str, FloatArray] = {}
    # Scored by the signal's own vector, whatever vector its prefetch walked.
    queries = [replace(q, using=s) for s, q in plan.queries.items()]
    if vectors is not None:
        batch = [vectors.scores(q.using, q.vector, id_list) for q in queries]
    else:
        found = reader.score_ids_many("articles", queries, id_list)
        batch = [np.array([f.get(i, np.nan) for i in id_list], dtype=np.float64) for f in found]
    for (signal, query), values in zip(plan.queries.items(), batch, strict=True):
        if signal in plan.cosine_of_dot:
            qn = float(np.linalg.norm(query.vector)) or 1.0
            norms = columns.numbers(f"{signal}_norm", rows)
            with np.errstate(invalid="ignore", divide="ignore"):
                values = values / (qn * np.where(norms == 0, np.nan, norms))
        raw[signal] = values
    return raw


@dataclass
class Pool:
    """Scored candidates before the blend, as arrays over the candidates: point ids, rows of
    the columns, normalised parts, preference boosts. Records are made for the page only."""

    columns: Columns
    ids: IntArray
    rows: IntArray
    norm: dict[str, FloatArray]
    boost: FloatArray
    #: The boost's reason per candidate (None: no boost applies to the request).
    why: list[str] | None = None
    #: The request's filter the candidates were found under (pins are checked against it).
    flt: Filter | None = None
    #: Per candidate, the score each extra source gave it (0: not from it): the feed's
    #: ``rebuy``, ``copurchase`` and ``colourway`` (`scoring.sources`).
    sources: dict[str, FloatArray] = field(default_factory=dict)
    #: A co-purchase candidate's point id → the purchase it is most often bought with.
    via: dict[int, int] = field(default_factory=dict)
    #: A candidate's point id → why its extra source put it there ("You bought it 3 times…").
    notes: dict[int, str] = field(default_factory=dict)
    #: The learned ranker's score per candidate, which then orders them instead of the blend.
    learned: FloatArray | None = None

    def __len__(self) -> int:
        return len(self.ids)


def score_pool(
    reader: StoreReader,
    columns: Columns,
    plan: Plan,
    flt: Filter,
    boost: Boost | None = None,
    vectors: ArticleVectors | None = None,
) -> Pool:
    """The union of the plan's prefetches (and extra ids) under ``flt``, scored exactly; the
    fields ranking reads come from ``columns`` (no engine round trip, no per-candidate dict)."""
    scanned = plan.exact if vectors is not None else set()
    walked = [q for s, q in plan.queries.items() if s not in scanned]
    found = reader.candidates("articles", walked, flt) if walked else []
    if scanned and vectors is not None:
        found += _scanned(columns, vectors, plan, scanned, flt)
    # In order, each once: a scan and a walk, or an extra id, may name the same article.
    ids = np.array(list(dict.fromkeys([*found, *plan.extra_ids])), dtype=np.int64)
    rows = columns.rows(ids)
    ids, rows = ids[rows >= 0], rows[rows >= 0]
    raw = _raw_parts(reader, columns, ids, rows, plan, vectors) if len(ids) else {}
    norm = {s: _normalise(v, plan, s, vectors) for s, v in raw.items()}
    if boost is None:
        return Pool(columns, ids, rows, norm, np.zeros(len(ids)), flt=flt)
    given = [boost(columns.payload(int(r))) for r in rows]
    amounts = np.array([b for b, _ in given], dtype=np.float64)
    return Pool(columns, ids, rows, norm, amounts, [why for _, why in given], flt=flt)


def _scanned(
    columns: Columns, vectors: ArticleVectors, plan: Plan, signals: set[str], flt: Filter
) -> list[int]:
    """The exact top of each scanned signal among the articles that pass ``flt``."""
    mask = columns.mask(flt)
    rows = columns.aligned(vectors.point_ids)  # -1: an article the columns do not hold
    if rows is not None:
        mask = (rows >= 0) & mask[rows]
    out: list[int] = []
    for signal in sorted(signals):
        query = plan.queries[signal]
        cosine = signal in plan.cosine_of_dot
        out += vectors.top(signal, query.vector, mask, query.limit, cosine=cosine)
    return out


def _normalise(
    raw: FloatArray, plan: Plan, signal: str, vectors: ArticleVectors | None
) -> FloatArray:
    """The signal's parts: from the catalogue's floor (0) to the best candidate (1); min–max
    over the candidates for an index without its matrices (no catalogue statistics to hand)."""
    if vectors is None:
        return minmax(raw)
    query = plan.queries[signal]
    mean, std = vectors.score_stats(signal, query.vector, cosine=signal in plan.cosine_of_dot)
    return from_floor(raw, floor_of(mean, std))


def _first_of_each(order: IntArray, codes: npt.NDArray[np.int32]) -> IntArray:
    """``order`` with only the first candidate of each product code (collapse of variants)."""
    _, first = np.unique(codes[order], return_index=True)
    return order[np.sort(first)]


def page_of(
    pool: Pool,
    weights: Weights,
    *,
    limit: int,
    offset: int,
    collapse: bool,
    arrange: Arrange | None = None,
    flt: Filter | None = None,
) -> Ranked:
    """Blend, add the rules' boosts, order (ties by article id), collapse variants, place the
    rules' pins (each checked against ``flt``, the request's filter) and cut one page."""
    norm = pool.norm
    pins = arrange is not None and bool(arrange.pins)
    ranker = "learned" if pool.learned is not None else "blend"
    if not len(pool) and not pins:
        return Ranked([], [], [], [], None, 0, ranker=ranker)
    w = weights.as_dict()
    if pool.learned is not None:
        scores, eff = pool.learned, None
    elif len(pool) and any(w[s] > 0 for s in norm):
        scores, eff = blend(norm, weights)
    else:
        # No present signal carries weight: order by the boosts (and trend) alone.
        scores, eff = np.zeros(len(pool)), None
        norm = {}
    amount, moved = boost_amounts(arrange, pool.columns, pool.rows)
    final = scores + pool.boost + amount
    # Point ids are the article ids as numbers (10 digits): the same order as the ids.
    order = np.lexsort((pool.ids, -final))
    if collapse:
        order = _first_of_each(order, pool.columns.codes("product_code", pool.rows))
    why = pool.why
    if not pins:
        page = order[offset : offset + limit]
        return Ranked(
            records=pool.columns.records(pool.ids[page].tolist()),
            parts=[{s: _part(norm, s, int(i)) for s in SIGNALS} for i in page],
            scores=final[page].tolist(),
            boosts=[(float(pool.boost[i]), why[i] if why else "") for i in page],
            weights=eff,
            total=len(order),
            rules=[moved.get(int(i), []) for i in page],
            ranker=ranker,
        )
    placed, pinned = place_pins(
        pool.ids[order].tolist(),
        arrange,
        pool.columns,
        flt or pool.flt or Filter(),
        collapse=collapse,
    )
    at = {int(pid): i for i, pid in enumerate(pool.ids.tolist())}
    page_ids = placed[offset : offset + limit]
    none: dict[str, float | None] = dict.fromkeys(SIGNALS)
    idx = [at.get(pid) for pid in page_ids]
    return Ranked(
        records=pool.columns.records(page_ids),
        parts=[{s: _part(norm, s, i) for s in SIGNALS} if i is not None else none for i in idx],
        scores=[float(final[i]) if i is not None else None for i in idx],
        boosts=[
            (float(pool.boost[i]), why[i] if why else "") if i is not None else (0.0, "")
            for i in idx
        ],
        weights=eff,
        total=len(placed),
        rules=[
            [pinned[pid]] if pid in pinned else moved.get(i, []) if i is not None else []
            for pid, i in zip(page_ids, idx, strict=True)
        ],
        ranker=ranker,
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
    arrange: Arrange | None = None,
) -> Ranked:
    """Rank the union of the plan's prefetches (and extra ids) under ``flt``; one page back."""
    pool = score_pool(reader, columns, plan, flt, boost, vectors)
    return page_of(
        pool, weights, limit=limit, offset=offset, collapse=collapse, arrange=arrange, flt=flt
    )


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
        arrange=page.arrange,
    )
    return hydrate(reader, ranked)
