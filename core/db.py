"""The SQLite file of what users and operators write (preferences, API keys, the audit trail):
one connection per store, in WAL mode so several API processes share the file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: How long a write waits for another process's write to finish before failing.
BUSY_TIMEOUT_MS = 5000


class Database:
    """One SQLite connection guarded by a lock. ``durable`` commits with synchronous=FULL, so a
    write the API acknowledged survives a kill of the process or the machine."""

    def __init__(self, path: Path, schema: str, *, durable: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._conn.executescript(schema)
        self._lock = threading.Lock()
        self._seen: int | None = None

    def changed_elsewhere(self) -> bool:
        """Whether another connection (another API process, the command line) committed to
        the file since the last call: SQLite's ``data_version``, a few µs to read."""
        with self._lock:
            version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            changed, self._seen = version != self._seen, version
        return changed

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """The connection, for one statement or an explicit transaction, under the lock."""
        with self._lock:
            yield self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the file's write lock at once (BEGIN IMMEDIATE), so
        reads inside it see what no other process can change before the commit."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
