"""bench/soak.py runs end to end on the tiny world: two API processes under every kind of
load for a few seconds, sampled, with no error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.bench import run_bench
from tests.conftest import copy_index

pytestmark = pytest.mark.slow


def test_a_short_soak_samples_every_process_and_answers_without_error(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    index = copy_index(tiny_settings.index_dir, tmp_path / "index")
    out = tmp_path / "out" / "soak.json"
    args = ["--index", str(index), "--data", str(tiny_world), "--seconds", "20", "--every", "4"]
    args += ["--probe", "0", "--out", str(out), "--changed-articles", "30"]
    run_bench("soak.py", *args)

    report = json.loads(out.read_text())
    samples = report["samples"]
    assert len(samples) >= 5
    assert all(len(s["rss_mb"]) == 2 and all(s["rss_mb"].values()) for s in samples)
    # RSS is split into the heap and the pages of mapped files, and they add up to it.
    for s in samples:
        for pid, rss in s["rss_mb"].items():
            assert s["anon_mb"][pid] > 0 and s["file_mb"][pid] > 0
            assert abs(s["anon_mb"][pid] + s["file_mb"][pid] - rss) < 0.05 * rss
            # Of the file-backed pages, the process's engine copy and the model files it maps.
            assert 0 < s["copy_mb"][pid] + s["models_mb"][pid] <= s["file_mb"][pid]
    # The changes were drawn from the 30 articles asked for, and the samples count them.
    changed = [s["articles_changed"] for s in samples]
    assert changed == sorted(changed) and 0 < changed[-1] <= 30
    assert report["changed_articles"] == 30
    assert {"<db>.db", "<db>-events.db", "index replicas (on disk)"} <= set(samples[-1]["sizes_mb"])
    kinds = {k for s in samples for k, v in s["kinds"].items() if v["n"]}
    assert kinds == {"events", "catalog", "browse", "feed", "trending", "search", "similar"}
    assert sum(v["errors"] for s in samples for v in s["kinds"].values()) == 0
    assert report["restarted"] == []
    assert out.with_suffix(".png").stat().st_size > 0
    # The run's databases are removed with it.
    assert not list(index.parent.glob("soak-*"))
