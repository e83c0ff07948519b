"""Customers' preferences: the model the feed reads, and its SQLite (WAL) store, the source of
truth for what users write."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from core.db import Database

Text = Annotated[str, StringConstraints(max_length=100)]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS preferences (
    customer_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


class Preferences(BaseModel):
    """What a customer tells us; changes their feed at once."""

    model_config = ConfigDict(extra="forbid")
    favourite_categories: list[Text] = Field(default_factory=list, max_length=20)
    favourite_colours: list[Text] = Field(default_factory=list, max_length=20)
    min_price: float | None = Field(None, ge=0, le=1_000_000)
    max_price: float | None = Field(None, ge=0, le=1_000_000)
    style: Annotated[str, StringConstraints(max_length=300)] = ""


class PreferenceStore:
    """Every write is committed (synchronous=FULL) before the API answers, so a 200 survives
    a kill of the process."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path, _SCHEMA)

    def get(self, customer_id: str) -> tuple[Preferences, str] | None:
        """The customer's saved preferences and when they were saved, or None."""
        with self._db.connection() as conn:
            row = conn.execute(
                "SELECT body, updated_at FROM preferences WHERE customer_id = ?", (customer_id,)
            ).fetchone()
        if row is None:
            return None
        return Preferences.model_validate_json(row[0]), str(row[1])

    def put(self, customer_id: str, prefs: Preferences) -> str:
        """Save (replace) the customer's preferences; answers when, once committed."""
        now = datetime.now(UTC).isoformat()
        body = json.dumps(prefs.model_dump())
        with self._db.connection() as conn:
            conn.execute(
                "INSERT INTO preferences (customer_id, body, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(customer_id) DO UPDATE SET body = excluded.body, "
                "updated_at = excluded.updated_at",
                (customer_id, body, now),
            )
        return now

    def changed_elsewhere(self) -> bool:
        """Whether another process saved preferences (or wrote to the file) since last asked:
        answers cached here that depend on preferences are then stale."""
        return self._db.changed_elsewhere()

    def close(self) -> None:
        self._db.close()
