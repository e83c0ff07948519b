"""The audit trail: every key-authenticated write (and every key change from the command
line), appended with when, which key, its role, method, path and outcome; kept for
``LOOKBOOK_AUDIT_RETENTION_DAYS`` (`AuditLog.prune`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

from core.state import open_part

if TYPE_CHECKING:
    from core.settings import Settings

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

    def __init__(self, target: Settings | Path | str) -> None:
        self._db = open_part(target, "main")

    def append(self, key_name: str, role: str, method: str, path: str, status: int) -> int:
        """Record one write; answers its id once it is durable."""
        at = datetime.now(UTC).isoformat()
        with self._db.write() as conn:
            return int(
                conn.execute(
                    text(
                        "INSERT INTO audit (at, key_name, role, method, path, status) "
                        "VALUES (:at, :k, :r, :m, :p, :s) RETURNING id"
                    ),
                    {"at": at, "k": key_name, "r": role, "m": method, "p": path, "s": status},
                ).scalar_one()
            )

    def page(self, *, limit: int = 50, before: int | None = None) -> list[AuditEntry]:
        """Newest first; ``before`` (an id) continues a previous page."""
        with self._db.read() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, at, key_name, role, method, path, status FROM audit "
                    "WHERE id < :before ORDER BY id DESC LIMIT :n"
                ),
                {"before": before if before is not None else 2**62, "n": limit},
            ).all()
        return [AuditEntry(*row) for row in rows]

    def prune(self, before: datetime) -> int:
        """Delete the entries written before ``before`` (aware); answers how many went."""
        # ``at`` is UTC isoformat: its text order is its time order.
        cutoff = before.astimezone(UTC).isoformat()
        deleted = 0
        while True:
            with self._db.write() as conn:
                n = conn.execute(
                    text(
                        "DELETE FROM audit WHERE id IN "
                        "(SELECT id FROM audit WHERE at < :cutoff LIMIT :n)"
                    ),
                    {"cutoff": cutoff, "n": PRUNE_BATCH},
                ).rowcount
            deleted += n
            if n < PRUNE_BATCH:
                return deleted

    def close(self) -> None:
        self._db.close()
