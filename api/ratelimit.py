"""Per-client request limits shared by every API process of the machine (OWASP API4).

Each endpoint group has a rate in the `limits` notation (``60/minute``). A client is its API
key's name when it sends a valid key, the customer of a valid shopper's token, else its IP
address: an IPv4 address (IPv4-mapped IPv6 too) as is, an IPv6 address by its /64, which one
host or home network holds whole. The count lives in the ``limits`` part of the state (a small
SQLite file beside the database, or the shared PostgreSQL database in an UNLOGGED table), so
every API process of every host shares it; the window is a sliding-window
counter (the previous fixed window's count weighted by how much of it still overlaps), which
has no burst of twice the rate at a window edge. Only accepted requests are counted; an
accepted one costs one statement. Rows whose window has passed out of reach (older than
the previous window) are deleted at most every `PRUNE_EVERY_S` seconds per process.
"""

from __future__ import annotations

import ipaddress
import math
import time
from pathlib import Path
from urllib.parse import parse_qsl

from limits import RateLimitItem, parse
from sqlalchemy import text

from core.db import Database
from core.settings import RateLimitSettings, Settings
from core.state import open_part

#: One statement counts the hit and rolls the window forward (SET reads the old row);
#: ``:exp``: when the window stops counting even as the previous one.
_HIT = """
INSERT INTO rate_windows (key, win, count, previous, expires) VALUES (:key, :win, 1, 0, :exp)
ON CONFLICT (key) DO UPDATE SET
    previous = CASE rate_windows.win WHEN :win THEN rate_windows.previous
        WHEN :win - 1 THEN rate_windows.count ELSE 0 END,
    count = CASE rate_windows.win WHEN :win THEN rate_windows.count + 1 ELSE 1 END,
    win = :win,
    expires = :exp
RETURNING count, previous
"""
_UNHIT = "UPDATE rate_windows SET count = count - 1 WHERE key = :key AND win = :win"
_PRUNE = text("DELETE FROM rate_windows WHERE expires <= :now")
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
    """Sliding-window counters (not durable: a crash may forget the last counts)."""

    def __init__(
        self,
        target: Settings | Path | str,
        settings: RateLimitSettings,
        prune_every_s: float = PRUNE_EVERY_S,
    ) -> None:
        self._db = open_part(target, "limits")
        self._limits: dict[str, RateLimitItem] = {
            name: parse(getattr(settings, name)) for name in type(settings).model_fields
        }
        self._prune_every_s = prune_every_s
        self._pruned = 0.0

    @property
    def db(self) -> Database:
        """The database this store lives in."""
        return self._db

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
        if now - self._pruned >= self._prune_every_s:
            self._pruned = now
            with self._db.write() as conn:
                conn.execute(_PRUNE, {"now": now})
        # Each statement commits by itself.
        hit = {"key": key, "win": window, "exp": (window + 2) * period}
        ((current, previous),) = self._db.rows(_HIT, hit, write=True)
        if previous * weight + current <= amount:
            return None
        self._db.rows(_UNHIT, {"key": key, "win": window}, write=True)  # refused: uncounted
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
