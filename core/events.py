"""Shoppers' events (views, add-to-cart, purchases): the durable, append-only log that makes the
personal surfaces live (DESIGN §9).

The log is the source of truth for everything shoppers did after a build. Each event gets a
sequence number (``seq``) as it is appended; a build records the highest one it folded in
(the manifest's ``events_seq``), and the API applies on top of that version only the purchases
logged after it, so no purchase is counted twice or lost by a rebuild. Views and add-to-cart
never reach the CSVs: they are always read from here, and kept for
``LOOKBOOK_LIVE__VIEWS_RETENTION_DAYS`` (`prune_views`); purchases are kept for good.

The log is its own SQLite file beside the database (``<db>-events.db``), in WAL mode: a write
commits with ``synchronous=FULL`` before the API answers, and every API process reads the
customer's events at their next request, so no process needs to be told. A second connection
reads, so a feed does not wait behind a batch being written.
"""

from __future__ import annotations

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
CREATE INDEX IF NOT EXISTS events_by_type_ts ON events (type, ts);
"""
#: Rows one pruning transaction deletes at most, so an append never waits long behind it.
PRUNE_BATCH = 5000


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

    def bought_on(self, customer_id: str, article_id: str, day: int, upto_seq: int) -> bool:
        """Whether a purchase of the article by the customer on ``day`` (days since 1970, UTC)
        was logged at ``seq <= upto_seq`` (so a build counted it already)."""
        with self._reader.connection() as conn:
            row = conn.execute(
                "SELECT 1 FROM events WHERE customer_id = ? AND type = 'purchase' AND seq <= ? "
                "AND article_id = ? AND ts >= ? AND ts < ? LIMIT 1",
                (customer_id, upto_seq, article_id, day * 86400.0, (day + 1) * 86400.0),
            ).fetchone()
        return row is not None

    def prune_views(self, before_ts: float) -> int:
        """Delete the views and add-to-carts that happened (``ts``) before ``before_ts``, in
        short transactions; answers how many went. Purchases are never pruned: every build
        folds all of them in."""
        deleted = 0
        while True:
            with self._writer.transaction() as conn:
                before = conn.total_changes
                conn.execute(
                    "DELETE FROM events WHERE seq IN (SELECT seq FROM events "
                    "WHERE type IN ('view', 'add_to_cart') AND ts < ? LIMIT ?)",
                    (before_ts, PRUNE_BATCH),
                )
                n = conn.total_changes - before
            deleted += n
            if n < PRUNE_BATCH:
                return deleted

    def close(self) -> None:
        self._writer.close()
        self._reader.close()


def open_log(db_path: Path) -> EventLog:
    """The event log beside ``db_path`` (created empty when missing)."""
    return EventLog(events_path(db_path))
