"""Opening the database a store lives in, with its schema at the code's version (Alembic).

- The embedded SQLite files upgrade themselves when a store first opens them in a process
  (under a file lock, so API processes starting together upgrade a file once): `make demo`
  needs no step of its own.
- PostgreSQL is upgraded by an operator, ``python -m api db upgrade``; a process whose code
  expects another schema refuses to open it and names that command.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from core.db import PARTS, Database, DatabaseUnavailable, Part, safe_url, sqlite_path
from core.errors import LookbookError

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
UPGRADE = "python -m api db upgrade"
#: Advisory lock a PostgreSQL upgrade holds, so two operators' upgrades do not interleave.
UPGRADE_LOCK = 1_000
_ready: set[tuple[str, Part | None]] = set()
_ready_lock = threading.Lock()


class SchemaMismatch(LookbookError):
    """The database's schema is not the one this code reads and writes."""


@dataclass(frozen=True)
class PartStatus:
    part: Part
    current: str | None  # the revision the database is at (None: empty)
    head: str  # the revision this code expects

    @property
    def state(self) -> str:
        if self.current == self.head:
            return "current"
        if self.current is None:
            return "empty"
        return "older" if self.current in _ancestors(self.head) else "newer"


def _config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


@functools.cache
def head(part: Part) -> str:
    rev = _script().get_revision(f"{part}@head")
    assert rev is not None
    return rev.revision


@functools.cache
def _ancestors(revision: str) -> frozenset[str]:
    return frozenset(r.revision for r in _script().iterate_revisions(revision, "base"))


def status(db: Database, parts: tuple[Part, ...]) -> list[PartStatus]:
    """Where each of ``parts`` stands in ``db``."""
    with db.read() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    out = []
    for part in parts:
        h = head(part)
        mine = [r for r in current if r.split("_")[0] == part]
        out.append(PartStatus(part, mine[0] if mine else None, h))
    return out


def upgrade(db: Database, parts: tuple[Part, ...]) -> list[PartStatus]:
    """Bring ``parts`` of ``db`` to this code's schema (nothing to do: nothing done)."""
    with db.write() as conn:
        if db.postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": UPGRADE_LOCK})
        for part in parts:
            command.upgrade(_config(conn), f"{part}@head")
    return status(db, parts)


def check(db: Database, parts: tuple[Part, ...]) -> None:
    """Raise SchemaMismatch unless every one of ``parts`` is at this code's revision."""
    wrong = [s for s in status(db, parts) if s.state != "current"]
    if not wrong:
        return
    said = "; ".join(
        f"{s.part} is {s.state} ({s.current or 'no schema'}, this code needs {s.head})"
        for s in wrong
    )
    hint = (
        f"run `{UPGRADE}` with this LOOKBOOK_DATABASE_URL"
        if any(s.state in ("older", "empty") for s in wrong)
        else "run the code that wrote it, or restore a backup"
    )
    raise SchemaMismatch(f"the database {db.name} is not at this code's schema: {said}: {hint}")


@contextmanager
def file_lock(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``lock`` (made if missing): one holder at a time
    among this machine's processes."""
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def open_sqlite(path: Path, part: Part) -> Database:
    """The embedded file of ``part``, upgraded to this code's schema."""
    db = Database.sqlite(path, durable=part != "limits")
    key = (db.url, part)
    if key not in _ready:
        with _ready_lock, file_lock(path.with_name(f"{path.name}.migrate.lock")):
            upgrade(db, (part,))
            _ready.add(key)
    return db


def open_postgres(url: str, part: Part | None = None) -> Database:
    """The shared database, checked (never changed) against this code's schema."""
    db = Database.open(url)
    key = (db.url, None)
    if key not in _ready:
        try:
            check(db, PARTS)
        except DatabaseUnavailable as exc:
            # Start anyway: reads that need no write answer from the index, /ready says
            # why not ready, and the schema is checked again once the database answers.
            log.warning("the database is unavailable at start-up (%s): schema not checked", exc)
            return db
        except BaseException:
            db.close()
            raise
        with _ready_lock:
            _ready.add(key)
    return db


def ensure_checked(db: Database) -> None:
    """Check a PostgreSQL database's schema if the start-up could not (it was unavailable)."""
    if db.postgres and (db.url, None) not in _ready:
        check(db, PARTS)
        with _ready_lock:
            _ready.add((db.url, None))


def open_part(target: Settings | Path | str, part: Part) -> Database:
    """The database ``part`` lives in. Settings: PostgreSQL when ``LOOKBOOK_DATABASE_URL`` is
    set, else the SQLite file beside ``LOOKBOOK_DB_PATH``; a path: the file of ``part`` beside
    that main database file; a string: a PostgreSQL URL."""
    if isinstance(target, str):
        return open_postgres(target, part)
    if isinstance(target, Path):
        return open_sqlite(sqlite_path(target, part), part)
    if target.database_url:
        return open_postgres(target.database_url, part)
    return open_sqlite(sqlite_path(target.db_path, part), part)


def describe(target: Settings) -> str:
    if target.database_url:
        return safe_url(target.database_url)
    return str(target.db_path)


@dataclass(frozen=True)
class Health:
    backend: str
    reachable: bool
    schema: str
    revisions: dict[str, str | None]


def health(dbs: dict[Part, Database]) -> Health:
    """Whether the state's database answers, and its schema against this code's (`/ready`)."""
    first = next(iter(dbs.values()))
    backend = "postgresql" if first.postgres else "sqlite"
    found: list[PartStatus] = []
    try:
        if first.postgres:
            ensure_checked(first)  # a start-up that could not check it checks now
            found = status(first, tuple(dbs))
        else:
            found = [s for part, db in dbs.items() for s in status(db, (part,))]
    except DatabaseUnavailable:
        return Health(backend, False, "unknown", {})
    except SchemaMismatch:
        found = status(first, tuple(dbs))
    states = {s.state for s in found}
    schema = "current" if states == {"current"} else next(iter(states - {"current"}))
    return Health(backend, True, schema, {s.part: s.current for s in found})
