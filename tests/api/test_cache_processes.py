"""A preferences write made through one API process is never hidden by another process's
cached feed: two apps on one database stand for two processes (each has its own connection,
so each sees the other's commits as SQLite's data_version moving)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.conftest import TROUSERS_FAN

pytestmark = pytest.mark.slow


def test_a_feed_cached_in_one_process_drops_when_another_saves_preferences(
    tiny_settings: Any, tiny_index: Any, tmp_path: Path
) -> None:
    settings = tiny_settings.model_copy(update={"db_path": tmp_path / "lookbook.db"})
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        token = one.post("/session", json={"customer_id": TROUSERS_FAN}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        url = f"/recommendations/{TROUSERS_FAN}?limit=12"
        first = two.get(url, headers=auth)
        assert two.get(url, headers=auth).headers["x-cache"] == "hit"
        assert all(i["boost"] == 0 for i in first.json()["items"])

        prefs = {"favourite_categories": ["Dress"], "style": "flowing summer dress"}
        put = one.put(f"/customers/{TROUSERS_FAN}/preferences", json=prefs, headers=auth)
        assert put.status_code == 200

        after = two.get(url, headers=auth)
        assert after.headers["x-cache"] == "miss"
        dresses = [i for i in after.json()["items"] if i["product_type_name"] == "Dress"]
        assert dresses and all(i["boost"] > 0 for i in dresses)
        assert two.get(url, headers=auth).headers["x-cache"] == "hit"  # cached again after
