"""A store of JSON documents in the main part of the state that every API process applies:
merchandising rules (`core.rules`) and experiments (`core.experiments`).

A document's body is one JSON text (validated by its model on every write and read); the
table adds who wrote it and when. Every write bumps the store's row of ``state_versions`` in
its own transaction, so each process sees a change at its next look (at most every
`POLL_S`); while the database is away, the documents in hand are served.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Connection, text

from core.db import DatabaseUnavailable, Watch
from core.errors import NotFound
from core.state import open_part

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)

#: How often a process looks for documents written by another (the 2 s promise, with room).
POLL_S = 0.25

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)


class Documents(Generic[In, Out]):
    """The documents of table ``table`` (columns ``id, body, created_at, updated_at,
    created_by, updated_by``), whose bodies are ``body`` and which read as ``out(body,
    stored columns)``; ``kind`` names one in errors ("rule")."""

    def __init__(
        self,
        target: Settings | Path | str,
        table: str,
        kind: str,
        body: type[In],
        out: Callable[[In, dict[str, Any]], Out],
    ) -> None:
        self._db = open_part(target, "main")
        self._table, self._kind, self._body, self._out = table, kind, body, out
        self._watch = Watch(self._db, table)
        self._lock = threading.Lock()
        self._loaded: tuple[int, list[Out]] | None = None
        self._looked = 0.0
        self._generation = 0

    # --- reads ---------------------------------------------------------------------------

    def all(self) -> list[Out]:
        """Every document, oldest first."""
        return [self._read(r) for r in self._db.rows(f"{self._select} ORDER BY id")]

    def get(self, doc_id: int) -> Out:
        rows = self._db.rows(f"{self._select} WHERE id = :id", {"id": doc_id})
        if not rows:
            raise NotFound(self._kind, str(doc_id))
        return self._read(rows[0])

    def current(self) -> tuple[int, list[Out]]:
        """The documents this process applies and their generation (a number that changes
        with every reload): reloaded when any process wrote since the last look, looked for
        at most every `POLL_S`."""
        now = time.monotonic()
        with self._lock:
            loaded, due = self._loaded, now - self._looked >= POLL_S
        if loaded is not None and not due:
            return loaded
        try:
            changed = self._watch.changed()
        except DatabaseUnavailable:
            # Lists go on with the documents in hand (none if they were never read): reads
            # answer from the index while the database is down; looked for again after POLL_S.
            with self._lock:
                self._looked = now
                if self._loaded is None:
                    log.warning("%ss: the database is unavailable; serving without any", self._kind)
                    self._loaded = (self._generation, [])
                return self._loaded
        with self._lock:
            self._looked = now
            if changed or self._loaded is None:
                self._generation += 1
                # Read after the version: a write between the two is seen at the next look.
                self._loaded = (self._generation, self.all())
            return self._loaded

    # --- writes --------------------------------------------------------------------------

    def create(
        self, body: In, by: str | None, check: Callable[[Connection], None] | None = None
    ) -> Out:
        """Store ``body``; ``check`` runs first in the same transaction (and may refuse)."""
        now = datetime.now(UTC).isoformat()
        with self._db.write() as conn:
            if check is not None:
                check(conn)
            (doc_id,) = conn.execute(
                text(
                    f"INSERT INTO {self._table} (body, created_at, updated_at, created_by, "
                    "updated_by) VALUES (:body, :at, :at, :by, :by) RETURNING id"
                ),
                {"body": _json(body), "at": now, "by": by},
            ).one()
            self._db.bump(conn, self._table)
        self._stale()
        return self.get(int(doc_id))

    def replace(
        self,
        doc_id: int,
        body: In,
        by: str | None,
        check: Callable[[Connection], None] | None = None,
    ) -> Out:
        now = datetime.now(UTC).isoformat()
        with self._db.write() as conn:
            if check is not None:
                check(conn)
            n = conn.execute(
                text(
                    f"UPDATE {self._table} SET body = :body, updated_at = :at, updated_by = :by "
                    "WHERE id = :id"
                ),
                {"body": _json(body), "at": now, "by": by, "id": doc_id},
            ).rowcount
            if not n:
                raise NotFound(self._kind, str(doc_id))
            self._db.bump(conn, self._table)
        self._stale()
        return self.get(doc_id)

    def delete(self, doc_id: int) -> None:
        with self._db.write() as conn:
            n = conn.execute(
                text(f"DELETE FROM {self._table} WHERE id = :id"), {"id": doc_id}
            ).rowcount
            if not n:
                raise NotFound(self._kind, str(doc_id))
            self._db.bump(conn, self._table)
        self._stale()

    def bodies(self, conn: Connection) -> list[tuple[int, In]]:
        """Inside a write (``check``): every stored document's id and body, as committed."""
        rows = conn.execute(text(f"SELECT id, body FROM {self._table} ORDER BY id")).all()
        return [(int(i), self._body.model_validate_json(b)) for i, b in rows]

    def _stale(self) -> None:
        """This process wrote: look at once (not after `POLL_S`)."""
        with self._lock:
            self._looked = 0.0

    def close(self) -> None:
        self._db.close()

    @property
    def _select(self) -> str:
        return f"SELECT id, body, created_at, updated_at, created_by, updated_by FROM {self._table}"

    def _read(self, row: tuple[Any, ...]) -> Out:
        doc_id, body, created, updated, created_by, updated_by = row
        return self._out(
            self._body.model_validate_json(body),
            {
                "id": int(doc_id),
                "created_at": datetime.fromisoformat(created),
                "updated_at": datetime.fromisoformat(updated),
                "created_by": created_by,
                "updated_by": updated_by,
            },
        )


def _json(body: BaseModel) -> str:
    return json.dumps(body.model_dump(mode="json"), sort_keys=True)
