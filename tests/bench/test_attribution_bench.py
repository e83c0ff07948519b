"""bench/attribution.py runs end to end on both backends with a few thousand impressions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench import run_bench

pytestmark = pytest.mark.slow


def test_the_attribution_bench_measures_both_backends(tmp_path: Path) -> None:
    out = tmp_path / "attribution.json"
    args = ["--impressions", "3000", "--requests", "600", "--query-impressions", "20000"]
    run_bench("attribution.py", *args, "--out", str(out))
    report = json.loads(out.read_text())
    for name in ("sqlite", "postgresql"):
        row = report["backends"][name]
        assert row["events"] > 0
        assert 100 < row["bytes_per_impression"] < 2000
        assert set(row["live_s"]) == set(row["rollup_s"]) == {"one day", "a week", "30 days"}
        assert row["build_days"] == 30 and row["refresh_days"] >= 1
    assert out.with_suffix(".png").stat().st_size > 0
