"""bench/id_filters.py runs end to end on the tiny world: a row per id-list size, form and
filter, each with its latencies, and the plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.bench import run_bench
from tests.conftest import copy_index

pytestmark = pytest.mark.slow


def test_id_filters_times_each_size_and_form(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    index = copy_index(tiny_settings.index_dir, tmp_path / "index")
    out = tmp_path / "out" / "id_filters.json"
    args = ["--index", str(index), "--data", str(tiny_world), "--sizes", "0,20,100"]
    run_bench("id_filters.py", *args, "--queries", "3", "--out", str(out))
    rows = json.loads(out.read_text())["rows"]
    cells = [(r["ids"], r["form"], r["price"]) for r in rows]
    assert cells == [
        (n, form, price)
        for n in (0, 20, 100)
        for form in ("flat", "nested")
        for price in (False, True)
    ]
    assert all(0 < r["p50_ms"] <= r["p99_ms"] for r in rows)
    assert out.with_suffix(".png").stat().st_size > 0
    assert not list((index / "store" / "replicas").glob("*-v*"))  # its copy is removed
