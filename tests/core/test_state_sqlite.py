"""The embedded state's files as the code before versioned schemas wrote them (issue 22): the
first process of the new code upgrades them in place and nothing stored is lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.changes import open_changes
from core.db import sqlite_path
from core.events import open_log
from core.keys import KeyStore, digest
from core.preferences import PreferenceStore
from core.state import open_part, status

#: The tables the unversioned stores created (`CREATE TABLE IF NOT EXISTS`), as they were.
OLD_MAIN = """
CREATE TABLE api_keys (name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
    key_name TEXT NOT NULL, role TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
    status INTEGER NOT NULL);
CREATE INDEX audit_by_at ON audit (at);
CREATE TABLE preferences (customer_id TEXT PRIMARY KEY, body TEXT NOT NULL,
    updated_at TEXT NOT NULL);
"""
OLD_EVENTS = """
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type IN ('view', 'add_to_cart', 'purchase')),
    customer_id TEXT NOT NULL, article_id TEXT NOT NULL, ts REAL NOT NULL, price REAL,
    sales_channel_id INTEGER, rec_id TEXT, received REAL NOT NULL);
CREATE INDEX events_by_customer ON events (customer_id, type, seq);
CREATE TABLE catalog_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('put', 'patch', 'delete')), body TEXT NOT NULL,
    actor TEXT NOT NULL, received REAL NOT NULL);
"""
KEY = "lbk_" + "k" * 43
C = "ab" * 32


def test_files_of_the_unversioned_code_upgrade_in_place_keeping_what_they_hold(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lookbook.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(OLD_MAIN)
        conn.execute(
            "INSERT INTO api_keys VALUES ('shop', 'service', ?, 'lbk_kkkk', '2026-01-01', NULL)",
            (digest(KEY),),
        )
        conn.execute(
            "INSERT INTO preferences VALUES (?, '{\"style\": \"calm\"}', '2026-01-01')", (C,)
        )
    with sqlite3.connect(sqlite_path(db, "events")) as conn:
        conn.executescript(OLD_EVENTS)
        for seq in (1, 2, 7):
            conn.execute(
                "INSERT INTO events VALUES (?, ?, 'purchase', ?, '0108775015', 1e9, 1.0, 2, "
                "NULL, 1e9)",
                (seq, f"e{seq}", C),
            )
        conn.execute(
            "INSERT INTO catalog_changes VALUES (4, '0108775015', 'patch', '{\"price\": 3.0}', "
            "'m', 1e9)"
        )

    keys, prefs, log, changes = KeyStore(db), PreferenceStore(db), open_log(db), open_changes(db)
    try:
        found = keys.lookup(KEY)
        assert found is not None and found.name == "shop"
        saved = prefs.get(C)
        assert saved is not None and saved[0].style == "calm"
        assert [p.seq for p in log.purchases()] == [1, 2, 7]
        assert [(c.seq, dict(c.fields)) for c in changes.since(0)] == [(4, {"price": 3.0})]
        # New rows continue after the old numbers; every part is at this code's revision.
        assert changes.append([("0108775015", "delete", {})], "m") == [5]
        for part in ("main", "events"):
            assert {s.state for s in status(open_part(db, part), (part,))} == {"current"}
    finally:
        for store in (keys, prefs, log, changes):
            store.close()


def _append_rows(url: str, busy_ms: int, writers: int, rows: int) -> int:
    """In a process of its own: ``writers`` threads each commit ``rows`` one-row transactions
    to ``url``; how many raised "database is locked"."""
    import threading

    import core.db as cdb

    cdb.BUSY_TIMEOUT_MS = busy_ms
    db = cdb.Database(url)
    failed = 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal failed
        for _ in range(rows):
            try:
                with db.write() as conn:
                    conn.exec_driver_sql("INSERT INTO t (pid) VALUES (1)")
                    conn.exec_driver_sql("SELECT count(*) FROM t").fetchall()
            except cdb.DatabaseUnavailable:
                with guard:
                    failed += 1

    threads = [threading.Thread(target=work) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.close()
    return failed


def test_two_processes_writing_one_file_take_turns_without_starving(tmp_path: Path) -> None:
    """Two processes of four writers each on one file, with a busy timeout of 50 ms: SQLite's
    busy handler alone starves writers past it ("database is locked"); the writers' turn
    (a lock file among processes) makes every one of the 1,600 commits wait its turn."""
    import multiprocessing as mp

    path = tmp_path / "contended.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, pid INTEGER)")
    con.close()
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        failed = pool.starmap(_append_rows, [(f"sqlite:///{path}", 50, 4, 200)] * 2)
    assert failed == [0, 0]
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM t").fetchone() == (1_600,)
    con.close()


def test_a_file_locked_past_the_busy_timeout_is_unavailable_not_an_error(
    tmp_path: Path, monkeypatch
) -> None:
    """A writer outside the API (a script holding the file) past the busy timeout: the write
    is DatabaseUnavailable (a 503 with Retry-After), and nothing of it is stored."""
    import pytest

    import core.db as cdb

    monkeypatch.setattr(cdb, "BUSY_TIMEOUT_MS", 100)
    path = tmp_path / "held.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    holder.execute("BEGIN IMMEDIATE")
    db = cdb.Database(f"sqlite:///{path}")
    try:
        with pytest.raises(cdb.DatabaseUnavailable, match="busy"), db.write() as conn:
            conn.exec_driver_sql("INSERT INTO t (id) VALUES (1)")
        holder.execute("ROLLBACK")
        assert db.rows("SELECT count(*) FROM t") == [(0,)]
    finally:
        db.close()
        holder.close()
