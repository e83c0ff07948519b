"""The rate limiter's table of windows: expired rows are pruned, live ones kept; on both
backends (`state`)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

from api.ratelimit import RateLimiter
from core.db import sqlite_path
from core.settings import RateLimitSettings
from core.state import open_part


def _keys(state: Path | str) -> set[str]:
    with open_part(state, "limits").read() as conn:
        return {row[0] for row in conn.execute(text("SELECT key FROM rate_windows"))}


def test_windows_older_than_the_previous_one_are_pruned(state: Path | str) -> None:
    limiter = RateLimiter(state, RateLimitSettings(search="2/second"), prune_every_s=0.5)
    try:
        assert limiter.hit("search", "ip:gone") is None
        assert _keys(state) == {"search|ip:gone|2 per 1 second"}
        # Two 1-second windows later the row counts for nothing: neither current nor previous.
        time.sleep(2.1)
        assert limiter.hit("search", "ip:kept") is None
        assert limiter.hit("search", "ip:kept") is None
        time.sleep(0.6)  # past the pruning interval, in the same or the next window
        assert limiter.hit("search", "ip:new") is None
        assert _keys(state) == {"search|ip:kept|2 per 1 second", "search|ip:new|2 per 1 second"}
    finally:
        limiter.close()


def test_the_third_hit_of_two_a_second_is_refused_and_not_counted(state: Path | str) -> None:
    limiter = RateLimiter(state, RateLimitSettings(search="2/second"))
    try:
        time.sleep(1 - time.time() % 1 + 0.01)  # the start of a window
        hits = [limiter.hit("search", "ip:a") for _ in range(3)]
        assert hits[:2] == [None, None] and hits[2] is not None and hits[2] >= 1
        assert limiter.hit("search", "ip:b") is None  # another client counts apart
        with open_part(state, "limits").read() as conn:
            q = text("SELECT count FROM rate_windows WHERE key = :k")
            assert conn.execute(q, {"k": "search|ip:a|2 per 1 second"}).scalar() == 2
    finally:
        limiter.close()


def test_a_counter_file_of_the_old_layout_is_replaced(tmp_path: Path) -> None:
    """Counters are not durable: a file written before schemas were versioned (table
    ``windows``) is started afresh by its first migration."""
    db = tmp_path / "lookbook.db"
    with sqlite3.connect(sqlite_path(db, "limits")) as conn:
        conn.execute(
            "CREATE TABLE windows (key TEXT PRIMARY KEY, window INTEGER NOT NULL,"
            " count INTEGER NOT NULL, previous INTEGER NOT NULL) WITHOUT ROWID"
        )
        conn.execute("INSERT INTO windows VALUES ('search|ip:old|2 per 1 second', 1, 1, 0)")
    limiter = RateLimiter(db, RateLimitSettings(search="2/second"))
    try:
        assert limiter.hit("search", "ip:a") is None
        assert _keys(db) == {"search|ip:a|2 per 1 second"}
        with sqlite3.connect(sqlite_path(db, "limits")) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "windows" not in tables
    finally:
        limiter.close()
