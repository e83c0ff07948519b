"""Simulated shoppers (issue 24) against a real API process on the tiny world: the generator
wrote the hidden tastes beside the data, every click, bag and purchase the simulator made is
counted by the API's insights exactly, and the report and plot are written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bench.loadgen import _free_port
from core.keys import KeyStore
from indexer.synthetic.world import TRUTH
from tests.conftest import copy_index
from tests.hosts import start_api, stop_all

pytestmark = pytest.mark.slow


def test_the_world_s_hidden_tastes_are_written_beside_it(tiny_world: Path) -> None:
    tastes = pd.read_csv(tiny_world / TRUTH, dtype=str)
    customers = pd.read_csv(tiny_world / "customers.csv", dtype=str)
    # Every generated customer (the test world adds one by hand: it has none).
    assert set(tastes.customer_id) <= set(customers.customer_id)
    assert len(tastes) == len(customers) - 1
    arts = pd.read_csv(tiny_world / "articles.csv", dtype=str)
    lines = set(zip(arts.index_name, arts.product_type_name, strict=True))
    first = tastes.iloc[0]
    assert {tuple(x.split("|")) for x in first.fav_lines.split(";")} <= lines
    assert set(first.fav_colours.split(";")) <= set(arts.colour_group_name)


def test_simulated_shoppers_are_counted_exactly_by_the_insights(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    from evaluation.simulate import main

    settings = tiny_settings.model_copy(
        update={
            "index_dir": copy_index(tiny_settings.index_dir, tmp_path / "index"),
            "db_path": tmp_path / "state" / "lookbook.db",
        }
    )
    keys = KeyStore(settings.db_path)
    service = keys.create("service", "simulator")[1]
    staff = keys.create("merchandiser", "analyst")[1]
    keys.close()
    port = _free_port()
    proc = start_api(settings, tiny_world, port, tmp_path / "api.log")
    out = tmp_path / "simulate.json"
    try:
        args = ["--data", str(tiny_world), "--api", f"http://127.0.0.1:{port}"]
        args += ["--visitors", "120", "--service-key", service, "--staff-key", staff]
        assert main([*args, "--out", str(out)]) == 0
    finally:
        stop_all([proc])
    report = json.loads(out.read_text())
    rows = report["rows"]
    assert {(r["surface"], r["metric"]) for r in rows} == {
        (s, m) for s in ("feed", "search") for m in ("click_through", "conversion")
    }
    assert sum(r["lists"] for r in rows if r["metric"] == "click_through") == 120
    for r in rows:  # nothing else used this API: every event counted, once
        assert r["insights_k"] == r["simulated_k"], r
    assert any(r["simulated_k"] > 0 for r in rows)
    assert len(report["positions"]) == 12
    assert out.with_suffix(".png").stat().st_size > 0


def test_the_cascade_s_click_probabilities_match_a_direct_simulation() -> None:
    import random

    from evaluation.simulate import GAMMA, cascade

    attractions = [0.3, 0.1, 0.5, 0.2, 0.05]
    model = cascade(attractions)
    # By hand: position 3 is looked at with GAMMA², reached with no click at 1 and 2.
    assert model[2] == pytest.approx(GAMMA**2 * 0.7 * 0.9 * 0.5)
    rng, n, hits = random.Random(5), 200_000, [0] * len(attractions)
    for _ in range(n):
        for p, a in enumerate(attractions):
            if p > 0 and rng.random() >= GAMMA:
                break
            if rng.random() < a:
                hits[p] += 1
                break
    for m, h in zip(model, hits, strict=True):
        assert h / n == pytest.approx(m, abs=0.004)
