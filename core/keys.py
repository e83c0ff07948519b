"""API keys of services, merchandisers and admins: created once, stored only as a hash.

A key is ``lbk_`` and 43 URL-safe characters (256 random bits). Only its SHA-256 is stored: with
that much entropy a fast hash is enough (no password stretching), and a look-up costs one
indexed read. A revoked key stays listed, so its name is never given to a new key.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

from core.db import Database
from core.errors import InvalidInput, NotFound

KeyRole = Literal["service", "merchandiser", "admin"]
KEY_ROLES: tuple[str, ...] = get_args(KeyRole)
PREFIX = "lbk_"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Look-ups remembered at most (made-up keys included), then forgotten all at once.
KNOWN_MAX = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""


@dataclass(frozen=True)
class ApiKey:
    """What is known of a key: never the key itself, only its first characters (``hint``)."""

    name: str
    role: KeyRole
    hint: str
    created_at: str
    revoked_at: str | None = None


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    """Keys in the SQLite file beside preferences; every write is durable before it returns."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path, _SCHEMA)
        self._known: dict[str, ApiKey | None] = {}

    def create(self, role: str, name: str) -> tuple[ApiKey, str]:
        """A new key for ``role`` named ``name``: its record and the key (shown only now)."""
        if role not in KEY_ROLES:
            raise InvalidInput("role", f"must be one of {', '.join(KEY_ROLES)}, got {role!r}")
        if not NAME.match(name):
            raise InvalidInput(
                "name", "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        key = PREFIX + secrets.token_urlsafe(32)
        hint = key[: len(PREFIX) + 4]
        record = ApiKey(name, role, hint, datetime.now(UTC).isoformat())  # type: ignore[arg-type]
        with self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM api_keys WHERE name = ?", (name,)).fetchone():
                raise InvalidInput("name", f"a key named {name!r} exists (names are never reused)")
            conn.execute(
                "INSERT INTO api_keys (name, role, hash, hint, created_at) VALUES (?, ?, ?, ?, ?)",
                (name, role, digest(key), record.hint, record.created_at),
            )
            self._known.clear()
        return record, key

    def list(self) -> list[ApiKey]:
        with self._db.connection() as conn:
            rows = conn.execute(
                "SELECT name, role, hint, created_at, revoked_at FROM api_keys ORDER BY created_at"
            ).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke(self, name: str) -> ApiKey:
        """Revoke the key named ``name`` at once, for every API process."""
        now = datetime.now(UTC).isoformat()
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT name, role, hint, created_at, revoked_at FROM api_keys WHERE name = ?",
                (name,),
            ).fetchone()
            if row is None:
                raise NotFound("API key", name)
            if row[4] is None:
                conn.execute("UPDATE api_keys SET revoked_at = ? WHERE name = ?", (now, name))
            self._known.clear()
        name_, role, hint, created_at, revoked_at = row
        return ApiKey(name_, role, hint, created_at, revoked_at or now)

    def lookup(self, key: str) -> ApiKey | None:
        """The live key ``key`` is, or None (unknown or revoked).

        Answers are remembered until the database changes: SQLite's ``data_version`` moves
        when another connection (another API process, the command line) commits, so a
        revocation anywhere holds from the next request on; this store's own writes clear
        the memory themselves."""
        if not key.startswith(PREFIX):
            return None
        h = digest(key)
        if self._db.changed_elsewhere() or len(self._known) >= KNOWN_MAX:
            self._known.clear()
        if h in self._known:
            return self._known[h]
        with self._db.connection() as conn:
            row = conn.execute(
                "SELECT name, role, hint, created_at FROM api_keys "
                "WHERE hash = ? AND revoked_at IS NULL",
                (h,),
            ).fetchone()
        found = None if row is None else ApiKey(*row)
        self._known[h] = found
        return found

    def close(self) -> None:
        self._db.close()
