"""The insights' daily roll-up: the sums of `core.insights.aggregate` stored per surface and
UTC day, so a dashboard's range reads a few hundred small rows instead of every impression
(over 10 million impressions the live query took seconds: ``bench/attribution.py``).

A day is recomputed whole, from the impressions and events, when something may have changed
it since it was last rolled up:

* it has never been rolled up (the first refresh rolls up every day since the oldest
  impression);
* it had not ended `SLACK_S` before the last refresh began (impressions are written within a
  second of their list; the slack covers a database that was briefly away);
* an event carrying the ``rec_id`` of one of its lists has arrived since the last refresh:
  the events' sequence numbers commit in order (`core.events`), so ``seq > seq_done`` is
  every such event exactly once, and a ``rec_id`` names the moment its list was issued, so
  the day needs no look-up.

One process refreshes at a time: it claims the roll-up with a conditional update (a claim
lapses after `CLAIM_S`, should that process die); another finds it claimed and reads what is
there. The roll-up is computed for the default purchase window (`WINDOW_DAYS`); another
window is answered live. Days whose impressions retention has deleted keep their roll-up.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from core.db import Database
from core.insights import DAY_S, WINDOW_DAYS, Aggregates, Insights, aggregate, compose

log = logging.getLogger(__name__)

SLACK_S = 120.0
CLAIM_S = 900.0
#: The tables of the roll-up and the columns of their rows, in `Aggregates`' order.
TABLES = {
    "lists": ("rollup_lists", ("surface", "day", "n", "lists")),
    "outcomes": (
        "rollup_outcomes",
        ("surface", "day", "clicked", "carted", "bought", "revenue", "revenue2"),
    ),
    "positions": ("rollup_positions", ("surface", "day", "position", "clicked")),
    "queries": ("rollup_queries", ("surface", "day", "query", "lists", "clicked")),
    "rules": ("rollup_rules", ("surface", "day", "rule_id", "lists", "items", "clicked")),
}


@dataclass(frozen=True)
class Refreshed:
    days: list[int]  # the days recomputed (days since 1970)
    seconds: float
    at: float


def as_of(db: Database) -> float | None:
    """When the roll-up was last refreshed (None: never)."""
    rows = db.rows("SELECT refreshed FROM rollup_state WHERE id = 1")
    return float(rows[0][0]) if rows and rows[0][0] is not None else None


def issued_day(rec_id: str) -> int | None:
    """The day a ``rec_id``'s list was issued (`core.attribution`), None if it names none."""
    parts = rec_id.split(".")
    try:
        return int(int(parts[3], 36) / 1000 // DAY_S) if len(parts) == 6 else None
    except ValueError:
        return None


def refresh(db: Database, now: float | None = None, newer_than: float = 0.0) -> Refreshed | None:
    """Recompute the days that may have changed since the last refresh; None when another
    process holds the roll-up, or (``newer_than`` seconds) refreshed it that recently: the
    periodic refresh of every process does the work once between them, not once each."""
    now = time.time() if now is None else now
    with db.write() as conn:
        claimed = conn.execute(
            text(
                "UPDATE rollup_state SET claimed_until = :until "
                "WHERE id = 1 AND claimed_until < :now "
                "AND (refreshed IS NULL OR refreshed <= :recent)"
            ),
            {"until": now + CLAIM_S, "now": now, "recent": now - newer_than},
        ).rowcount
    if not claimed:
        return None
    began = time.perf_counter()
    try:
        ((seq_done, last),) = db.rows("SELECT seq_done, started FROM rollup_state WHERE id = 1")
        ((hi,),) = db.rows("SELECT coalesce(max(seq), 0) FROM events")
        days = _dirty(db, now, int(seq_done), int(hi), float(last))
        for d in days:
            _roll_up(db, d, now)
        with db.write() as conn:
            conn.execute(
                text(
                    "UPDATE rollup_state SET seq_done = :hi, started = :now, refreshed = :now, "
                    "claimed_until = 0 WHERE id = 1"
                ),
                {"hi": int(hi), "now": now},
            )
    except BaseException:
        with db.write() as conn:
            conn.execute(text("UPDATE rollup_state SET claimed_until = 0 WHERE id = 1"))
        raise
    took = time.perf_counter() - began
    if days:
        log.info("insights: rolled up %d day(s) in %.2f s", len(days), took)
    return Refreshed(days, took, now)


def _dirty(db: Database, now: float, seq_done: int, hi: int, last: float) -> list[int]:
    ((oldest,),) = db.rows("SELECT min(ts) FROM impressions")
    if oldest is None:
        return []
    first, today = int(oldest // DAY_S), int(now // DAY_S)
    done = {
        int(d)
        for (d,) in db.rows(
            "SELECT day FROM rollup_days WHERE day >= :a AND day <= :b", {"a": first, "b": today}
        )
    }
    dirty = {
        d for d in range(first, today + 1) if d not in done or (d + 1) * DAY_S + SLACK_S > last
    }
    for (rec_id,) in db.rows(
        "SELECT DISTINCT rec_id FROM events WHERE seq > :a AND seq <= :b AND rec_id IS NOT NULL",
        {"a": seq_done, "b": hi},
    ):
        d = issued_day(str(rec_id))
        if d is not None and first <= d <= today:
            dirty.add(d)
    return sorted(dirty)


def _roll_up(db: Database, day: int, now: float) -> None:
    """Day ``day``'s sums, computed in reads, then stored in one short write."""
    agg = aggregate(
        db,
        "i.ts >= :a AND i.ts < :b",
        {"a": day * DAY_S, "b": (day + 1) * DAY_S, "w": WINDOW_DAYS * DAY_S},
    )
    with db.write() as conn:
        for name, (table, cols) in TABLES.items():
            conn.execute(text(f"DELETE FROM {table} WHERE day = :d"), {"d": day})
            rows = [dict(zip(cols, r, strict=True)) | {"day": day} for r in getattr(agg, name)]
            if rows:
                db.execute_many(
                    conn,
                    f"INSERT INTO {table} ({', '.join(cols)}) "
                    f"VALUES ({', '.join(':' + c for c in cols)})",
                    rows,
                )
        conn.execute(text("DELETE FROM rollup_days WHERE day = :d"), {"d": day})
        conn.execute(
            text("INSERT INTO rollup_days (day, refreshed) VALUES (:d, :t)"), {"d": day, "t": now}
        )


def rolled_up(
    db: Database, first: int, last: int, surface: str | None = None, top: int = 20
) -> Insights:
    """The insights of days ``first``..``last`` (days since 1970, both included) from the
    roll-up, as of its last refresh."""
    where = "day >= :a AND day <= :b" + (" AND surface = :s" if surface else "")
    p: dict[str, Any] = {"a": first, "b": last, "s": surface}
    agg = Aggregates()
    for name, (table, cols) in TABLES.items():
        if name == "queries":  # summed over the days here: the only table that can be large
            sql = (
                "SELECT surface, NULL, query, sum(lists), sum(clicked) FROM rollup_queries "
                f"WHERE {where} GROUP BY surface, query"
            )
        else:
            sql = f"SELECT {', '.join(cols)} FROM {table} WHERE {where}"
        setattr(agg, name, db.rows(sql, p))
    return compose(agg, first * DAY_S, (last + 1) * DAY_S, WINDOW_DAYS, top, as_of=as_of(db))
