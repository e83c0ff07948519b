"""Customers' preferences in SQLite (WAL): the source of truth for what users write."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from api.schemas import CustomerPreferences, Preferences

_SCHEMA = """
CREATE TABLE IF NOT EXISTS preferences (
    customer_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""


class PreferenceStore:
    """One connection guarded by a lock; every write is committed (synchronous=FULL) before
    the API answers, so a 200 survives a kill of the process."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(_SCHEMA)
        self._lock = threading.Lock()

    def get(self, customer_id: str) -> CustomerPreferences | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT body, updated_at FROM preferences WHERE customer_id = ?", (customer_id,)
            ).fetchone()
        if row is None:
            return None
        prefs = Preferences.model_validate_json(row[0])
        return CustomerPreferences(**prefs.model_dump(), customer_id=customer_id, updated_at=row[1])

    def put(self, customer_id: str, prefs: Preferences) -> CustomerPreferences:
        now = datetime.now(UTC).isoformat()
        body = json.dumps(prefs.model_dump())
        with self._lock:
            self._conn.execute(
                "INSERT INTO preferences (customer_id, body, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(customer_id) DO UPDATE SET body = excluded.body, "
                "updated_at = excluded.updated_at",
                (customer_id, body, now),
            )
        return CustomerPreferences(**prefs.model_dump(), customer_id=customer_id, updated_at=now)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
