"""One evaluation split: build the index before it, predict 12 articles per customer, score."""

from __future__ import annotations

import itertools
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from core.catalog import EPOCH
from core.experiments import ExperimentIn, Overlay
from scoring.blend import Weights
from scoring.metrics import coverage, mean_average_precision, recall_at_k

if TYPE_CHECKING:
    from core.settings import Settings
    from indexer.dataset.read import Dataset
    from ranking.index import Snapshot
    from ranking.pool import Pool

log = logging.getLogger(__name__)
K = 12
#: Single-signal and default blends scored from the same candidate pool.
BLENDS = {
    "ALS alone": Weights(1.0, 0.0, 0.0),
    "text alone": Weights(0.0, 1.0, 0.0),
    "image alone": Weights(0.0, 0.0, 1.0),
    "blend 0.5/0.3/0.2": Weights(0.5, 0.3, 0.2),
}
GRID_STEP = 0.1


@dataclass(frozen=True)
class Split:
    name: str
    start: int  # first held-out day (days since epoch)
    end: int  # last held-out day, inclusive


@dataclass
class MethodScore:
    map12: float
    recall12: float
    coverage: float
    ms_per_customer: float


@dataclass
class SplitResult:
    split: Split
    customers: int
    eligible: int
    methods: dict[str, MethodScore] = field(default_factory=dict)
    best_weights: dict[str, float] | None = None
    grid: list[tuple[dict[str, float], float]] = field(default_factory=list)
    #: The freshness variant (`live_replay`), when it was run on this split.
    live: dict[str, Any] | None = None
    #: What a merchandising rule costs (`RULE_STRENGTH` boost of one department on the feed as
    #: served): MAP@12 and the department's share of the top 12, without and with it.
    rule: dict[str, Any] | None = None
    #: The learned ranker of the split's index (objective, training figures, importances).
    ranker: dict[str, Any] | None = None
    #: The rebuy threshold with the best MAP@12 of those compared (validation only).
    best_threshold: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "customers_scored": self.customers,
            "eligible": self.eligible,
            "methods": {k: vars(v) for k, v in self.methods.items()},
            "best_weights": self.best_weights,
            "grid_top": [{"weights": w, "map12": m} for w, m in self.grid[:10]],
            "live": self.live,
            "rule": self.rule,
            "ranker": self.ranker,
            "best_threshold": self.best_threshold,
        }


def held_out(ds: Dataset, split: Split) -> dict[str, set[str]]:
    """What each customer bought in the held-out window (distinct article ids)."""
    tx = ds.transactions
    mask = (tx.day >= split.start) & (tx.day <= split.end)
    cids = ds.customers["customer_id"].to_numpy()[tx.customer_idx[mask]]
    aids = ds.articles["article_id"].to_numpy()[tx.article_idx[mask]]
    truth: dict[str, set[str]] = {}
    for c, a in zip(cids, aids, strict=True):
        truth.setdefault(str(c), set()).add(str(a))
    return truth


def weight_grid(step: float = GRID_STEP) -> list[Weights]:
    """Every (cf, text, image) on the simplex with the given step (no all-zero)."""
    n = round(1 / step)
    return [
        Weights(i / n, j / n, (n - i - j) / n)
        for i, j in itertools.product(range(n + 1), repeat=2)
        if i + j <= n
    ]


def _build(split: Split, ds_dir: Path, settings: Settings, tmp: Path) -> Snapshot:
    from core.store import open_store
    from indexer.build.pipeline import build
    from ranking.index import LiveIndex

    until = EPOCH + timedelta(days=split.start)
    # Text and image vectors do not depend on sales: the second split reuses the first's.
    # A configured cache (LOOKBOOK_CACHE_DIR) is reused: an H&M-size catalog's text vectors
    # take half an hour to compute.
    cache = settings.cache_dir or tmp / "cache"
    update = {"index_dir": tmp / split.name, "db_path": tmp / "eval.db", "cache_dir": cache}
    s = settings.model_copy(update=update)
    build(s, data_dir=ds_dir, until=until)
    return LiveIndex(s, open_store(s)).snapshot()


def variant_rows(experiment: ExperimentIn) -> dict[str, Overlay]:
    """An experiment's variants as evaluation rows: "variant A (control)", "variant B: weights
    0/0/1"; the merchandising rules are not applied offline (the evaluation has none)."""
    out = {}
    for i, v in enumerate(experiment.variants):
        said = json.dumps(v.overlay.model_dump(exclude_none=True), separators=(",", ":"))
        label = "control" if i == 0 else said if said != "{}" else "the shop's settings"
        out[f"variant {v.name} ({label})"] = v.overlay
    return out


def threshold_row(t: float) -> str:
    return f"blend as served, rebuy threshold {t:g}"


def _source_ids(pool: Pool, source: str) -> list[str]:
    """The pool's candidates from one extra source, best first by its score (ties: blend)."""
    from scoring.blend import blend

    scores = pool.sources.get(source)
    if scores is None or not len(pool):
        return []
    b = blend(pool.norm, BLENDS["blend 0.5/0.3/0.2"])[0] if pool.norm else np.zeros(len(pool))
    chosen = np.flatnonzero(scores > 0)
    chosen = chosen[np.lexsort((-np.nan_to_num(b[chosen]), -scores[chosen]))][:K]
    return [pool.columns.payload(int(pool.rows[i]))["article_id"] for i in chosen]


def _ids(pool: Pool, weights: Weights, collapse: bool = False, arrange: Any = None) -> list[str]:
    from ranking.pool import page_of

    ranked = page_of(pool, weights, limit=K, offset=0, collapse=collapse, arrange=arrange)
    return [r.payload["article_id"] for r in ranked.records]


#: The feed as the API serves it: bought articles left out unless likely bought again
#: (``ranking.rebuy_threshold``), variants collapsed.
SERVED = "blend as served (rebuys kept, variants collapsed)"
#: The same with the learned ranker (`scoring.learned`).
LEARNED = "learned ranker as served"
#: The feed as served before the rebuy threshold: everything bought left out.
ALL_OUT = "blend as served, everything bought left out"
#: Each extra source alone: its own candidates by its own score (ties: the blend).
SOURCES = {
    "rebuy": "source alone: buy again",
    "copurchase": "source alone: bought together",
    "colourway": "source alone: other colours",
}
#: Rebuy thresholds the validation week compares (1.01: everything bought left out).
THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.01)

#: The boost of the evaluation's rule row (a merchandiser's "push this department").
RULE_STRENGTH = 0.3
RULE_ROW = "blend as served, one department boosted +0.3 (a rule)"


def rule_department(snap: Snapshot) -> str:
    """The department (index group) the rule row boosts: the catalog's second largest."""
    counts = snap.columns.facet("index_group_name", None, limit=2)
    names = list(counts)
    return names[1] if len(names) > 1 else names[0]


def department_boost(dept: str) -> Any:
    from core.store.base import Filter, Match
    from ranking.rules import Arrange, Ref

    target = Filter(must=(Match("index_group_name", (dept,)),))
    return Arrange(boosts=((target, RULE_STRENGTH, Ref(0, f"boost {dept}", "boost")),))


def _predict(
    snap: Snapshot,
    settings: Settings,
    customers: list[str],
    popular: list[str],
    seed: int,
    blends: dict[str, Weights],
    keep_pools: bool,
    variants: dict[str, Overlay] | None = None,
    thresholds: tuple[float, ...] = (),
) -> tuple[dict[str, list[list[str]]], dict[str, float], list[Pool]]:
    """Predictions of every method for each customer, ms per customer, and (if asked) the
    blend pools: kept only for the weight search, as 20,000 of them would not fit in RAM."""
    from ranking.feed import feed_pool
    from ranking.pool import weights_of as pool_weights
    from ranking.request import ListFilters, Page
    from ranking.taste import load_customer

    rng = np.random.default_rng(seed)
    catalog = [r.payload["article_id"] for r in snap.reader.scroll("articles", limit=10**7)]
    boosted = department_boost(rule_department(snap))
    preds: dict[str, list[list[str]]] = {}
    ms: dict[str, float] = {}
    pools: list[Pool] = []
    everything = ListFilters()

    def with_ranking(**update: Any) -> Settings:
        return settings.model_copy(update={"ranking": settings.ranking.model_copy(update=update)})

    as_learned = with_ranking(ranker="learned")
    all_out = with_ranking(rebuy_threshold=1.01)
    by_threshold = {t: with_ranking(rebuy_threshold=t) for t in thresholds}

    def add(name: str, ids: list[str], seconds: float) -> None:
        preds.setdefault(name, []).append(ids)
        ms[name] = ms.get(name, 0.0) + seconds * 1000

    for cid in tqdm(customers, desc="customers", unit="cust"):
        t0 = time.perf_counter()
        pool, _ = feed_pool(
            snap, settings, cid, None, everything, Page(K, 0, False), exclude_bought=False
        )
        t_pool = time.perf_counter() - t0
        if keep_pools:
            pools.append(pool)
        for name, w in blends.items():
            t1 = time.perf_counter()
            add(name, _ids(pool, w), t_pool + time.perf_counter() - t1)
        t1 = time.perf_counter()
        served, _ = feed_pool(snap, settings, cid, None, everything, Page(K, 0, True))
        add(
            SERVED,
            _ids(served, BLENDS["blend 0.5/0.3/0.2"], True),
            time.perf_counter() - t1,
        )
        for source, name in SOURCES.items():
            add(name, _source_ids(served, source), 0.0)
        t1 = time.perf_counter()
        learned, _ = feed_pool(snap, as_learned, cid, None, everything, Page(K, 0, True))
        if learned.learned is not None:
            add(LEARNED, _ids(learned, BLENDS["blend 0.5/0.3/0.2"], True), time.perf_counter() - t1)
        t1 = time.perf_counter()
        old, _ = feed_pool(snap, all_out, cid, None, everything, Page(K, 0, True))
        add(ALL_OUT, _ids(old, BLENDS["blend 0.5/0.3/0.2"], True), time.perf_counter() - t1)
        for t in thresholds:
            t1 = time.perf_counter()
            at_t, _ = feed_pool(snap, by_threshold[t], cid, None, everything, Page(K, 0, True))
            add(
                threshold_row(t),
                _ids(at_t, BLENDS["blend 0.5/0.3/0.2"], True),
                time.perf_counter() - t1,
            )
        for name, overlay in (variants or {}).items():
            # An experiment's variant as the API would serve it (`core.experiments`).
            t1 = time.perf_counter()
            vs = overlay.apply(settings)
            policy = True if overlay.exclude_bought is None else overlay.exclude_bought
            pool_v, _ = feed_pool(
                snap, vs, cid, None, everything, Page(K, 0, True), exclude_bought=policy
            )
            add(name, _ids(pool_v, pool_weights(vs), True), time.perf_counter() - t1)
        t1 = time.perf_counter()
        add(
            RULE_ROW,
            _ids(served, BLENDS["blend 0.5/0.3/0.2"], True, boosted),
            time.perf_counter() - t1,
        )
        t1 = time.perf_counter()
        add(
            "random",
            [catalog[i] for i in rng.choice(len(catalog), K, replace=False)],
            time.perf_counter() - t1,
        )
        add("popular last week", popular, 0.0)
        t1 = time.perf_counter()
        recent = load_customer(snap, cid).recent
        add(
            "repurchase, then popular",
            list(dict.fromkeys(recent + popular))[:K],
            time.perf_counter() - t1,
        )
    n = max(len(customers), 1)
    return preds, {k: v / n for k, v in ms.items()}, pools


def run_split(
    split: Split,
    ds: Dataset,
    data_dir: Path,
    settings: Settings,
    tmp: Path,
    *,
    sample: int | None,
    seed: int,
    tune: bool = False,
    tuned: dict[str, float] | None = None,
    live_days: int = 0,
    variants: dict[str, Overlay] | None = None,
) -> SplitResult:
    """Build before the split, predict for (a sample of) its customers, score every method;
    with ``live_days``, also the freshness variant (`live_replay`) on the same index."""
    log.info("split %s: building the index from the days before it", split.name)
    snap = _build(split, data_dir, settings, tmp)
    truth = held_out(ds, split)
    customers = sampled(truth, sample, seed)
    popular = [
        r.payload["article_id"]
        for r in snap.reader.scroll("articles", order_by=("sales_7d", "desc"), limit=K)
    ]
    blends = dict(BLENDS)
    if tuned is not None:
        blends["blend, tuned on validation"] = Weights(**tuned)
    preds, ms, pools = _predict(
        snap,
        settings,
        customers,
        popular,
        seed,
        blends,
        tune,
        variants=variants,
        thresholds=THRESHOLDS if tune else (),
    )
    actual = [truth[c] for c in customers]
    result = SplitResult(split, len(customers), len(truth))
    size = len(snap.manifest) and int(snap.manifest["articles"])
    for name, p in preds.items():
        result.methods[name] = _score(actual, p, ms[name], size)
    dept = rule_department(snap)
    share = {name: _share(snap, preds[name], dept) for name in (SERVED, RULE_ROW)}
    result.rule = {
        "department": dept,
        "strength": RULE_STRENGTH,
        "map12_without": result.methods[SERVED].map12,
        "map12_with": result.methods[RULE_ROW].map12,
        "share_without": share[SERVED],
        "share_with": share[RULE_ROW],
    }
    result.ranker = snap.manifest.get("ranker")
    if tune:
        by_t = {t: result.methods[threshold_row(t)].map12 for t in THRESHOLDS}
        result.best_threshold = max(THRESHOLDS, key=lambda t: (by_t[t], -t))
        result.grid = _grid_search(pools, actual)
        result.best_weights = result.grid[0][0]
    if live_days:
        result.live = live_replay(snap, ds, split, settings, tmp, live_days, sample, seed)
    snap.reader.close()
    return result


def live_replay(
    snap: Snapshot,
    ds: Dataset,
    split: Split,
    settings: Settings,
    tmp: Path,
    days: int,
    sample: int | None,
    seed: int,
) -> dict[str, Any]:
    """What freshness is worth: the split's first ``days`` days of purchases go into an event
    log as purchase events (no rebuild), and the day after them is scored twice from the index
    built before the split: as it was (static), and with the log applied as the API applies it
    (`EventLog.activity` → the feed)."""
    from core.events import Event, EventLog
    from ranking.feed import feed_pool
    from ranking.request import ListFilters, Page

    replayed = Split(f"{split.name} days 1-{days}", split.start, split.start + days - 1)
    scored = Split(f"{split.name} day {days + 1}", split.start + days, split.start + days)
    tx = ds.transactions
    mask = (tx.day >= replayed.start) & (tx.day <= replayed.end)
    cids = ds.customers["customer_id"].to_numpy()[tx.customer_idx[mask]]
    aids = ds.articles["article_id"].to_numpy()[tx.article_idx[mask]]
    m = settings.shop.price_multiplier
    log_ = EventLog(tmp / f"replay-{split.name}.db")
    events = [
        Event(f"tx{i}", "purchase", str(c), str(a), float(d) * 86400 + 43200, float(p) * m, int(ch))
        for i, (c, a, d, p, ch) in enumerate(
            zip(cids, aids, tx.day[mask], tx.price[mask], tx.channel[mask], strict=True)
        )
    ]
    for lo in tqdm(range(0, len(events), 500), desc="replay events", unit="batch"):
        log_.append(events[lo : lo + 500])
    truth = held_out(ds, scored)
    customers = sampled(truth, sample, seed)
    actual = [truth[c] for c in customers]
    preds: dict[str, list[list[str]]] = {}
    ms: dict[str, float] = {}
    blend = BLENDS["blend 0.5/0.3/0.2"]
    for cid in tqdm(customers, desc=f"score {scored.name}", unit="cust"):
        activity = log_.activity(cid, snap.events_seq, settings.live.views_kept)
        for mode, act in (("static", None), ("live", activity)):
            for served in (False, True):
                t0 = time.perf_counter()
                pool, _ = feed_pool(
                    snap,
                    settings,
                    cid,
                    None,
                    ListFilters(),
                    Page(K, 0, served),
                    exclude_bought=served,
                    activity=act,
                )
                name = f"{mode}, {'as served' if served else 'blend 0.5/0.3/0.2'}"
                preds.setdefault(name, []).append(_ids(pool, blend, served))
                ms[name] = ms.get(name, 0.0) + (time.perf_counter() - t0) * 1000
    log_.close()
    n = max(len(customers), 1)
    size = int(snap.manifest["articles"])
    methods = {name: vars(_score(actual, p, ms[name] / n, size)) for name, p in preds.items()}
    return {
        "replayed": [iso_day(replayed.start), iso_day(replayed.end)],
        "scored_day": iso_day(scored.start),
        "events": len(events),
        "customers_scored": len(customers),
        "eligible": len(truth),
        "methods": methods,
    }


def sampled(truth: dict[str, set[str]], sample: int | None, seed: int) -> list[str]:
    """The customers to score: all who bought, or ``sample`` of them drawn with ``seed``."""
    customers = sorted(truth)
    if sample is not None and sample < len(customers):
        rng = np.random.default_rng(seed)
        customers = sorted(rng.choice(customers, sample, replace=False).tolist())
    return customers


def _share(snap: Snapshot, preds: list[list[str]], dept: str) -> float:
    """The department's share of all the top-12 items predicted."""
    from core.catalog import point_id

    ids = np.array([point_id(a) for p in preds for a in p], dtype=np.int64)
    if not len(ids):
        return 0.0
    rows = snap.columns.rows(ids)
    depts = [snap.columns.payload(int(r)).get("index_group_name") for r in rows if r >= 0]
    return float(np.mean([d == dept for d in depts]))


def _score(
    actual: list[set[str]], preds: list[list[str]], ms_per_customer: float, articles: int
) -> MethodScore:
    return MethodScore(
        map12=mean_average_precision(actual, preds, K),
        recall12=float(np.mean([recall_at_k(a, q, K) for a, q in zip(actual, preds, strict=True)])),
        coverage=coverage(preds, articles),
        ms_per_customer=round(ms_per_customer, 2),
    )


def iso_day(day: int) -> str:
    """A day since 1970-01-01 as YYYY-MM-DD."""
    return (EPOCH + timedelta(days=day)).isoformat()


def _grid_search(pools: list[Pool], actual: list[set[str]]) -> list[tuple[dict[str, float], float]]:
    scored = []
    for w in tqdm(weight_grid(), desc="weight grid", unit="w"):
        preds = [_ids(p, w) for p in pools]
        scored.append((w.as_dict(), mean_average_precision(actual, preds, K)))
    scored.sort(key=lambda wm: -wm[1])
    return scored
