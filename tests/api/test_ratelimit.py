"""The rate limiter's table of windows: expired rows are pruned, live ones kept."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from api.ratelimit import RateLimiter
from core.settings import RateLimitSettings


def _keys(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT key FROM windows")}


def test_windows_older_than_the_previous_one_are_pruned(tmp_path: Path) -> None:
    path = tmp_path / "limits.db"
    limiter = RateLimiter(path, RateLimitSettings(search="2/second"), prune_every_s=0.5)
    try:
        assert limiter.hit("search", "ip:gone") is None
        assert _keys(path) == {"search|ip:gone|2 per 1 second"}
        # Two 1-second windows later the row counts for nothing: neither current nor previous.
        time.sleep(2.1)
        assert limiter.hit("search", "ip:kept") is None
        assert limiter.hit("search", "ip:kept") is None
        time.sleep(0.6)  # past the pruning interval, in the same or the next window
        assert limiter.hit("search", "ip:new") is None
        assert _keys(path) == {"search|ip:kept|2 per 1 second", "search|ip:new|2 per 1 second"}
    finally:
        limiter.close()


def test_a_counter_file_of_the_old_layout_is_replaced(tmp_path: Path) -> None:
    """Counters are not durable: a file written before windows expired is started afresh."""
    path = tmp_path / "limits.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE windows (key TEXT PRIMARY KEY, window INTEGER NOT NULL,"
            " count INTEGER NOT NULL, previous INTEGER NOT NULL) WITHOUT ROWID"
        )
        conn.execute("INSERT INTO windows VALUES ('search|ip:old|2 per 1 second', 1, 1, 0)")
    limiter = RateLimiter(path, RateLimitSettings(search="2/second"))
    try:
        assert limiter.hit("search", "ip:a") is None
        assert _keys(path) == {"search|ip:a|2 per 1 second"}
    finally:
        limiter.close()
