"""The live catalog's re-index within bounds (issue 21): a re-index process that hangs is
stopped, logged and tried again later while the API serves every change; a process's journal
of changes stays bounded by the articles changed."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.keys import KeyStore
from core.settings import LiveSettings
from tests.conftest import scratch_settings

pytestmark = pytest.mark.slow


def _key(settings: Any) -> dict[str, str]:
    keys = KeyStore(settings.db_path)
    try:
        return {"X-API-Key": keys.create("merchandiser", "bounds")[1]}
    finally:
        keys.close()


def _stopped(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The logged re-indexes that were stopped for taking too long."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.exc_info and "longer than 0.05 s" in str(r.exc_info[1])
    ]


def test_a_hung_reindex_is_stopped_logged_and_retried_while_changes_are_served(
    tiny_settings: Any,
    tiny_index: Any,
    tiny_world: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Far below what the indexing process needs to start: every attempt is stopped.
    live = LiveSettings(reindex_after=1, reindex_every_s=0, reindex_timeout_s=0.05)
    settings = scratch_settings(tiny_settings, tmp_path, private_index=True, live=live)
    key = _key(settings)
    arts = list(pd.read_csv(tiny_world / "articles.csv", dtype=str).article_id[:6])
    caplog.set_level(logging.ERROR, logger="ranking.index")
    with TestClient(create_app(settings)) as api:
        index = api.app.state.index  # type: ignore[attr-defined]
        for i, a in enumerate(arts):
            r = api.patch(f"/admin/articles/{a}", json={"price": 20.0 + i}, headers=key)
            assert r.status_code == 200, r.text
        deadline = time.monotonic() + 60
        while len(_stopped(caplog)) < 2:
            assert time.monotonic() < deadline, caplog.messages
            api.get("/ready")  # a request looks at the log and may start the next try
            time.sleep(0.1)
        assert index.reindexes == 0
        for i, a in enumerate(arts):
            assert api.get(f"/articles/{a}").json()["price"] == 20.0 + i
        assert api.get("/ready").status_code == 200


def test_the_journal_stays_bounded_by_the_articles_changed(
    tiny_settings: Any,
    tiny_index: Any,
    tiny_world: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.store import edge_reader

    monkeypatch.setattr(edge_reader, "FOLD_AT", 20)
    live = LiveSettings(reindex_after=0)
    settings = scratch_settings(tiny_settings, tmp_path, private_index=True, live=live)
    key = _key(settings)
    arts = list(pd.read_csv(tiny_world / "articles.csv", dtype=str).article_id[:3])
    with TestClient(create_app(settings)) as api:
        index = api.app.state.index  # type: ignore[attr-defined]
        longest = 0
        for i in range(90):
            a = arts[i % 3]
            r = api.patch(f"/admin/articles/{a}", json={"price": 10.0 + i}, headers=key)
            assert r.status_code == 200, r.text
            longest = max(longest, len(index.snapshot().reader.journal))
        # 90 changes of 3 articles: folded back to a handful whenever it reached 20.
        assert longest <= 20
        assert len(index.snapshot().reader.journal) <= 20
        for j, a in enumerate(arts):
            assert api.get(f"/articles/{a}").json()["price"] == 10.0 + 87 + j
