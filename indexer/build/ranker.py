"""The build's ranker stage: co-purchase partners for the version, and the learned ranker
trained on the week before the cut-off (`scoring.learned`).

Training set: the customers who bought in the version's last 7 days (the label week; a
sample of `ModelSettings.ranker_customers`). For each, the feed's candidates are made as the
API would have made them on the day before the label week: the customer's purchases until
then (cf vector folded in from them against the version's item factors, text and image
tastes from the recent ones, bought set, rebuy scores), popularity, trend, prices and
repurchase shares counted until then, co-purchase partners from the baskets until then. The
label is whether the customer bought the candidate in the label week. Text and image vectors
do not depend on sales; the item factors are the version's (trained with the label week in
it: one customer's purchases move them little, and a second ALS would double the stage).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse
from tqdm import tqdm

from core.customers import Purchases
from core.settings import Settings
from core.vectors import ArticleVectors
from indexer.build.collab import DEFAULT_ALPHA
from indexer.build.payload import served_mask
from indexer.build.stats import article_stats
from indexer.dataset.read import Dataset
from scoring import learned
from scoring.blend import Weights, blend
from scoring.foldin import fold_in, item_gram
from scoring.learned import FEATURES, Items, Shopper
from scoring.metrics import mean_average_precision
from scoring.normalise import floor_of, from_floor
from scoring.sources import (
    COLOURWAY_CANDIDATES,
    COPURCHASE_DAYS,
    COPURCHASE_HALF_LIFE_DAYS,
    RECENT_KEPT,
    TRENDING_CANDIDATES,
    CoPurchase,
    mean_direction,
    pool_size,
    rebuy_scores,
    same_product,
)

log = logging.getLogger(__name__)
LABEL_DAYS = 7
BATCH = 256
#: The share of the training customers held out to stop the boosting and to report on.
VALID_SHARE = 0.15
ROUNDS = 400
PARAMS: dict[str, Any] = {
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "verbose": -1,
    "num_threads": 2,
}


def copurchase_table(ds: Dataset, as_of_day: int) -> CoPurchase:
    """The version's co-purchase partners: baskets of the last `COPURCHASE_DAYS` days."""
    tx = ds.transactions
    return CoPurchase.build(
        tx.customer_idx,
        tx.article_idx,
        tx.day,
        len(ds.articles),
        since_day=as_of_day - COPURCHASE_DAYS + 1,
        until_day=as_of_day,
    )


@dataclass
class _World:
    """What the API would have known on day ``cut`` (the day before the label week)."""

    cut: int
    items: Items  # every article (rows of the version), keys = rows
    overall: float
    copurchase: CoPurchase
    allowed: npt.NDArray[np.bool_]
    trending: npt.NDArray[np.int64]  # rows by trend, best first


def _world(ds: Dataset, cut: int) -> _World:
    tx = ds.transactions
    n = len(ds.articles)
    before = tx.day <= cut
    stats = article_stats(
        tx.article_idx[before],
        tx.day[before],
        tx.price[before],
        n,
        cut,
        customer_idx=tx.customer_idx[before],
    )
    counts = scipy.sparse.csr_matrix(
        (np.ones(int(before.sum()), np.float32), (tx.customer_idx[before], tx.article_idx[before])),
        shape=(len(ds.customers), n),
    )
    counts.sum_duplicates()
    share = Purchases(counts, counts).repurchase_share().astype(np.float64)
    price = stats["price"].to_numpy(dtype=np.float64)
    price = np.where(np.isnan(price), np.nanmedian(price) if (~np.isnan(price)).any() else 1, price)
    frame = ds.articles
    items = Items(
        key=np.arange(n, dtype=np.int64),
        code=pd.factorize(frame["product_code"].astype(str))[0].astype(np.int64),
        ptype=pd.factorize(frame["product_type_name"].astype(str))[0].astype(np.int64),
        dept=pd.factorize(frame["department_name"].astype(str))[0].astype(np.int64),
        price=price,
        sales_7d=stats["sales_7d"].to_numpy(dtype=np.float64),
        sales_30d=stats["sales_30d"].to_numpy(dtype=np.float64),
        trend=stats["trend_score"].to_numpy(dtype=np.float64),
        first_day=stats["first_sale_day"].to_numpy(dtype=np.float64),
        share=share,
    )
    allowed = served_mask(ds)
    trend = np.where(allowed, items.trend, -np.inf)
    trending = np.lexsort((np.arange(n), -trend))[:TRENDING_CANDIDATES]
    table = CoPurchase.build(
        tx.customer_idx,
        tx.article_idx,
        tx.day,
        n,
        since_day=cut - COPURCHASE_DAYS + 1,
        until_day=cut,
    )
    return _World(cut, items, float(np.mean(share)), table, allowed, trending)


def _subset(items: Items, rows: npt.NDArray[np.int64]) -> Items:
    return Items(*(getattr(items, f)[rows] for f in Items.__dataclass_fields__))


def train_ranker(
    ds: Dataset, settings: Settings, models_dir: Path, as_of_day: int, item_factors: Any
) -> dict[str, Any] | None:
    """Train and write the ranker; its description (None: no label week to learn from)."""
    start = time.perf_counter()
    m = settings.models
    if m.ranker_customers <= 0:
        log.info("ranker: not trained (LOOKBOOK_MODELS__RANKER_CUSTOMERS=0)")
        return None
    tx = ds.transactions
    cut = as_of_day - LABEL_DAYS
    label = (tx.day > cut) & (tx.day <= as_of_day)
    before = tx.day <= cut
    buyers = np.unique(tx.customer_idx[label])
    if not len(buyers) or not before.any():
        log.info("ranker: not trained (no purchase in the label week or before it)")
        return None
    rng = np.random.default_rng(settings.seed)
    if len(buyers) > m.ranker_customers:
        buyers = np.sort(rng.choice(buyers, m.ranker_customers, replace=False))
    world = _world(ds, cut)
    ids = ds.articles["article_id"].astype(str).tolist()
    vectors = ArticleVectors.load(models_dir, ids)
    if vectors is None:
        return None
    groups = _groups(ds, settings, world, vectors, np.asarray(item_factors), buyers, cut)
    if not groups:
        return None
    model, meta = _fit(groups, settings, rng)
    meta.update(
        label_week=[cut + 1, as_of_day],
        customers=len(groups),
        rows=int(sum(len(g.y) for g in groups)),
        positives=int(sum(g.y.sum() for g in groups)),
        train_seconds=round(time.perf_counter() - start, 1),
    )
    learned.save(models_dir, model.model_to_string(), meta)
    log.info(
        "ranker: %s on %d customers (%d rows) in %.1f s; validation MAP@12 %.4f (blend %.4f)",
        meta["objective"],
        meta["customers"],
        meta["rows"],
        meta["train_seconds"],
        meta["valid"]["map12_learned"],
        meta["valid"]["map12_blend"],
    )
    return meta


@dataclass
class _Group:
    x: npt.NDArray[np.float32]
    y: npt.NDArray[np.float32]
    rows: npt.NDArray[np.int64]
    bought_next: set[int]


def _groups(
    ds: Dataset,
    settings: Settings,
    world: _World,
    vectors: ArticleVectors,
    factors: npt.NDArray[np.float32],
    buyers: npt.NDArray[np.int64],
    cut: int,
) -> list[_Group]:
    tx = ds.transactions
    mine = np.isin(tx.customer_idx, buyers)
    hist = mine & (tx.day <= cut)
    nxt = mine & (tx.day > cut) & (tx.day <= cut + LABEL_DAYS)
    order = np.lexsort((-tx.day[hist].astype(np.int64), tx.customer_idx[hist]))
    h_c = tx.customer_idx[hist][order]
    h_a = tx.article_idx[hist][order].astype(np.int64)
    h_d = tx.day[hist][order].astype(np.float64)
    starts = np.searchsorted(h_c, buyers, side="left")
    ends = np.searchsorted(h_c, buyers, side="right")
    labels: dict[int, set[int]] = {}
    for c, a in zip(tx.customer_idx[nxt].tolist(), tx.article_idx[nxt].tolist(), strict=True):
        labels.setdefault(int(c), set()).add(int(a))
    gram = item_gram(factors)
    half = settings.models.decay_half_life_days
    matrices = {s: np.asarray(vectors.matrix(s)) for s in ("cf", "text", "image")}
    # Scanned in batches: NaN rows (no image) as zeros, put back as NaN after the product.
    missing = {s: np.isnan(m).any(axis=1) for s, m in matrices.items()}
    dense = {s: np.nan_to_num(m, nan=0.0) if missing[s].any() else m for s, m in matrices.items()}
    out: list[_Group] = []
    for lo in tqdm(range(0, len(buyers), BATCH), desc="ranker candidates", unit="batch"):
        batch = range(lo, min(lo + BATCH, len(buyers)))
        people = [
            _person(
                h_a[starts[i] : ends[i]],
                h_d[starts[i] : ends[i]],
                world,
                factors,
                gram,
                matrices,
                settings,
                half,
            )
            for i in batch
        ]
        scans = _scan(people, dense, missing)
        for i, person, found in zip(batch, people, scans, strict=True):
            group = _group(person, found, world, vectors, settings, labels[int(buyers[i])])
            if group is not None:
                out.append(group)
    return out


@dataclass
class _Person:
    shopper: Shopper | None
    queries: dict[str, npt.NDArray[np.float64]]
    excluded: npt.NDArray[np.int64]
    rebuy: dict[int, float]
    copurchase: dict[int, float]
    colourways: npt.NDArray[np.int64]


def _person(
    arts: npt.NDArray[np.int64],
    days: npt.NDArray[np.float64],
    world: _World,
    factors: npt.NDArray[np.float32],
    gram: npt.NDArray[np.float64],
    matrices: dict[str, npt.NDArray[np.float32]],
    settings: Settings,
    half: float,
) -> _Person:
    """One customer as the API would have seen them on day ``world.cut`` (purchases newest
    first)."""
    if not len(arts):
        return _Person(None, {}, np.zeros(0, np.int64), {}, {}, np.zeros(0, np.int64))
    distinct, first, counts = np.unique(arts, return_index=True, return_counts=True)
    decay = 0.5 ** (np.maximum(world.cut - days, 0) / half)
    weight = np.bincount(np.searchsorted(distinct, arts), weights=decay, minlength=len(distinct))
    cf = fold_in(
        factors[distinct], DEFAULT_ALPHA * weight, gram, settings.models.als_regularization
    )
    newest = distinct[np.argsort(first, kind="stable")][:RECENT_KEPT]
    newest_days = days[np.sort(first)][:RECENT_KEPT]
    last = np.full(len(distinct), np.nan)
    last[np.searchsorted(distinct, newest)] = newest_days
    queries: dict[str, npt.NDArray[np.float64]] = {}
    if float(np.linalg.norm(cf)) > 0:
        queries["cf"] = cf
    recent_w = 0.5 ** (np.maximum(world.cut - newest_days, 0) / half)
    for s in ("text", "image"):
        rows = np.asarray(matrices[s][newest], dtype=np.float64)
        ok = ~np.isnan(rows).any(axis=1) & (recent_w > 0)
        taste = mean_direction(rows[ok], recent_w[ok]) if ok.any() else None
        if taste is not None:
            queries[s] = taste
    bought = _subset(world.items, distinct)
    shopper = Shopper(bought, counts.astype(np.float64), last, world.overall, world.cut)
    scores = rebuy_scores(bought.share, world.overall, counts)
    keep = scores >= settings.ranking.rebuy_threshold
    rebuy = {int(a): float(s) for a, s, k in zip(distinct, scores, keep, strict=True) if k}
    partners, co, _ = world.copurchase.scored(
        newest, 0.5 ** (np.maximum(world.cut - newest_days, 0) / COPURCHASE_HALF_LIFE_DAYS)
    )
    ways = same_product(world.items.code, bought.code, distinct, COLOURWAY_CANDIDATES)
    return _Person(
        shopper,
        queries,
        distinct[~keep],
        rebuy,
        {int(p): float(s) for p, s in zip(partners, co, strict=True)},
        ways,
    )


def _scan(
    people: list[_Person], matrices: dict[str, Any], missing: dict[str, Any]
) -> list[dict[str, npt.NDArray[np.float64]]]:
    """Per person, per signal: the signal's raw score of every article (a batch product)."""
    out: list[dict[str, npt.NDArray[np.float64]]] = [{} for _ in people]
    for s in ("cf", "text", "image"):
        who = [i for i, p in enumerate(people) if s in p.queries]
        if not who:
            continue
        q = np.stack([people[i].queries[s] for i in who]).astype(np.float32)
        raw = (q @ matrices[s].T).astype(np.float64)
        raw[:, missing[s]] = np.nan
        for j, i in enumerate(who):
            out[i][s] = raw[j]
    return out


def _group(
    person: _Person,
    raw: dict[str, npt.NDArray[np.float64]],
    world: _World,
    vectors: ArticleVectors,
    settings: Settings,
    bought_next: set[int],
) -> _Group | None:
    """The person's candidates, their features and labels (None: no candidate)."""
    allowed = world.allowed.copy()
    allowed[person.excluded] = False
    n = pool_size(settings.ranking.candidates, 12, 0)
    found: list[int] = []
    for scores in raw.values():
        masked = np.where(allowed & ~np.isnan(scores), scores, -np.inf)
        k = min(n, int(np.isfinite(masked).sum()))
        if k:
            head = np.argpartition(-masked, k - 1)[:k]
            found += head.tolist()
    found += [int(r) for r in world.trending if allowed[r]]
    extra = [*person.rebuy, *person.copurchase, *person.colourways.tolist()]
    found += [r for r in extra if allowed[r]]
    rows = np.array(list(dict.fromkeys(found)), dtype=np.int64)
    if not len(rows):
        return None
    norm = {}
    for s, scores in raw.items():
        mean, std = vectors.score_stats(s, person.queries[s].tolist())
        norm[s] = from_floor(scores[rows], floor_of(mean, std))
    blended = blend(norm, Weights(0.5, 0.3, 0.2))[0] if norm else np.zeros(len(rows))
    co = np.array([person.copurchase.get(int(r), 0.0) for r in rows])
    shopper = person.shopper or Shopper(
        _subset(world.items, np.zeros(0, np.int64)),
        np.zeros(0),
        np.zeros(0),
        world.overall,
        world.cut,
    )
    x = learned.features(_subset(world.items, rows), norm, blended, co, shopper)
    y = np.array([int(r) in bought_next for r in rows], dtype=np.float32)
    return _Group(x, y, rows, bought_next)


def _fit(
    groups: list[_Group], settings: Settings, rng: np.random.Generator
) -> tuple[Any, dict[str, Any]]:
    """LightGBM on the groups; the held-out customers stop it and are scored (MAP@12 of the
    model's order and of the blend's, over the candidates, against all they bought)."""
    import lightgbm as lgb

    objective = settings.models.ranker_objective
    order = rng.permutation(len(groups))
    n_valid = max(1, int(len(groups) * VALID_SHARE)) if len(groups) > 4 else 0
    valid = [groups[i] for i in order[:n_valid]]
    train = [groups[i] for i in order[n_valid:]]
    if objective == "lambdarank":
        # Groups without a positive teach a ranking objective nothing.
        train = [g for g in train if g.y.any()]
    params = {**PARAMS, "objective": objective, "seed": settings.seed}
    if objective == "lambdarank":
        params |= {"metric": "map", "eval_at": [12], "lambdarank_truncation_level": 20}
    else:
        params |= {"metric": "binary_logloss"}

    def dataset(gs: list[_Group]) -> Any:
        return lgb.Dataset(
            np.vstack([g.x for g in gs]),
            np.concatenate([g.y for g in gs]),
            group=[len(g.y) for g in gs] if objective == "lambdarank" else None,
            feature_name=list(FEATURES),
            free_raw_data=False,
        )

    train_set = dataset(train)
    callbacks: list[Any] = []
    sets = []
    if valid and any(g.y.any() for g in valid):
        sets = [dataset(valid)]
        callbacks = [lgb.early_stopping(30, verbose=False)]
    model = lgb.train(params, train_set, ROUNDS, valid_sets=sets, callbacks=callbacks)
    held = valid or train
    actual = [{str(a) for a in g.bought_next} for g in held]
    blend_col = FEATURES.index("blend")

    def top(g: _Group, scores: npt.NDArray[np.float64]) -> list[str]:
        return [str(r) for r in g.rows[np.lexsort((g.rows, -scores))][:12]]

    map_learned = mean_average_precision(
        actual,
        [top(g, np.asarray(model.predict(g.x, num_threads=1), dtype=np.float64)) for g in held],
        12,
    )
    map_blend = mean_average_precision(
        actual, [top(g, np.nan_to_num(g.x[:, blend_col].astype(np.float64))) for g in held], 12
    )
    gain = model.feature_importance("gain")
    total = float(gain.sum()) or 1.0
    return model, {
        "objective": objective,
        "rounds": int(model.best_iteration or model.current_iteration()),
        "valid": {
            "customers": len(held),
            "map12_learned": round(map_learned, 5),
            "map12_blend": round(map_blend, 5),
        },
        "importance": {f: round(float(g) / total, 4) for f, g in zip(FEATURES, gain, strict=True)},
    }
