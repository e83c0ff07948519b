"""Where what users and operators write after a build lives (DESIGN §9): the embedded SQLite
files beside ``LOOKBOOK_DB_PATH`` (the default), or one PostgreSQL database
(``LOOKBOOK_DATABASE_URL``) that every API process of every host shares.

One code path for both: SQLAlchemy Core over SQLite's and psycopg 3's drivers, the same SQL
text where the two agree (they do on ``INSERT … ON CONFLICT``, ``RETURNING`` and everything
the stores ask), the schema versioned by Alembic (`core.migrations`).

The embedded default keeps three files, as before: the main one (keys, the audit trail,
preferences), ``-events.db`` (shoppers' events and the catalog's changes: appended all day, so
they do not wait behind the others' writers) and ``-limits.db`` (rate-limit counters, written
without fsync). On PostgreSQL the three are one database. A store names its ``part``.

Writes:
- ``write()`` is one transaction. On SQLite it takes the file's write lock at once
  (``BEGIN IMMEDIATE``), so reads inside it see what no other process can change before the
  commit, and it commits with ``synchronous=FULL`` (durable before the API answers).
- ``write(serial=…)`` also makes sequence numbers commit in order: several PostgreSQL writers
  could otherwise commit seq 11 before seq 10, and a reader that remembered "applied up to 11"
  would skip 10 for good. The transaction takes an advisory lock before it draws a number and
  holds it to its commit. SQLite's write lock does the same already.

Reads run outside a transaction (each statement sees what is committed when it starts).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, ClassVar, Literal

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

Part = Literal["main", "events", "limits"]
PARTS: tuple[Part, ...] = ("main", "events", "limits")
#: How long a SQLite write waits for another process's write to finish before failing.
BUSY_TIMEOUT_MS = 5000
#: How long a PostgreSQL connection attempt may take before the request is answered 503.
CONNECT_TIMEOUT_S = 3
#: Advisory lock ids of the logs whose sequence numbers must commit in order.
SERIAL = {"events": 1_001, "catalog_changes": 1_002}


class DatabaseUnavailable(Exception):
    """The database cannot be reached (or answered an error of its own): a 503, not a 500."""


class _WriteTurn:
    """One SQLite writer at a time among this machine's processes, in the order the kernel
    wakes them: a thread lock among this process's threads, then an exclusive `flock` of
    ``<file>.write.lock`` among processes (a waiter sleeps until the holder lets go, where
    SQLite's busy handler would poll). In-memory databases have only the thread lock."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._lock_path = (
            None if not database or database == ":memory:" else f"{database}.write.lock"
        )
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            if self._lock_path is not None:
                if self._fd is None:
                    self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *_exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


def sqlite_path(db_path: Path, part: Part) -> Path:
    """The embedded file of ``part`` beside ``LOOKBOOK_DB_PATH``."""
    if part == "main":
        return db_path
    return db_path.with_name(f"{db_path.stem}-{part}.db")


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def driver_url(url: str) -> str:
    """``postgresql://`` as the operator writes it, with the driver SQLAlchemy should use."""
    u = make_url(url)
    if u.get_backend_name() == "postgresql" and u.drivername != "postgresql+psycopg":
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """One engine (a SQLite file or a PostgreSQL database) shared by the stores of a process
    that name the same URL; ``close`` of the last of them disposes of it."""

    _open: ClassVar[dict[tuple[str, bool], tuple[Database, int]]] = {}
    _open_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, url: str, *, durable: bool = True) -> None:
        self.url = url
        self.postgres = is_postgres(url)
        self.dialect = "postgresql" if self.postgres else "sqlite"
        make = _postgres_engine if self.postgres else _sqlite_engine
        #: Two pools: reads in autocommit (no BEGIN/COMMIT round trips), writes in transactions.
        self._reads = make(url, durable, autocommit=True)
        self.engine = make(url, durable, autocommit=False)
        self._statements: dict[str, tuple[str, list[str] | None]] = {}
        #: SQLite: writers take turns here, fairly, before the file's own lock, whose busy
        #: handler polls with growing sleeps and lets a writer starve past its timeout behind
        #: the others (four threads of one process appending at once failed "database is
        #: locked"; so did two API processes' writers of the events file in a soak, after
        #: 12.5 s). PostgreSQL needs none.
        self._writing = nullcontext() if self.postgres else _WriteTurn(make_url(url).database)

    @classmethod
    def open(cls, url: str, *, durable: bool = True) -> Database:
        """The process's engine for ``url`` (made on first use)."""
        key = (url, durable)
        with cls._open_lock:
            db, users = cls._open.get(key, (None, 0))
            if db is None:
                db = cls(url, durable=durable)
            cls._open[key] = (db, users + 1)
            return db

    @classmethod
    def sqlite(cls, path: Path, *, durable: bool = True) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls.open(f"sqlite:///{path}", durable=durable)

    @property
    def name(self) -> str:
        return safe_url(self.url)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection whose statements each see what is committed when they start."""
        with _unavailable_as_503(self), self._reads.connect() as conn:
            yield conn

    def rows(
        self, sql: str, params: Mapping[str, Any] | None = None, *, write: bool = False
    ) -> list[tuple[Any, ...]]:
        """One statement on a pooled driver connection, straight through the driver (the
        per-request reads, and the rate limiter's one-statement hit): SQLAlchemy's execution
        costs ~85 µs a statement on SQLite, the driver 5 µs, and a request makes several.
        ``sql`` uses ``:name`` parameters (as `text`), translated once per driver; the
        statement commits by itself (autocommit); ``write``: it writes (one writer at a
        time per process on SQLite, as in `write`)."""
        compiled, names = self._compiled(sql)
        args: Any = dict(params or {})
        if names is not None:
            args = tuple(args[n] for n in names)
        with _unavailable_as_503(self):  # the pool raises the driver's own error here
            conn = self._reads.raw_connection()
        try:
            # A connection the server dropped is discarded: the pool opens another.
            with _unavailable_as_503(self, on_lost=conn.invalidate):
                cursor = conn.cursor()
                try:
                    with self._writing if write else nullcontext():
                        cursor.execute(compiled, args)
                        found = cursor.fetchall() if cursor.description is not None else []
                finally:
                    cursor.close()
        finally:
            conn.close()
        return [tuple(r) for r in found]

    def execute_many(self, conn: Connection, sql: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Inside a `write`: ``sql`` (``:name`` parameters) once per row through the driver's
        executemany (SQLAlchemy compiles a 500-row VALUES list anew each time: 100 ms); the
        rows it changed in all."""
        compiled, names = self._compiled(sql)
        args: list[Any] = (
            [tuple(r[n] for n in names) for r in rows] if names is not None else list(rows)
        )
        return int(conn.exec_driver_sql(compiled, args).rowcount)

    def _compiled(self, sql: str) -> tuple[str, list[str] | None]:
        found = self._statements.get(sql)
        if found is None:
            c = text(sql).compile(dialect=self._reads.dialect)
            found = (str(c), list(c.positiontup) if c.positiontup is not None else None)
            self._statements[sql] = found
        return found

    @contextmanager
    def write(self, serial: str | None = None) -> Iterator[Connection]:
        """One transaction, committed (durably) when the block ends, rolled back if it raises.
        ``serial``: a log (`SERIAL`) whose sequence numbers this transaction draws."""
        with (
            _unavailable_as_503(self),
            self._writing,
            self.engine.connect() as conn,
            conn.begin(),
        ):
            if serial is not None and self.postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SERIAL[serial]})
            yield conn

    def bump(self, conn: Connection, name: str) -> None:
        """Inside a write: tell every process that ``name`` (a store) changed (`Watch`)."""
        conn.execute(_BUMP, {"n": name})

    def close(self) -> None:
        with Database._open_lock:
            for key, (db, users) in list(Database._open.items()):
                if db is self:
                    if users > 1:
                        Database._open[key] = (db, users - 1)
                        return
                    del Database._open[key]
        self.engine.dispose()
        self._reads.dispose()


_BUMP = text("UPDATE state_versions SET version = version + 1 WHERE name = :n")
_VERSION = "SELECT version FROM state_versions WHERE name = :n"


class Watch:
    """Whether a store's data changed since this process last looked (a write of any process
    on any host bumps its row of ``state_versions`` in the same transaction): one indexed
    read, so caches of keys and of preference-dependent answers hold until the next write."""

    def __init__(self, db: Database, name: str) -> None:
        self._db, self._name = db, name
        self._seen: int | None = None
        self._lock = threading.Lock()

    def changed(self) -> bool:
        ((found,),) = self._db.rows(_VERSION, {"n": self._name})
        version = int(found)
        with self._lock:
            changed, self._seen = version != self._seen, version
        return changed


@contextmanager
def _unavailable_as_503(db: Database, on_lost: Callable[[], Any] | None = None) -> Iterator[None]:
    """An error that means the server is gone (wrapped by SQLAlchemy or the driver's own) as
    DatabaseUnavailable, logged; ``on_lost`` runs first."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc, DBAPIError):
            cause: BaseException = exc.orig if exc.orig is not None else exc
            lost = _unreachable(exc)
        else:
            cause, lost = exc, db.postgres and _driver_unreachable(exc)
        if _busy(cause):
            # A SQLite file another process (a migration, a copy by hand) kept locked past
            # the busy timeout: nothing was written, and a retry will do.
            log.error(
                "the database %s stayed locked past %d ms: %s", db.name, BUSY_TIMEOUT_MS, cause
            )
            raise DatabaseUnavailable("the database is busy") from exc
        if not lost:
            raise
        if on_lost is not None:
            on_lost()
        log.error("the database %s is unavailable: %s", db.name, cause)
        said = f"the database is unavailable ({type(cause).__name__})"
        raise DatabaseUnavailable(said) from exc


def _busy(cause: BaseException) -> bool:
    """SQLite's "database is locked" (or "busy"): its busy timeout ran out."""
    return isinstance(cause, sqlite3.OperationalError) and any(
        w in str(cause) for w in ("database is locked", "database is busy")
    )


def _unreachable(exc: DBAPIError) -> bool:
    """Whether an error means the server is gone or refusing, rather than a bad statement."""
    return bool(exc.connection_invalidated) or (
        exc.orig is not None and _driver_unreachable(exc.orig)
    )


def _driver_unreachable(orig: BaseException) -> bool:
    if not (type(orig).__module__ or "").startswith("psycopg"):
        return False
    import psycopg

    return isinstance(orig, psycopg.OperationalError) and not isinstance(
        orig, psycopg.errors.QueryCanceled | psycopg.errors.LockNotAvailable
    )


def _sqlite_engine(url: str, durable: bool, autocommit: bool) -> Engine:
    engine = create_engine(
        url,
        pool_size=4,
        max_overflow=32,
        connect_args={"check_same_thread": False},
        isolation_level="AUTOCOMMIT" if autocommit else None,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: Any, _record: Any) -> None:
        dbapi.isolation_level = None  # the driver never begins by itself: `_on_begin` does
        dbapi.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        dbapi.execute("PRAGMA journal_mode=WAL")
        dbapi.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")

    if not autocommit:

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _postgres_engine(url: str, _durable: bool, autocommit: bool) -> Engine:
    # PostgreSQL commits durably by itself (synchronous_commit=on, its default). No ping per
    # checkout (a round trip each): a connection the server dropped fails its statement once,
    # SQLAlchemy then discards the whole pool, and that request answers 503.
    return create_engine(
        driver_url(url),
        pool_size=4,
        max_overflow=16,
        pool_timeout=CONNECT_TIMEOUT_S,
        isolation_level="AUTOCOMMIT" if autocommit else "READ COMMITTED",
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "lookbook"},
    )
