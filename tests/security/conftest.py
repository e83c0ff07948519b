"""Credentials for the attacks: a key of each role and customers' demo tokens, on the shared
tiny index and its database."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.keys import KeyStore

PROBLEM = "https://lookbook.dev/problems/"


def problem(r: Any, status: int, kind: str) -> dict[str, Any]:
    """Assert ``r`` is an application/problem+json answer of ``status`` and ``kind``."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["type"] == PROBLEM + kind, body
    assert body["status"] == status
    return body


@pytest.fixture(scope="session")
def keys(tiny_settings: Any) -> dict[str, str]:
    """One live key per role (names are never reused, so one per test session)."""
    store = KeyStore(tiny_settings.db_path)
    made = {role: store.create(role, f"sec-{role}")[1] for role in ("service", "merchandiser")}
    made["admin"] = store.create("admin", "sec-admin")[1]
    store.close()
    return made


def key(keys: dict[str, str], role: str) -> dict[str, str]:
    return {"X-API-Key": keys[role]}


def bearer(client: TestClient, customer_id: str) -> dict[str, str]:
    """A demo sign-in's Authorization header for ``customer_id``."""
    r = client.post("/session", json={"customer_id": customer_id})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="session")
def shoppers(tiny_world: Any) -> tuple[str, str]:
    """Two customers of the tiny world who bought something (so each has a personal feed)."""
    import pandas as pd

    tx = pd.read_csv(tiny_world / "transactions_train.csv", dtype=str)
    a, b = tx.customer_id.value_counts().index[:2]
    return str(a), str(b)
