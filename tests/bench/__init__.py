"""Tests of the benchmarks under bench/: each runs one end to end, small, and reads its output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(script: str, *args: str, timeout: int = 600) -> None:
    """Run ``bench/<script>`` with ``args`` from the repository root; fail with the tail of its
    output when it does not exit 0."""
    cmd = [sys.executable, f"bench/{script}", *args]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
