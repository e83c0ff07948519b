"""Shoppers' events (views, add-to-cart, purchases): the durable, append-only log that makes the
personal surfaces live (DESIGN §9).

The log is the source of truth for everything shoppers did after a build. Each event gets a
sequence number (``seq``) as it is appended; a build records the highest one it folded in
(the manifest's ``events_seq``), and the API applies on top of that version only the purchases
logged after it, so no purchase is counted twice or lost by a rebuild. Views and add-to-cart
never reach the CSVs: they are always read from here, and kept for
``LOOKBOOK_LIVE__VIEWS_RETENTION_DAYS`` (`prune_views`); purchases are kept for good.

The log lives in the ``events`` part of the state (`core.db`): its own SQLite file beside the
database (``<db>-events.db``, WAL) or the shared PostgreSQL database. A batch is committed
durably before the API answers, and every API process of every host reads the customer's
events at their next request, so no process needs to be told. Reads never wait behind a batch
being written. Sequence numbers commit in order (``write(serial=…)``), so a reader that
remembers the last one it saw never skips a row committed late.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

from core.db import Database, sqlite_path
from core.state import open_part

if TYPE_CHECKING:
    from core.settings import Settings

TYPES = ("view", "add_to_cart", "purchase")
#: Events of one batch that may be appended at once (the API's limit too).
MAX_BATCH = 500

#: Rows one pruning transaction deletes at most, so an append never waits long behind it.
PRUNE_BATCH = 5000


def events_path(db_path: Path) -> Path:
    """The event log's SQLite file, beside the database."""
    return sqlite_path(db_path, "events")


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
    #: The article's 1-based position in the list ``rec_id`` names.
    position: int | None = None


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


_APPEND = (
    "INSERT INTO events (event_id, type, customer_id, article_id, ts, price, sales_channel_id, "
    "rec_id, position, received) VALUES (:event_id, :type, :customer_id, :article_id, :ts, "
    ":price, :sales_channel_id, :rec_id, :position, :received) ON CONFLICT (event_id) DO NOTHING"
)
#: A customer's purchases after a seq and newest views, in one round trip (the feed's read).
_ACTIVITY = (
    "SELECT 0, seq, type, article_id, ts, price FROM events "
    "WHERE customer_id = :c AND type = 'purchase' AND seq > :after "
    "UNION ALL SELECT 1, seq, type, article_id, ts, price FROM ("
    "SELECT seq, type, article_id, ts, price FROM events "
    "WHERE customer_id = :c AND type IN ('view', 'add_to_cart') ORDER BY seq DESC LIMIT :n"
    ") AS recent"
)
_LAST = "SELECT MAX(seq) FROM events WHERE customer_id = :c"


class EventLog:
    """Append events once each (by ``event_id``) and read them back by customer or by type."""

    def __init__(self, target: Settings | Path | str | Database) -> None:
        self._db = target if isinstance(target, Database) else open_part(target, "events")
        self.database = self._db.name

    @property
    def db(self) -> Database:
        """The database this store lives in."""
        return self._db

    def append(self, events: Sequence[Event]) -> tuple[int, int]:
        """Append ``events`` in one transaction, committed (durably) before this returns.

        Returns ``(accepted, duplicates)``: an event whose ``event_id`` is already logged, or
        repeats an earlier one of the batch, is a duplicate and changes nothing.
        """
        now = datetime.now(UTC).timestamp()
        rows = [
            {
                "event_id": e.event_id,
                "type": e.type,
                "customer_id": e.customer_id,
                "article_id": e.article_id,
                "ts": e.ts,
                "price": e.price,
                "sales_channel_id": e.sales_channel_id,
                "rec_id": e.rec_id,
                "position": e.position,
                "received": now,
            }
            for e in events
        ]
        if not rows:
            return 0, 0
        # A duplicate id (logged, or earlier in the batch) inserts nothing.
        with self._db.write(serial="events") as conn:
            accepted = self._db.execute_many(conn, _APPEND, rows)
        return accepted, len(rows) - accepted

    def activity(self, customer_id: str, after_seq: int, views: int) -> Activity:
        """The customer's purchases logged after ``after_seq`` and their newest ``views``
        views and add-to-carts (whenever logged: no build folds those in)."""
        rows = self._db.rows(_ACTIVITY, {"c": customer_id, "after": after_seq, "n": views})
        bought = sorted((Logged(*r[1:]) for r in rows if r[0] == 0), key=lambda e: e.seq)
        seen = sorted((Logged(*r[1:]) for r in rows if r[0] == 1), key=lambda e: -e.seq)
        return Activity(bought, seen)

    def last_seq(self, customer_id: str) -> int:
        """The sequence number of the customer's newest event (0: none)."""
        ((last,),) = self._db.rows(_LAST, {"c": customer_id})
        return int(last or 0)

    def high_water(self) -> int:
        """The newest sequence number in the log (0: empty)."""
        ((high,),) = self._db.rows("SELECT MAX(seq) FROM events")
        return int(high or 0)

    def last_purchase(self) -> int:
        """The sequence number of the newest purchase (0: none)."""
        ((last,),) = self._db.rows("SELECT MAX(seq) FROM events WHERE type = 'purchase'")
        return int(last or 0)

    def count(self) -> int:
        with self._db.read() as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM events")).scalar() or 0)

    def purchases(
        self, after_seq: int = 0, upto_seq: int | None = None, since_ts: float | None = None
    ) -> Iterator[Purchase]:
        """Logged purchases with ``after_seq < seq <= upto_seq`` (and ``ts >= since_ts``), in
        sequence order; read in pages, so a long log is never held at once."""
        last = after_seq
        upto = upto_seq if upto_seq is not None else self.high_water()
        page = text(
            "SELECT seq, customer_id, article_id, ts, price, sales_channel_id "
            "FROM events WHERE type = 'purchase' AND seq > :last AND seq <= :upto "
            "AND ts >= :since ORDER BY seq LIMIT 10000"
        )
        since = since_ts if since_ts is not None else -1e300
        while True:
            with self._db.read() as conn:
                rows = conn.execute(page, {"last": last, "upto": upto, "since": since}).all()
            if not rows:
                return
            for r in rows:
                yield Purchase(*r)
            last = int(rows[-1][0])

    def bought_on(self, customer_id: str, article_id: str, day: int, upto_seq: int) -> bool:
        """Whether a purchase of the article by the customer on ``day`` (days since 1970, UTC)
        was logged at ``seq <= upto_seq`` (so a build counted it already)."""
        q = text(
            "SELECT 1 FROM events WHERE customer_id = :c AND type = 'purchase' AND seq <= :upto "
            "AND article_id = :a AND ts >= :lo AND ts < :hi LIMIT 1"
        )
        args = {"c": customer_id, "upto": upto_seq, "a": article_id}
        with self._db.read() as conn:
            row = conn.execute(q, {**args, "lo": day * 86400.0, "hi": (day + 1) * 86400.0})
            return row.first() is not None

    def prune_views(self, before_ts: float) -> int:
        """Delete the views and add-to-carts that happened (``ts``) before ``before_ts``, in
        short transactions; answers how many went. Purchases are never pruned: every build
        folds all of them in."""
        q = text(
            "DELETE FROM events WHERE seq IN (SELECT seq FROM events "
            "WHERE type IN ('view', 'add_to_cart') AND ts < :before LIMIT :n)"
        )
        deleted = 0
        while True:
            with self._db.write() as conn:
                n = int(conn.execute(q, {"before": before_ts, "n": PRUNE_BATCH}).rowcount)
            deleted += n
            if n < PRUNE_BATCH:
                return deleted

    def close(self) -> None:
        self._db.close()


def open_log(target: Settings | Path | str) -> EventLog:
    """The event log of these settings (or beside this SQLite database path, or at this
    PostgreSQL URL), its schema at this code's version."""
    return EventLog(target)
