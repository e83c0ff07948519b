"""bench/copy_memory.py runs end to end on the tiny world: each cycle's changes reach a fresh,
indexed copy, and each row says how many articles changed and what the process holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.bench import run_bench
from tests.conftest import copy_index

pytestmark = pytest.mark.slow


def test_copy_memory_counts_the_articles_changed_and_each_swap(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    index = copy_index(tiny_settings.index_dir, tmp_path / "index")
    out = tmp_path / "out" / "copy_memory.json"
    args = ["--index", str(index), "--data", str(tiny_world), "--changes", "40", "--cycles", "2"]
    args += ["--working-set", "25", "--queries", "3", "--out", str(out)]
    run_bench("copy_memory.py", *args)

    report = json.loads(out.read_text())
    rows = report["rows"]
    assert [r["cycle"] for r in rows] == [0, 1, 2]
    # 40 changes a cycle drawn from 25 articles: never more than 25 distinct.
    assert rows[0]["changed"] == 0 and 0 < rows[1]["changed"] <= rows[2]["changed"] <= 25
    assert report["working_set"] == 25
    for r in rows:
        assert (
            r["copy_mb"] > 0 and abs(r["anon_mb"] + r["file_mb"] - r["rss_mb"]) < 0.05 * r["rss_mb"]
        )
    assert all(r["reindex_s"] > 0 for r in rows[1:])
    assert out.with_suffix(".png").stat().st_size > 0
    # Every copy it made is removed with its reader.
    assert not list((index / "store" / "replicas").glob("*-v*"))
