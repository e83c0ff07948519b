"""Shoppers' events (views, add-to-cart, purchases): the durable, append-only log that makes the
personal surfaces live (DESIGN §9).

The log is the source of truth for everything shoppers did after a build. Each event gets a
sequence number (``seq``) as it is appended; a build records the highest one it folded in
(the manifest's ``events_seq``), and the API applies on top of that version only the purchases
logged after it, so no purchase is counted twice or lost by a rebuild. Views and add-to-cart
never reach the CSVs: they are always read from here.

The log is its own SQLite file beside the database (``<db>-events.db``), in WAL mode: a write
commits with ``synchronous=FULL`` before the API answers, and every API process reads the
customer's events at their next request, so no process needs to be told. A second connection
reads, so a feed does not wait behind a batch being written.
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from core.db import Database

TYPES = ("view", "add_to_cart", "purchase")
#: Events of one batch that may be appended at once (the API's limit too).
MAX_BATCH = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type IN ('view', 'add_to_cart', 'purchase')),
    customer_id TEXT NOT NULL,
    article_id TEXT NOT NULL,
    ts REAL NOT NULL,
    price REAL,
    sales_channel_id INTEGER,
    rec_id TEXT,
    received REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_customer ON events (customer_id, type, seq);
CREATE INDEX IF NOT EXISTS events_by_type ON events (type, seq);
"""


def events_path(db_path: Path) -> Path:
    """The event log's file, beside the database."""
    return db_path.with_name(f"{db_path.stem}-events.db")


@dataclass(frozen=True)
class Event:
    """One event as the log stores it; ``ts`` in seconds since 1970 (UTC), ``price`` in the
    shop's currency."""

    event_id: str
    type: str
    customer_id: str
    article_id: str
    ts: float
    price: float | None = None
    sales_channel_id: int | None = None
    rec_id: str | None = None


@dataclass(frozen=True)
class Logged:
    """An event read back, with its sequence number."""

    seq: int
    type: str
    article_id: str
    ts: float
    price: float | None = None

    @property
    def day(self) -> int:
        """Days since 1970-01-01 (UTC), as the transactions count them."""
        return int(self.ts // 86400)


@dataclass
class Activity:
    """What one customer did that the served version does not hold yet."""

    #: Purchases logged after the version's build, oldest first.
    purchases: list[Logged] = field(default_factory=list)
    #: The newest views and add-to-carts, newest first.
    views: list[Logged] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.purchases or self.views)


@dataclass(frozen=True)
class Purchase:
    """A logged purchase, as the build and the export read it."""

    seq: int
    customer_id: str
    article_id: str
    ts: float
    price: float | None
    sales_channel_id: int | None


class EventLog:
    """Append events once each (by ``event_id``) and read them back by customer or by type."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = Database(path, _SCHEMA)
        self._reader = Database(path, _SCHEMA)

    def append(self, events: Sequence[Event]) -> tuple[int, int]:
        """Append ``events`` in one transaction, committed (fsync) before this returns.

        Returns ``(accepted, duplicates)``: an event whose ``event_id`` is already logged, or
        repeats an earlier one of the batch, is a duplicate and changes nothing.
        """
        now = datetime.now(UTC).timestamp()
        rows = [
            (
                e.event_id,
                e.type,
                e.customer_id,
                e.article_id,
                e.ts,
                e.price,
                e.sales_channel_id,
                e.rec_id,
                now,
            )
            for e in events
        ]
        with self._writer.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT INTO events (event_id, type, customer_id, article_id, ts, price, "
                "sales_channel_id, rec_id, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (event_id) DO NOTHING",
                rows,
            )
            accepted = conn.total_changes - before
        return accepted, len(rows) - accepted

    def activity(self, customer_id: str, after_seq: int, views: int) -> Activity:
        """The customer's purchases logged after ``after_seq`` and their newest ``views``
        views and add-to-carts (whenever logged: no build folds those in)."""
        with self._reader.connection() as conn:
            bought = conn.execute(
                "SELECT seq, type, article_id, ts, price FROM events "
                "WHERE customer_id = ? AND type = 'purchase' AND seq > ? ORDER BY seq",
                (customer_id, after_seq),
            ).fetchall()
            seen = conn.execute(
                "SELECT seq, type, article_id, ts, price FROM events "
                "WHERE customer_id = ? AND type IN ('view', 'add_to_cart') "
                "ORDER BY seq DESC LIMIT ?",
                (customer_id, views),
            ).fetchall()
        return Activity([Logged(*r) for r in bought], [Logged(*r) for r in seen])

    def last_seq(self, customer_id: str) -> int:
        """The sequence number of the customer's newest event (0: none)."""
        with self._reader.connection() as conn:
            row = conn.execute(
                "SELECT MAX(seq) FROM events WHERE customer_id = ?", (customer_id,)
            ).fetchone()
        return int(row[0] or 0)

    def high_water(self) -> int:
        """The newest sequence number in the log (0: empty)."""
        with self._reader.connection() as conn:
            row = conn.execute("SELECT MAX(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def last_purchase(self) -> int:
        """The sequence number of the newest purchase (0: none)."""
        with self._reader.connection() as conn:
            row = conn.execute("SELECT MAX(seq) FROM events WHERE type = 'purchase'").fetchone()
        return int(row[0] or 0)

    def count(self) -> int:
        with self._reader.connection() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def purchases(
        self, after_seq: int = 0, upto_seq: int | None = None, since_ts: float | None = None
    ) -> Iterator[Purchase]:
        """Logged purchases with ``after_seq < seq <= upto_seq`` (and ``ts >= since_ts``), in
        sequence order; read in pages, so a long log is never held at once."""
        last = after_seq
        upto = upto_seq if upto_seq is not None else self.high_water()
        while True:
            with self._reader.connection() as conn:
                rows = conn.execute(
                    "SELECT seq, customer_id, article_id, ts, price, sales_channel_id "
                    "FROM events WHERE type = 'purchase' AND seq > ? AND seq <= ? "
                    "AND ts >= ? ORDER BY seq LIMIT 10000",
                    (last, upto, since_ts if since_ts is not None else float("-inf")),
                ).fetchall()
            if not rows:
                return
            for r in rows:
                yield Purchase(*r)
            last = int(rows[-1][0])

    def close(self) -> None:
        self._writer.close()
        self._reader.close()


#: Trending's windows, in days.
WINDOWS = (7, 30)


class PurchaseCounts:
    """Purchases logged after a version's build, per article, in each of trending's windows.

    Each process reads only what was logged since it last looked (one indexed query when
    nothing is new). Per window, the purchases inside it wait in a heap by time and a counter
    holds them per article: a purchase leaves the count when it falls out of the window, so a
    read costs the purchases that came in or went out since the last one, not all of them.
    """

    def __init__(self, log: EventLog) -> None:
        self._log = log
        self._lock = threading.Lock()
        self._after: int | None = None
        self._seen = 0
        self._heaps: dict[int, list[tuple[float, str]]] = {}
        self._counts: dict[int, Counter[str]] = {}

    def in_window(self, after_seq: int, window_days: int) -> dict[str, int]:
        """Per article: its purchases logged after ``after_seq`` with a ``ts`` in the last
        ``window_days`` days (one of `WINDOWS`)."""
        if window_days not in WINDOWS:
            raise ValueError(f"window_days must be one of {WINDOWS}, got {window_days}")
        now = datetime.now(UTC).timestamp()
        with self._lock:
            if self._after != after_seq:  # another version: count from its build on
                self._after, self._seen = after_seq, after_seq
                self._heaps = {w: [] for w in WINDOWS}
                self._counts = {w: Counter() for w in WINDOWS}
            for p in self._log.purchases(self._seen):
                for w in WINDOWS:
                    if p.ts >= now - w * 86400:
                        heapq.heappush(self._heaps[w], (p.ts, p.article_id))
                        self._counts[w][p.article_id] += 1
                self._seen = p.seq
            heap, counts = self._heaps[window_days], self._counts[window_days]
            while heap and heap[0][0] < now - window_days * 86400:
                _, article = heapq.heappop(heap)
                counts[article] -= 1
                if not counts[article]:
                    del counts[article]
            return dict(counts)

    def last_purchase(self) -> int:
        """The newest purchase's sequence number (0: none): trending's cache key."""
        return self._log.last_purchase()


def open_log(db_path: Path) -> EventLog:
    """The event log beside ``db_path`` (created empty when missing)."""
    return EventLog(events_path(db_path))
