"""The audit trail: every key-authenticated write (and every key change from the command
line), appended with when, which key, its role, method, path and outcome; kept for
``LOOKBOOK_AUDIT_RETENTION_DAYS`` (`AuditLog.prune`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.db import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    key_name TEXT NOT NULL,
    role TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_at ON audit (at);
"""
#: Entries one pruning statement deletes at most, so a write never waits long behind it.
PRUNE_BATCH = 5000


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    key_name: str
    role: str
    method: str
    path: str
    status: int


class AuditLog:
    """Append-only: nothing updates an entry, and only `prune` deletes (the expired ones)."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path, _SCHEMA)

    def append(self, key_name: str, role: str, method: str, path: str, status: int) -> int:
        """Record one write; answers its id once it is durable."""
        at = datetime.now(UTC).isoformat()
        with self._db.connection() as conn:
            cur = conn.execute(
                "INSERT INTO audit (at, key_name, role, method, path, status) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (at, key_name, role, method, path, status),
            )
        return int(cur.lastrowid or 0)

    def page(self, *, limit: int = 50, before: int | None = None) -> list[AuditEntry]:
        """Newest first; ``before`` (an id) continues a previous page."""
        with self._db.connection() as conn:
            rows = conn.execute(
                "SELECT id, at, key_name, role, method, path, status FROM audit "
                "WHERE id < ? ORDER BY id DESC LIMIT ?",
                (before if before is not None else 2**62, limit),
            ).fetchall()
        return [AuditEntry(*row) for row in rows]

    def prune(self, before: datetime) -> int:
        """Delete the entries written before ``before`` (aware); answers how many went."""
        # ``at`` is UTC isoformat: its text order is its time order.
        cutoff = before.astimezone(UTC).isoformat()
        deleted = 0
        while True:
            with self._db.connection() as conn:
                cur = conn.execute(
                    "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? LIMIT ?)",
                    (cutoff, PRUNE_BATCH),
                )
            deleted += cur.rowcount
            if cur.rowcount < PRUNE_BATCH:
                return deleted

    def close(self) -> None:
        self._db.close()
