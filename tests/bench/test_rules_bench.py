"""bench/rules.py runs end to end on the tiny world: every surface with 0, 100 and 1,000 rules,
some of which apply, and a table, a JSON file and a plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.bench import run_bench
from tests.conftest import copy_index

pytestmark = pytest.mark.slow


def test_the_rules_bench_answers_every_surface_with_each_rule_count(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    index = copy_index(tiny_settings.index_dir, tmp_path / "index")
    out = tmp_path / "out" / "rules.json"
    args = ["--index", str(index), "--data", str(tiny_world), "--requests", "10"]
    run_bench("rules.py", *args, "--out", str(out))
    rows = json.loads(out.read_text())["rows"]
    assert {(r["surface"], r["rules"]) for r in rows} == {
        (s, n) for s in ("feed", "trending", "similar", "search", "browse") for n in (0, 100, 1000)
    }
    assert all(r["applied"] == 0 for r in rows if r["rules"] == 0)
    assert any(r["applied"] > 0 for r in rows if r["rules"] == 1000)
    assert out.with_suffix(".png").stat().st_size > 0
