"""The evaluation pipeline: split dates, no leakage from the held-out week, known answers."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from core.catalog import EPOCH
from core.experiments import ExperimentIn
from evaluation.evaluate import evaluate, split_days
from evaluation.methods import (
    ALL_OUT,
    LEARNED,
    SERVED,
    SOURCES,
    THRESHOLDS,
    threshold_row,
    variant_rows,
    weight_grid,
)
from scoring.metrics import mean_average_precision

pytestmark = pytest.mark.slow


def test_split_days_are_two_adjacent_weeks() -> None:
    assert split_days(100) == (87, 94)


def test_weight_grid_covers_the_simplex() -> None:
    grid = weight_grid(0.1)
    assert len(grid) == 66
    assert all(abs(w.cf + w.text + w.image - 1) < 1e-9 for w in grid)
    assert {(w.cf, w.text, w.image) for w in grid} >= {(1.0, 0.0, 0.0), (0.5, 0.3, 0.2)}


def _stats_and_factors(settings: Any, data: Path, until: date) -> tuple[pd.DataFrame, np.ndarray]:
    from core.store import open_store
    from indexer.build.pipeline import build

    summary = build(settings, data_dir=data, until=until)
    reader = open_store(settings).open_reader(summary.version)
    try:
        rows = [r.payload for r in reader.scroll("articles", limit=10_000)]
    finally:
        reader.close()
    cols = ["article_id", "sales_7d", "sales_30d", "sales_total", "trend_score", "price"]
    stats = pd.DataFrame(rows)[cols].sort_values("article_id").reset_index(drop=True)
    factors = np.load(Path(summary.models_dir) / "als.npz")["item_factors"]
    return stats, factors


def test_index_for_a_split_cannot_see_the_held_out_week(tiny_world: Path, tmp_path: Path) -> None:
    from core.settings import ModelSettings, Settings

    tx = pd.read_csv(tiny_world / "transactions_train.csv", dtype=str)
    last = date.fromisoformat(tx.t_dat.max())
    until = last - timedelta(days=6)
    altered = tmp_path / "altered"
    shutil.copytree(tiny_world, altered)
    held = tx.t_dat >= until.isoformat()
    assert held.sum() > 0
    # Everyone in the held-out week now buys the same article, on the last day.
    tx.loc[held, "article_id"] = tx.article_id.iloc[0]
    tx.loc[held, "t_dat"] = last.isoformat()
    tx.to_csv(altered / "transactions_train.csv", index=False)

    def settings(name: str) -> Settings:
        return Settings(
            index_dir=tmp_path / name, db_path=tmp_path / "db", models=ModelSettings(cnn_epochs=1)
        )

    stats_a, factors_a = _stats_and_factors(settings("a"), tiny_world, until)
    stats_b, factors_b = _stats_and_factors(settings("b"), altered, until)
    pd.testing.assert_frame_equal(stats_a, stats_b)
    np.testing.assert_allclose(factors_a, factors_b, rtol=1e-5, atol=1e-6)


def test_evaluation_reproduces_the_popularity_baseline_by_brute_force(
    tiny_world: Path, tmp_path: Path
) -> None:
    experiment = ExperimentIn.model_validate(
        {
            "name": "blend against image only",
            "surfaces": ["feed"],
            "starts_at": "2027-01-01T00:00:00Z",
            "ends_at": "2027-01-15T00:00:00Z",
            "variants": [
                {"name": "A", "share": 0.5},
                {
                    "name": "B",
                    "share": 0.5,
                    "overlay": {"weights": {"cf": 0, "text": 0, "image": 1}},
                },
            ],
        }
    )
    result = evaluate(
        tiny_world, tmp_path / "reports", sample=None, seed=3, variants=variant_rows(experiment)
    )
    tx = pd.read_csv(tiny_world / "transactions_train.csv", dtype=str)
    day = (pd.to_datetime(tx.t_dat) - pd.Timestamp(EPOCH)).dt.days
    _, test_start = split_days(int(day.max()))
    before = tx[(day >= test_start - 7) & (day < test_start)]
    # The build's sales_7d counts buyer-days: a customer once per article and day.
    buyer_days = before.drop_duplicates(["customer_id", "article_id", "t_dat"])
    counts = buyer_days.groupby("article_id").size().reset_index(name="n")
    popular = counts.sort_values(["n", "article_id"], ascending=[False, True]).article_id[:12]
    week = tx[day >= test_start]
    actual = [set(g.article_id) for _, g in week.groupby("customer_id")]
    expected = mean_average_precision(actual, [list(popular)] * len(actual))
    test = result["test"]
    assert isinstance(test, dict)
    assert test["eligible"] == len(actual) == test["customers_scored"]
    assert test["methods"]["popular last week"]["map12"] == pytest.approx(expected)
    for name, m in test["methods"].items():
        assert 0.0 <= m["map12"] <= 1.0, name
    # An experiment's control is the feed as served; its variant B is scored beside it.
    served = test["methods"][SERVED]
    control = test["methods"]["variant A (control)"]
    assert {k: v for k, v in control.items() if k != "ms_per_customer"} == {
        k: v for k, v in served.items() if k != "ms_per_customer"
    }
    # The new methods beside the old: the learned ranker, each extra source alone, the old
    # policy of leaving out everything bought; the validation week compares rebuy thresholds.
    for row in (LEARNED, ALL_OUT, *SOURCES.values()):
        assert row in test["methods"], row
    val = result["validation"]
    assert isinstance(val, dict)
    assert {threshold_row(t) for t in THRESHOLDS} <= set(val["methods"])
    best = max(val["methods"][threshold_row(t)]["map12"] for t in THRESHOLDS)
    assert val["methods"][threshold_row(val["best_threshold"])]["map12"] == best
    assert test["ranker"]["customers"] > 0 and test["ranker"]["train_seconds"] > 0
    b = test["methods"]['variant B ({"weights":{"cf":0.0,"text":0.0,"image":1.0}})']
    assert 0.0 <= b["map12"] <= 1.0 and b != served
    # The freshness variant replayed the week's first six days and scored the seventh.
    live = test["live"]
    assert live["events"] == int(((day >= test_start) & (day < test_start + 6)).sum())
    assert live["eligible"] == tx[day == test_start + 6].customer_id.nunique()
    assert live["customers_scored"] == live["eligible"]
    assert set(live["methods"]) == {
        f"{mode}, {kind}"
        for mode in ("static", "live")
        for kind in ("as served", "blend 0.5/0.3/0.2")
    }
    # The rule row: a department boost raises that department's share of the top 12, and the
    # feed as served without rules is the row it is compared with.
    rule = test["rule"]
    assert rule["map12_without"] == test["methods"][SERVED]["map12"]
    assert rule["share_with"] > rule["share_without"]
    report = (tmp_path / "reports" / "evaluation.md").read_text()
    assert report.startswith("# Offline evaluation") and "## What freshness is worth" in report
    assert "## What a merchandising rule costs" in report
    assert (tmp_path / "reports" / "evaluation.png").stat().st_size > 1000
