"""Experiments (issue 25) without the API: sticky assignment within 1% of the shares and the
same in every process; the overlay whitelist; overlapping experiments refused (both
backends); per-visitor results that equal scipy's own tests; a broken split flagged."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError
from scipy import stats

from core.attribution import Impression, ImpressionLog, RecIds
from core.errors import InvalidInput
from core.events import Event, EventLog
from core.experiment_results import analyse, difference, per_visitor, sample_ratio
from core.experiments import (
    Experiment,
    ExperimentBook,
    ExperimentIn,
    ExperimentStore,
    Overlay,
    assign,
)
from core.settings import Settings

NOW = datetime.now(UTC).replace(microsecond=0)
ROOT = Path(__file__).resolve().parents[2]


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Blend against image only",
        "surfaces": ["feed", "trending"],
        "starts_at": (NOW - timedelta(days=1)).isoformat(),
        "ends_at": (NOW + timedelta(days=13)).isoformat(),
        "variants": [
            {"name": "A", "share": 0.5},
            {"name": "B", "share": 0.3, "overlay": {"weights": {"cf": 0, "text": 0, "image": 1}}},
            {"name": "C", "share": 0.2, "overlay": {"rules": False, "candidates": 50}},
        ],
    }
    return body | changes


def test_100_000_visitors_split_within_one_percent_of_the_shares_and_stay_put() -> None:
    x = ExperimentIn.model_validate(_body())
    got = [assign(7, f"visitor{i:09d}", x.variants).name for i in range(100_000)]
    for v in x.variants:
        assert abs(got.count(v.name) / 100_000 - v.share) < 0.01, v.name
    # The same id, the same variant, every time; another experiment splits independently.
    assert [assign(7, f"visitor{i:09d}", x.variants).name for i in range(1000)] == got[:1000]
    other = [assign(8, f"visitor{i:09d}", x.variants).name for i in range(100_000)]
    both_a = sum(a == b == "A" for a, b in zip(got, other, strict=True)) / 100_000
    assert abs(both_a - 0.25) < 0.01


def test_another_process_assigns_the_same_variants() -> None:
    code = (
        "import json, sys; from core.experiments import ExperimentIn, assign; "
        "x = ExperimentIn.model_validate_json(sys.stdin.read()); "
        "print(json.dumps([assign(7, f'c{i}', x.variants).name for i in range(2000)]))"
    )
    x = ExperimentIn.model_validate(_body())
    run = subprocess.run(
        [sys.executable, "-c", code],
        input=x.model_dump_json(),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    import json

    assert json.loads(run.stdout) == [assign(7, f"c{i}", x.variants).name for i in range(2000)]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"variants": [{"name": "A", "share": 0.5}, {"name": "B", "share": 0.4}]}, "variants"),
        (
            {
                "variants": [
                    {"name": "A", "share": 0.5},
                    {"name": "B", "share": 0.5, "overlay": {"text_model": "other"}},
                ]
            },
            "variants.1.overlay.text_model",
        ),
        ({"variants": [{"name": "A", "share": 1.0}]}, "variants"),
        (
            {"variants": [{"name": "A", "share": 0.5}, {"name": "A", "share": 0.5}]},
            "variants",
        ),
        ({"surfaces": ["feed", "photo"]}, "surfaces.1"),
        ({"ends_at": (NOW - timedelta(days=2)).isoformat()}, "ends_at"),
        (
            {
                "variants": [
                    {"name": "A", "share": 0.5},
                    {
                        "name": "B",
                        "share": 0.5,
                        "overlay": {"weights": {"cf": 0, "text": 0, "image": 0}},
                    },
                ]
            },
            "variants.1.overlay.weights",
        ),
    ],
)
def test_an_invalid_experiment_names_what_is_wrong(change: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as info:
        ExperimentIn.model_validate(_body(**change))
    (error,) = info.value.errors()
    assert ".".join(str(p) for p in error["loc"]) == where


def test_an_overlay_changes_exactly_what_it_names() -> None:
    base = Settings()
    got = Overlay.model_validate(
        {"weights": {"cf": 0.2, "text": 0.7, "image": 0.1}, "colourway_boost": 0.3}
    ).apply(base)
    assert (got.ranking.w_cf, got.ranking.w_text, got.ranking.w_image) == (0.2, 0.7, 0.1)
    assert got.live.colourway_boost == 0.3
    assert got.ranking.candidates == base.ranking.candidates
    assert got.ranking.ranker == "blend"
    learned = Overlay(ranker="learned").apply(base)
    assert learned.ranking.ranker == "learned"
    assert learned.ranking.model_dump(exclude={"ranker"}) == base.ranking.model_dump(
        exclude={"ranker"}
    )
    assert got.model_dump(exclude={"ranking", "live"}) == base.model_dump(
        exclude={"ranking", "live"}
    )
    assert got.live.model_dump(exclude={"colourway_boost"}) == base.live.model_dump(
        exclude={"colourway_boost"}
    )
    assert Overlay().apply(base) is base


def test_experiments_on_one_surface_may_not_overlap(state: Path | str) -> None:
    store = ExperimentStore(state)
    try:
        first = store.start(ExperimentIn.model_validate(_body()), "ana")
        assert first.id >= 1 and first.status == "running" and first.created_by == "ana"
        overlapping = _body(
            surfaces=["search", "trending"],
            starts_at=(NOW + timedelta(days=5)).isoformat(),
            ends_at=(NOW + timedelta(days=20)).isoformat(),
        )
        with pytest.raises(InvalidInput, match=f"experiment {first.id} .* covers trending"):
            store.start(ExperimentIn.model_validate(overlapping), "ana")
        assert len(store.all()) == 1  # nothing stored
        # Another surface at the same time is fine; so is trending after the first ends.
        store.start(ExperimentIn.model_validate(_body(surfaces=["search"])), "ana")
        later = _body(
            starts_at=(NOW + timedelta(days=13)).isoformat(),
            ends_at=(NOW + timedelta(days=20)).isoformat(),
        )
        store.start(ExperimentIn.model_validate(later), "ana")
        stopped = store.stop(first.id, "ana")
        assert stopped.status == "stopped" and stopped.stopped_at is not None
        assert store.stop(first.id, "bo").stopped_at == stopped.stopped_at

        generation, found = store.current()
        book = ExperimentBook(found, generation)
        # The first was stopped: no variant on the feed until the third starts.
        assert book.arm("feed", "c1") is None
        arm = book.arm("search", "c1")
        assert arm is not None and arm.tag == f"x{found[1].id}-{arm.variant}"
        assert book.arm("search", None) is None
        soon = book.arm("feed", "c1", now=NOW + timedelta(days=14))
        assert soon is not None and soon.experiment_id == found[2].id
        assert book.mark(now=NOW) != book.mark(now=NOW + timedelta(days=14))
    finally:
        store.close()


def _experiment() -> Experiment:
    body = ExperimentIn.model_validate(
        _body(variants=[{"name": "A", "share": 0.5}, {"name": "B", "share": 0.5}])
    )
    return Experiment(**body.model_dump(), id=3, status="running", created_at=NOW, updated_at=NOW)


def test_results_are_scipy_s_welch_tests_on_per_visitor_values() -> None:
    rng = np.random.default_rng(4)

    def visitors(n: int, conv: float) -> np.ndarray:
        bought = (rng.random(n) < conv).astype(float)
        return np.column_stack(
            [
                rng.integers(1, 5, n),
                np.maximum(bought, (rng.random(n) < 0.3)),
                bought,
                bought,
                bought * rng.uniform(10, 60, n),
            ]
        )

    a, b = visitors(4000, 0.05), visitors(4000, 0.08)
    got = analyse(_experiment(), {"A": a, "B": b})
    control, variant = got.variants
    assert (control.visitors, variant.visitors) == (4000, 4000)
    assert control.lists == int(a[:, 0].sum())
    for i, metric in enumerate(
        ("click_through", "add_to_cart", "conversion", "revenue_per_visitor"), 1
    ):
        want = stats.ttest_ind(b[:, i], a[:, i], equal_var=False)
        ci = want.confidence_interval(0.95)
        d = variant.versus_control[metric]
        assert d.p_value == pytest.approx(want.pvalue)
        assert (d.low, d.high) == (pytest.approx(ci.low), pytest.approx(ci.high))
        assert d.relative == pytest.approx((b[:, i].mean() - a[:, i].mean()) / a[:, i].mean())
        one = stats.ttest_1samp(b[:, i], 0).confidence_interval(0.95)
        m = variant.metrics[metric]
        assert (m.value, m.low, m.high) == (
            pytest.approx(b[:, i].mean()),
            pytest.approx(one.low),
            pytest.approx(one.high),
        )
        assert metric not in control.versus_control
    d = variant.versus_control["conversion"]
    assert d.p_value < 0.05
    assert got.verdict.startswith(f"B converts {d.relative:.1%} better than A, 95% CI")
    assert not got.sample_ratio.flagged

    # The same on both sides: no difference, and how many more visitors would tell.
    same = analyse(_experiment(), {"A": a, "B": a.copy()})
    assert same.verdict.startswith("No difference detected yet: about ")


def test_a_45_55_split_of_a_50_50_experiment_is_flagged() -> None:
    shares = {"A": 0.5, "B": 0.5}
    broken = sample_ratio(shares, {"A": 4500, "B": 5500})
    assert broken.flagged and broken.p_value == pytest.approx(stats.chisquare([4500, 5500]).pvalue)
    assert not sample_ratio(shares, {"A": 4960, "B": 5040}).flagged
    rng = np.random.default_rng(1)
    rows = {k: np.zeros((n, 5)) for k, n in (("A", 4500), ("B", 5500))}
    got = analyse(_experiment(), rows)
    assert got.verdict.startswith("Sample ratio mismatch")
    assert rng is not None


def test_per_visitor_rows_come_from_the_lists_of_each_variant(state: Path | str) -> None:
    ids, log, events = RecIds("s" * 32), ImpressionLog(state), EventLog(state)
    ts = NOW.timestamp()
    try:
        recs = {}
        # Visitor v1 (A) saw two lists and bought from one; v2 (B) saw one and only looked;
        # c3 (B, a customer) saw one, nothing; a list outside the experiment does not count.
        for name, who, variant in (
            ("a1", "v1", "A"),
            ("a2", "v1", "A"),
            ("b1", "v2", "B"),
            ("b2", None, "B"),
        ):
            recs[name] = ids.issue("trending", "v1", f"x3-{variant}", now=ts)
            log.record(
                Impression(
                    recs[name],
                    "trending",
                    ts,
                    ("0108775015", "0108775044"),
                    customer_id="c3" * 32 if who is None else None,
                    visitor_id=who and f"{who}-visitor",
                    experiment=3,
                    variant=variant,
                )
            )
        log.record(
            Impression(
                ids.issue("trending", "v1", now=ts),
                "trending",
                ts,
                ("0108775015",),
                visitor_id="v9-visitor",
            )
        )
        log.flush()
        events.append(
            [
                Event("e1", "view", "c" * 64, "0108775015", ts + 5, rec_id=recs["a1"], position=1),
                Event(
                    "e2",
                    "add_to_cart",
                    "c" * 64,
                    "0108775015",
                    ts + 6,
                    rec_id=recs["a1"],
                    position=1,
                ),
                Event(
                    "e3",
                    "purchase",
                    "c" * 64,
                    "0108775015",
                    ts + 7,
                    price=20.0,
                    rec_id=recs["a1"],
                    position=1,
                ),
                Event(
                    "e4",
                    "purchase",
                    "c" * 64,
                    "0108775044",
                    ts + 8,
                    price=5.0,
                    rec_id=recs["a1"],
                    position=2,
                ),
                Event("e5", "view", "c" * 64, "0108775044", ts + 9, rec_id=recs["b1"], position=2),
            ]
        )
        rows = per_visitor(log.db, 3)
        assert rows["A"].tolist() == [[2, 1, 1, 1, 25.0]]
        assert sorted(rows["B"].tolist()) == [[1, 0, 0, 0, 0.0], [1, 1, 0, 0, 0.0]]
        assert per_visitor(log.db, 4) == {}
    finally:
        log.close()
        events.close()


def test_the_test_is_calibrated_on_a_a_tallies_of_the_simulated_size() -> None:
    """4,000 A/A comparisons of 480 visitors a variant drawn from one distribution (a 15%
    conversion, as the simulated shoppers'): Welch's test (`difference`, what the results use)
    calls about 5% of them significant (3 standard errors: 4.0-6.0%)."""
    rng = np.random.default_rng(11)
    reps, n = 4000, 480
    significant = 0
    for _ in range(reps):
        a, b = (rng.random(n) < 0.15).astype(float), (rng.random(n) < 0.15).astype(float)
        d = difference(b, a)
        assert d is not None
        significant += d.p_value < 0.05
    assert 0.040 <= significant / reps <= 0.060
