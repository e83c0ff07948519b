"""bench/experiments.py runs end to end with a few experiments and requests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_the_experiments_bench_measures_each_step(tmp_path: Path) -> None:
    out = tmp_path / "experiments.json"
    cmd = [sys.executable, "bench/experiments.py", "--experiments", "5", "--requests", "2000"]
    run = subprocess.run(
        [*cmd, "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    steps = json.loads(out.read_text())["steps"]
    assert "all together, per request" in steps
    for s in steps.values():
        assert 0 < s["p50_us"] <= s["p99_us"]
    assert out.with_suffix(".png").stat().st_size > 0
