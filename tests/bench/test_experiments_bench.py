"""bench/experiments.py runs end to end with a few experiments and requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench import run_bench

pytestmark = pytest.mark.slow


def test_the_experiments_bench_measures_each_step(tmp_path: Path) -> None:
    out = tmp_path / "experiments.json"
    args = ["--experiments", "5", "--requests", "2000", "--out", str(out)]
    run_bench("experiments.py", *args, timeout=300)
    steps = json.loads(out.read_text())["steps"]
    assert "all together, per request" in steps
    for s in steps.values():
        assert 0 < s["p50_us"] <= s["p99_us"]
    assert out.with_suffix(".png").stat().st_size > 0
