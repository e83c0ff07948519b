"""The middleware's snapshot on the event loop (issue 21's soak): a due catch-up never runs in
the caller, which gets the snapshot in hand at once while one thread applies the changes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd

import ranking.index
from core.catalog import point_id
from core.changes import open_changes
from core.store import open_store
from ranking.index import LiveIndex
from tests.conftest import scratch_settings


def test_a_due_catch_up_runs_in_a_thread_and_the_caller_gets_the_snapshot_in_hand(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    settings = scratch_settings(tiny_settings, tmp_path)
    changes = open_changes(settings.db_path)
    index = LiveIndex(settings, open_store(settings), changes)
    monkeypatch.setattr(ranking.index, "CATALOG_EVERY_S", 0.0)
    try:
        before = index.snapshot()
        aid = pd.read_csv(tiny_world / "articles.csv", dtype=str).article_id[40]
        (seq,) = changes.append([(aid, "patch", {"price": 77.5})], "test")
        applying: list[str] = []
        real = ranking.index.apply_changes

        def slow_apply(*args: Any, **kwargs: Any) -> Any:
            applying.append(ranking.index.threading.current_thread().name)
            time.sleep(0.5)
            return real(*args, **kwargs)

        monkeypatch.setattr(ranking.index, "apply_changes", slow_apply)
        start = time.monotonic()
        served = index.snapshot(background=True)
        assert time.monotonic() - start < 0.1  # not the half-second apply
        assert served is before and served.catalog_seq < seq
        # Asked again while it runs: still the snapshot in hand, and no second thread.
        assert index.snapshot(background=True) is before
        deadline = time.monotonic() + 10
        while index.snapshot(background=True).catalog_seq < seq:
            assert time.monotonic() < deadline, "the change was never applied"
            time.sleep(0.02)
        assert applying == ["catalog-refresh"]
        old = before.columns.payload_of(point_id(aid))["price"]
        new = index.snapshot().columns.payload_of(point_id(aid))["price"]
        assert new != old and new == index.catch_up().columns.payload_of(point_id(aid))["price"]
    finally:
        index.close()
        changes.close()
