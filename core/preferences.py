"""Customers' preferences: the model the feed reads, and its store (the main part of the state:
SQLite or PostgreSQL), the source of truth for what users write."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import text

from core.db import Watch
from core.state import open_part

if TYPE_CHECKING:
    from core.settings import Settings

Text = Annotated[str, StringConstraints(max_length=100)]


class Preferences(BaseModel):
    """What a customer tells us; changes their feed at once."""

    model_config = ConfigDict(extra="forbid")
    favourite_categories: list[Text] = Field(default_factory=list, max_length=20)
    favourite_colours: list[Text] = Field(default_factory=list, max_length=20)
    min_price: float | None = Field(None, ge=0, le=1_000_000)
    max_price: float | None = Field(None, ge=0, le=1_000_000)
    style: Annotated[str, StringConstraints(max_length=300)] = ""


class PreferenceStore:
    """Every write is committed durably before the API answers, so a 200 survives a kill of
    the process."""

    def __init__(self, target: Settings | Path | str) -> None:
        self._db = open_part(target, "main")
        self._watch = Watch(self._db, "preferences")

    def get(self, customer_id: str) -> tuple[Preferences, str] | None:
        """The customer's saved preferences and when they were saved, or None."""
        rows = self._db.rows(
            "SELECT body, updated_at FROM preferences WHERE customer_id = :c", {"c": customer_id}
        )
        if not rows:
            return None
        row = rows[0]
        return Preferences.model_validate_json(row[0]), str(row[1])

    def put(self, customer_id: str, prefs: Preferences) -> str:
        """Save (replace) the customer's preferences; answers when, once committed."""
        now = datetime.now(UTC).isoformat()
        body = json.dumps(prefs.model_dump())
        with self._db.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO preferences (customer_id, body, updated_at) "
                    "VALUES (:c, :body, :at) ON CONFLICT (customer_id) DO UPDATE SET "
                    "body = excluded.body, updated_at = excluded.updated_at"
                ),
                {"c": customer_id, "body": body, "at": now},
            )
            self._db.bump(conn, "preferences")
        return now

    def changed_elsewhere(self) -> bool:
        """Whether preferences were saved (by any process, on any host) since last asked:
        answers cached here that depend on preferences are then stale."""
        return self._watch.changed()

    def close(self) -> None:
        self._db.close()
