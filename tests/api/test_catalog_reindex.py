"""The live catalog's re-index (issue 16): once enough changes were written to a process's
Edge copy, a fresh copy with them indexed is made by another process and swapped in, with the
changes that arrived meanwhile; what is served does not change."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.changes import put_fields
from core.keys import KeyStore
from core.settings import LiveSettings
from ranking import index as live_index
from tests.conftest import copy_index

pytestmark = pytest.mark.slow
NEW = "9400000001"


def test_a_fresh_indexed_copy_is_swapped_in_and_serves_every_change(
    tiny_settings: Any,
    tiny_index: Any,
    tiny_world: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live_index, "RETIRE_S", 2.0)
    settings = tiny_settings.model_copy(
        update={
            "index_dir": copy_index(tiny_settings.index_dir, tmp_path / "index"),
            "db_path": tmp_path / "lookbook.db",
            "private_index": True,
            "live": LiveSettings(reindex_after=20),
        }
    )
    keys = KeyStore(settings.db_path)
    key = {"X-API-Key": keys.create("merchandiser", "reindex")[1]}
    keys.close()
    arts = pd.read_csv(tiny_world / "articles.csv", dtype=str)
    prices = {a: round(10 + i * 0.25, 2) for i, a in enumerate(arts.article_id[:40])}
    with TestClient(create_app(settings)) as api:
        index = api.app.state.index  # type: ignore[attr-defined]
        first = index.snapshot().reader
        body = put_fields(arts.iloc[5], prod_name="Quombly trellis coat", price=55.0)
        assert api.put(f"/admin/articles/{NEW}", json=body, headers=key).status_code == 200
        items = [{"article_id": a, "price": p} for a, p in list(prices.items())[:30]]
        assert api.patch("/admin/articles", json={"items": items}, headers=key).is_success
        # Changes that arrive while the copy is being made are applied to it too.
        for a, p in list(prices.items())[30:]:
            assert api.patch(f"/admin/articles/{a}", json={"price": p}, headers=key).is_success
        deadline = time.monotonic() + 120
        while index.reindexes < 1:
            assert time.monotonic() < deadline, "no fresh copy within 120 s"
            time.sleep(0.2)
        snap = index.snapshot()
        swapped = time.monotonic()
        # The replaced copy stays open for the requests still holding it (RETIRE_S)...
        assert all(p.exists() for p in first._paths)
        assert snap.reader is not first and snap.reader.written < 20
        assert len(snap.reader.journal) >= 2  # the whole history since the version's copy
        for a, p in prices.items():
            assert api.get(f"/articles/{a}").json()["price"] == p
        hits = api.get("/search?q=Quombly+trellis&limit=3", headers=key).json()["items"]
        assert hits[0]["article_id"] == NEW
        # ...then it is closed and removed; changes go on to the fresh one.
        while any(p.exists() for p in first._paths):
            assert time.monotonic() < swapped + 30, "the replaced copy was never removed"
            time.sleep(0.05)
        assert api.patch(f"/admin/articles/{NEW}", json={"price": 44.0}, headers=key).is_success
        assert api.get(f"/articles/{NEW}").json()["price"] == 44.0
