"""Per-client request limits shared by every API process of the machine (OWASP API4).

Each endpoint group has a rate in the `limits` notation (``60/minute``). A client is its API
key's name when it sends a valid key, the customer of a valid shopper's token, else its IP
address: an IPv4 address (IPv4-mapped IPv6 too) as is, an IPv6 address by its /64, which one
host or home network holds whole. The count lives in a small SQLite
file beside the database, so several API processes share it; the window is a sliding-window
counter (the previous fixed window's count weighted by how much of it still overlaps), which
has no burst of twice the rate at a window edge. Only accepted requests are counted; an
accepted one costs one SQLite statement. Rows whose window has passed out of reach (older than
the previous window) are deleted at most every `PRUNE_EVERY_S` seconds per process.
"""

from __future__ import annotations

import ipaddress
import math
import sqlite3
import time
from pathlib import Path
from urllib.parse import parse_qsl

from limits import RateLimitItem, parse

from core.db import Database
from core.settings import RateLimitSettings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS windows (
    key TEXT PRIMARY KEY,
    window INTEGER NOT NULL,
    count INTEGER NOT NULL,
    previous INTEGER NOT NULL,
    expires REAL NOT NULL DEFAULT 0
) WITHOUT ROWID;
"""
#: One statement counts the hit and rolls the window forward (SET reads the old row);
#: ``expires`` (?3): when the window stops counting even as the previous one.
_HIT = """
INSERT INTO windows (key, window, count, previous, expires) VALUES (?1, ?2, 1, 0, ?3)
ON CONFLICT (key) DO UPDATE SET
    previous = CASE window WHEN ?2 THEN previous WHEN ?2 - 1 THEN count ELSE 0 END,
    count = CASE window WHEN ?2 THEN count + 1 ELSE 1 END,
    window = ?2,
    expires = ?3
RETURNING count, previous
"""
_UNHIT = "UPDATE windows SET count = count - 1 WHERE key = ?1 AND window = ?2"
_PRUNE = "DELETE FROM windows WHERE expires <= ?"
#: A process deletes expired windows at most this often (one scan of the small table).
PRUNE_EVERY_S = 60.0
#: Endpoint groups: (method, exact path or prefix ending in "/") → group.
_GROUPS = {
    ("GET", "/search"): "search",
    ("POST", "/search/image"): "photo_search",
    ("POST", "/session"): "session",
    ("POST", "/events"): "events",
}
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def group_of(method: str, path: str, query: str = "") -> str | None:
    """The limited group a request falls in; every write not named above is ``write``.
    Browsing with text (``GET /articles?q=...``) embeds it as search does: ``search``."""
    path = path.rstrip("/") or "/"
    if (method, path) == ("GET", "/articles") and any(n == "q" and v for n, v in parse_qsl(query)):
        return "search"
    group = _GROUPS.get((method, path))
    if group is None and method not in _READS:
        return "write"
    return group


def address_client(host: str) -> str:
    """The client an address counts as: IPv4 per address, IPv6 per /64 (one host or home
    network holds the whole /64, so per address it could take 2⁶⁴ turns)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return f"ip:{host}"  # not an address (a test client, a Unix socket)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"ip:{ip.ipv4_mapped}"
        return f"ip:{ipaddress.IPv6Network((ip, 64), strict=False)}"
    return f"ip:{ip}"


class RateLimiter:
    """Sliding-window counters in SQLite (not durable: a crash may forget the last counts)."""

    def __init__(
        self, path: Path, settings: RateLimitSettings, prune_every_s: float = PRUNE_EVERY_S
    ) -> None:
        self._db = Database(path, _SCHEMA, durable=False)
        with self._db.connection() as conn:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(windows)")}
            if "expires" not in columns:
                # A file of the layout before pruning: its rows get expires 0 and go at once.
                try:
                    conn.execute("ALTER TABLE windows ADD COLUMN expires REAL NOT NULL DEFAULT 0")
                except sqlite3.OperationalError as exc:
                    if "duplicate column" not in str(exc):  # not another process's ALTER
                        raise
        self._limits: dict[str, RateLimitItem] = {
            name: parse(getattr(settings, name)) for name in type(settings).model_fields
        }
        self._prune_every_s = prune_every_s
        self._pruned = 0.0

    def limit_of(self, group: str, service: bool) -> RateLimitItem:
        return self._limits["service" if service else group]

    def hit(self, group: str, client: str, *, service: bool = False) -> float | None:
        """Count one request of ``client`` in ``group``; None when allowed, else the seconds
        until a request would be allowed again (for Retry-After)."""
        item = self.limit_of(group, service)
        period, amount = float(item.get_expiry()), item.amount
        now = time.time()
        window = int(now // period)
        weight = 1.0 - (now - window * period) / period  # share of the previous window left
        key = f"{group}|{client}|{item}"
        with self._db.connection() as conn:
            if now - self._pruned >= self._prune_every_s:
                self._pruned = now
                conn.execute(_PRUNE, (now,))
            current, previous = conn.execute(_HIT, (key, window, (window + 2) * period)).fetchone()
            if previous * weight + current <= amount:
                return None
            conn.execute(_UNHIT, (key, window))  # refused requests are not counted
        return _retry_after(current - 1, previous, amount, period, now - window * period)

    def close(self) -> None:
        self._db.close()


def _retry_after(current: int, previous: int, amount: int, period: float, elapsed: float) -> float:
    """Seconds until ``previous·(1 − t/period) + current + 1 ≤ amount`` holds again."""
    if current + 1 > amount:
        # Wait for the next window, where this one's count becomes the decaying previous.
        into_next = period * max(0.0, 1.0 - (amount - 1) / current) if current else 0.0
        wait = period - elapsed + into_next
    else:
        wait = period * (1.0 - (amount - current - 1) / previous) - elapsed
    return float(max(1, math.ceil(wait)))
