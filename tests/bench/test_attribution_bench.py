"""bench/attribution.py runs end to end on both backends with a few thousand impressions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_the_attribution_bench_measures_both_backends(tmp_path: Path) -> None:
    out = tmp_path / "attribution.json"
    cmd = [sys.executable, "bench/attribution.py", "--impressions", "3000", "--requests", "600"]
    cmd += ["--query-impressions", "20000"]
    run = subprocess.run(
        [*cmd, "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads(out.read_text())
    for name in ("sqlite", "postgresql"):
        row = report["backends"][name]
        assert row["events"] > 0
        assert 100 < row["bytes_per_impression"] < 2000
        assert set(row["live_s"]) == set(row["rollup_s"]) == {"one day", "a week", "30 days"}
        assert row["build_days"] == 30 and row["refresh_days"] >= 1
    assert out.with_suffix(".png").stat().st_size > 0
