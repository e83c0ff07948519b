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
from typing import TYPE_CHECKING, Literal, get_args

from sqlalchemy import text

from core.db import Database, DatabaseUnavailable, Watch
from core.errors import InvalidInput, NotFound
from core.state import open_part

if TYPE_CHECKING:
    from core.settings import Settings

KeyRole = Literal["service", "merchandiser", "admin"]
KEY_ROLES: tuple[str, ...] = get_args(KeyRole)
PREFIX = "lbk_"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Look-ups remembered at most (made-up keys included), then forgotten all at once.
KNOWN_MAX = 10_000


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
    """Keys in the main part of the state (beside preferences); every write is durable before
    it returns, and seen by every process at its next look-up."""

    def __init__(self, target: Settings | Path | str) -> None:
        self._db = open_part(target, "main")
        self._watch = Watch(self._db, "keys")
        self._known: dict[str, ApiKey | None] = {}
        self.database = self._db.name

    @property
    def db(self) -> Database:
        """The database this store lives in."""
        return self._db

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
        with self._db.write() as conn:
            if conn.execute(text("SELECT 1 FROM api_keys WHERE name = :n"), {"n": name}).first():
                raise InvalidInput("name", f"a key named {name!r} exists (names are never reused)")
            conn.execute(
                text(
                    "INSERT INTO api_keys (name, role, hash, hint, created_at) "
                    "VALUES (:name, :role, :hash, :hint, :at)"
                ),
                {
                    "name": name,
                    "role": role,
                    "hash": digest(key),
                    "hint": hint,
                    "at": record.created_at,
                },
            )
            self._db.bump(conn, "keys")
        self._known.clear()
        return record, key

    def list(self) -> list[ApiKey]:
        with self._db.read() as conn:
            rows = conn.execute(
                text(
                    "SELECT name, role, hint, created_at, revoked_at FROM api_keys "
                    "ORDER BY created_at"
                )
            ).all()
        return [ApiKey(*row) for row in rows]

    def revoke(self, name: str) -> ApiKey:
        """Revoke the key named ``name`` at once, for every API process."""
        now = datetime.now(UTC).isoformat()
        with self._db.write() as conn:
            row = conn.execute(
                text(
                    "SELECT name, role, hint, created_at, revoked_at FROM api_keys WHERE name = :n"
                ),
                {"n": name},
            ).first()
            if row is None:
                raise NotFound("API key", name)
            if row[4] is None:
                revoke = text("UPDATE api_keys SET revoked_at = :at WHERE name = :n")
                conn.execute(revoke, {"at": now, "n": name})
                self._db.bump(conn, "keys")
        self._known.clear()
        name_, role, hint, created_at, revoked_at = row
        return ApiKey(name_, role, hint, created_at, revoked_at or now)

    def lookup(self, key: str) -> ApiKey | None:
        """The live key ``key`` is, or None (unknown or revoked).

        Answers are remembered until the keys change: every key write (any API process on any
        host, the command line) bumps the keys' version, which each look-up reads first, so
        a revocation anywhere holds from the next request on."""
        if not key.startswith(PREFIX):
            return None
        h = digest(key)
        try:
            changed = self._watch.changed()
        except DatabaseUnavailable:
            # No key can be created or revoked while the database is down: one known
            # before the outage is still what it was; any other cannot be checked.
            if h in self._known:
                return self._known[h]
            raise
        if changed or len(self._known) >= KNOWN_MAX:
            self._known.clear()
        if h in self._known:
            return self._known[h]
        rows = self._db.rows(
            "SELECT name, role, hint, created_at FROM api_keys "
            "WHERE hash = :h AND revoked_at IS NULL",
            {"h": h},
        )
        found = ApiKey(*rows[0]) if rows else None
        self._known[h] = found
        return found

    def close(self) -> None:
        self._db.close()
