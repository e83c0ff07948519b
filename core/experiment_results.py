"""An experiment's results (`core.experiments`): per variant, what its visitors did with the
lists it served them, and each variant against the control.

The unit is the visitor (a customer id, else an anonymous visitor id), the unit of assignment:
a visitor's lists are not independent of each other, so per-list rates would overstate the
evidence. Per visitor: the lists served, whether any was clicked, carted, converted (an
attributed purchase within `core.insights.WINDOW_DAYS` of its list), and the attributed
revenue. Each variant's mean has a 95% t interval (`scipy.stats.ttest_1samp`); a variant
against the control is Welch's t-test on the per-visitor values (`scipy.stats.ttest_ind`,
``equal_var=False``), its difference's 95% interval from the same test, relative to the
control's mean. The split is checked with a chi-square test of visitors per variant against
the shares (`scipy.stats.chisquare`): a p-value under `SRM_P` flags a sample ratio mismatch,
which means the assignment or the logging is broken and no result should be trusted.
Computed in the database, one grouped query over the experiment's impressions (indexed by
experiment and variant) joined to the events by ``rec_id``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from core.db import Database
from core.experiments import Experiment
from core.insights import DAY_S, WINDOW_DAYS

#: A split whose chi-square p-value is below this is flagged (a sample ratio mismatch).
SRM_P = 0.001
#: The verdict's significance level, and the change it says how many visitors would detect.
ALPHA = 0.05
POWER = 0.8
DETECTABLE = 0.10  # relative
METRICS = ("click_through", "add_to_cart", "conversion", "revenue_per_visitor")
TEST = (
    "per visitor (the unit of assignment): Welch's t-test of each variant against the control "
    "(scipy.stats.ttest_ind, equal_var=False), 95% intervals of the difference; "
    f"sample ratio: chi-square of visitors per variant against the shares, flagged at p < {SRM_P}"
)


@dataclass(frozen=True)
class Estimate:
    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Difference:
    """A variant's mean minus the control's, and relative to the control's mean."""

    value: float
    low: float
    high: float
    relative: float | None
    relative_low: float | None
    relative_high: float | None
    p_value: float


@dataclass
class VariantResult:
    name: str
    share: float
    control: bool
    visitors: int
    lists: int
    metrics: dict[str, Estimate] = field(default_factory=dict)
    #: Against the control (empty for the control itself).
    versus_control: dict[str, Difference] = field(default_factory=dict)


@dataclass
class SampleRatio:
    chi2: float | None
    p_value: float | None
    flagged: bool
    expected: dict[str, float]
    observed: dict[str, int]


@dataclass
class Results:
    experiment_id: int
    variants: list[VariantResult]
    sample_ratio: SampleRatio
    verdict: str
    test: str = TEST


def per_visitor(db: Database, experiment_id: int) -> dict[str, np.ndarray]:
    """Per variant, one row per visitor: lists, clicked, carted, converted, revenue."""
    rows = db.rows(
        "SELECT variant, who, count(DISTINCT rec_id), max(clicked), max(carted), max(bought), "
        "sum(revenue) FROM ("
        "SELECT i.variant, coalesce(i.customer_id, i.visitor_id) AS who, i.rec_id, "
        "CASE WHEN e.type = 'view' THEN 1 ELSE 0 END AS clicked, "
        "CASE WHEN e.type = 'add_to_cart' THEN 1 ELSE 0 END AS carted, "
        "CASE WHEN e.type = 'purchase' AND e.ts - i.ts <= :w THEN 1 ELSE 0 END AS bought, "
        "CASE WHEN e.type = 'purchase' AND e.ts - i.ts <= :w THEN coalesce(e.price, 0) "
        "ELSE 0 END AS revenue "
        "FROM impressions i LEFT JOIN events e ON e.rec_id = i.rec_id "
        "WHERE i.experiment = :x AND coalesce(i.customer_id, i.visitor_id) IS NOT NULL"
        ") AS served GROUP BY variant, who",
        {"x": experiment_id, "w": WINDOW_DAYS * DAY_S},
    )
    out: dict[str, list[tuple[float, ...]]] = {}
    for variant, _who, *values in rows:
        out.setdefault(str(variant), []).append(tuple(float(v or 0) for v in values))
    return {k: np.array(v, dtype=np.float64).reshape(-1, 5) for k, v in out.items()}


def results(db: Database, experiment: Experiment) -> Results:
    """The experiment's results as of now."""
    return analyse(experiment, per_visitor(db, experiment.id))


def analyse(experiment: Experiment, data: dict[str, np.ndarray]) -> Results:
    """Results from per-visitor rows (`per_visitor`'s columns)."""
    empty = np.zeros((0, 5))
    control = experiment.variants[0].name
    base = data.get(control, empty)
    out: list[VariantResult] = []
    for v in experiment.variants:
        rows = data.get(v.name, empty)
        row = VariantResult(
            v.name, v.share, v.name == control, len(rows), int(rows[:, 0].sum()) if len(rows) else 0
        )
        for i, metric in enumerate(METRICS, start=1):
            x = rows[:, i]
            row.metrics[metric] = mean_interval(x)
            if v.name != control:
                d = difference(x, base[:, i])
                if d is not None:
                    row.versus_control[metric] = d
        out.append(row)
    ratio = sample_ratio(
        {v.name: v.share for v in experiment.variants}, {r.name: r.visitors for r in out}
    )
    return Results(experiment.id, out, ratio, verdict(out, ratio))


def mean_interval(x: np.ndarray) -> Estimate:
    """The mean with its 95% t interval (none under two visitors)."""
    if len(x) == 0:
        return Estimate(None, None, None)
    mean = float(x.mean())
    if len(x) < 2 or float(x.std()) == 0.0:
        return Estimate(mean, mean if len(x) >= 2 else None, mean if len(x) >= 2 else None)
    ci = stats.ttest_1samp(x, 0.0).confidence_interval(0.95)
    return Estimate(mean, float(ci.low), float(ci.high))


def difference(x: np.ndarray, control: np.ndarray) -> Difference | None:
    """Welch's t-test of ``x`` against ``control``: the difference of means, its 95% interval
    and p-value, and those relative to the control's mean (None under two visitors a side or
    without any variation)."""
    if len(x) < 2 or len(control) < 2 or (x.std() == 0 and control.std() == 0):
        return None
    test = stats.ttest_ind(x, control, equal_var=False)
    ci = test.confidence_interval(0.95)
    diff, base = float(x.mean() - control.mean()), float(control.mean())
    rel = (lambda v: v / base) if base != 0 else (lambda v: None)
    return Difference(
        diff,
        float(ci.low),
        float(ci.high),
        rel(diff),
        rel(float(ci.low)),
        rel(float(ci.high)),
        float(test.pvalue),
    )


def sample_ratio(shares: dict[str, float], visitors: dict[str, int]) -> SampleRatio:
    total = sum(visitors.values())
    expected = {k: total * s for k, s in shares.items()}
    if total == 0:
        return SampleRatio(None, None, False, expected, visitors)
    test = stats.chisquare([visitors[k] for k in shares], [expected[k] for k in shares])
    p = float(test.pvalue)
    return SampleRatio(float(test.statistic), p, p < SRM_P, expected, visitors)


def visitors_needed(rate: float, relative: float = DETECTABLE) -> int | None:
    """Visitors per variant for a two-sided test at `ALPHA` with `POWER` to detect a change
    of ``relative`` in a rate near ``rate`` (the normal approximation)."""
    if not 0 < rate < 1:
        return None
    z = float(stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(POWER))
    delta = rate * relative
    return math.ceil(2 * z * z * rate * (1 - rate) / (delta * delta))


def verdict(rows: list[VariantResult], ratio: SampleRatio) -> str:
    """One line on conversion, the primary metric."""
    if ratio.flagged:
        return (
            f"Sample ratio mismatch (chi-square p = {ratio.p_value:.2g}): the split is broken, "
            "do not trust these results"
        )
    control = rows[0]
    said: list[str] = []
    for r in rows[1:]:
        d = r.versus_control.get("conversion")
        if d is None or d.relative is None:
            continue
        if d.p_value < ALPHA:
            word = "better" if d.value > 0 else "worse"
            said.append(
                f"{r.name} converts {abs(d.relative):.1%} {word} than {control.name}, 95% CI "
                f"{_pct(d.relative_low)} to {_pct(d.relative_high)}, {_p(d.p_value)}"
            )
    if said:
        return "; ".join(said)
    rate = control.metrics["conversion"].value
    need = visitors_needed(rate) if rate is not None else None
    have = min((r.visitors for r in rows), default=0)
    if need is None:
        return "No difference detected yet: no conversions to compare"
    more = max(need - have, 0)
    return (
        f"No difference detected yet: about {more:,} more visitors per variant are needed to "
        f"detect a {DETECTABLE:.0%} change in conversion"
        if more
        else "No difference detected"
    )


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:+.1%}"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
