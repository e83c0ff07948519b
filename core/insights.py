"""What shoppers did with the lists the API served (`core.attribution`): per surface and day,
lists, click-through, add-to-cart and conversion rates and revenue, each with a 95% interval;
click-through by position; the top search queries and those whose lists got no click.

Computed in the database, grouped by indexed columns (``impressions`` by time, ``events`` by
``rec_id``): no row is read into Python. A list is clicked when a view carries its ``rec_id``,
carted likewise, and converted when a purchase carrying it comes within ``window_days`` of the
list. Rates are per list; their intervals are Wilson score intervals (`scipy.stats.binomtest`),
revenue per list a t interval of the mean over every list (those without a sale count as 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from scipy import stats

from core.db import Database

DAY_S = 86_400
EPOCH_DAY = date(1970, 1, 1)
#: A purchase counts for a list when it comes within this many days of it.
WINDOW_DAYS = 7
POSITIONS = 12


@dataclass(frozen=True)
class Rate:
    """``k`` of ``n``, with its 95% Wilson interval (None without any list)."""

    k: int
    n: int
    value: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, k: int, n: int) -> Rate:
        if n == 0:
            return cls(k, n, None, None, None)
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        return cls(k, n, k / n, float(ci.low), float(ci.high))


@dataclass(frozen=True)
class Mean:
    value: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, total: float, squares: float, n: int) -> Mean:
        if n == 0:
            return cls(None, None, None)
        mean = total / n
        if n < 2:
            return cls(mean, None, None)
        var = max(squares - total * total / n, 0.0) / (n - 1)
        half = float(stats.t.ppf(0.975, n - 1)) * math.sqrt(var / n)
        return cls(mean, mean - half, mean + half)


@dataclass
class SurfaceDay:
    surface: str
    day: int | None  # days since 1970 (None: the whole range)
    lists: int
    click_through: Rate
    add_to_cart: Rate
    conversion: Rate
    revenue: float
    revenue_per_list: Mean


@dataclass
class QueryRow:
    query: str
    lists: int
    click_through: Rate


@dataclass
class RuleRow:
    """The items a merchandising rule moved: in how many lists, how many items, and the share
    of them opened from their list (a view carrying the list's rec_id and that position)."""

    rule_id: int
    lists: int
    click_through: Rate


@dataclass
class Insights:
    start: float
    end: float
    window_days: int
    days: list[SurfaceDay] = field(default_factory=list)
    surfaces: list[SurfaceDay] = field(default_factory=list)
    by_position: list[tuple[int, Rate]] = field(default_factory=list)
    top_queries: list[QueryRow] = field(default_factory=list)
    no_click_queries: list[QueryRow] = field(default_factory=list)
    rules: list[RuleRow] = field(default_factory=list)


def _day(db: Database) -> str:
    # SQLite's CAST truncates toward zero (the times are positive); PostgreSQL's rounds.
    return "CAST(floor(i.ts / 86400) AS BIGINT)" if db.postgres else "CAST(i.ts / 86400 AS INTEGER)"


def insights(
    db: Database,
    start: float,
    end: float,
    surface: str | None = None,
    window_days: int = WINDOW_DAYS,
    top: int = 20,
) -> Insights:
    """The insights of the lists served in [start, end) (seconds since 1970)."""
    where = "i.ts >= :a AND i.ts < :b" + (" AND i.surface = :s" if surface else "")
    p: dict[str, Any] = {"a": start, "b": end, "s": surface, "w": window_days * DAY_S}
    day = _day(db)
    lists = db.rows(
        f"SELECT i.surface, {day} AS d, count(*) FROM impressions i WHERE {where} "
        "GROUP BY i.surface, d",
        p,
    )
    outcomes = db.rows(
        "SELECT surface, d, sum(clicked), sum(carted), sum(bought), sum(revenue), "
        "sum(revenue * revenue) FROM ("
        f"SELECT i.rec_id, i.surface, {day} AS d, "
        "max(CASE WHEN e.type = 'view' THEN 1 ELSE 0 END) AS clicked, "
        "max(CASE WHEN e.type = 'add_to_cart' THEN 1 ELSE 0 END) AS carted, "
        "max(CASE WHEN e.type = 'purchase' AND e.ts - i.ts <= :w THEN 1 ELSE 0 END) AS bought, "
        "sum(CASE WHEN e.type = 'purchase' AND e.ts - i.ts <= :w "
        "THEN coalesce(e.price, 0) ELSE 0 END) AS revenue "
        f"FROM impressions i JOIN events e ON e.rec_id = i.rec_id WHERE {where} "
        "GROUP BY i.rec_id, i.surface, d) AS per_list GROUP BY surface, d",
        p,
    )
    got = {(s, int(d)): tuple(r) for s, d, *r in outcomes}
    out = Insights(start, end, window_days)
    totals: dict[str, list[float]] = {}
    for s, d, n in sorted(lists, key=lambda r: (r[0], r[1])):
        c, a, b, rev, rev2 = got.get((s, int(d)), (0, 0, 0, 0.0, 0.0))
        c, a, b, rev, rev2 = (
            int(c or 0),
            int(a or 0),
            int(b or 0),
            float(rev or 0),
            float(rev2 or 0),
        )
        out.days.append(_row(s, int(d), int(n), c, a, b, rev, rev2))
        t = totals.setdefault(s, [0, 0, 0, 0, 0.0, 0.0])
        for i, v in enumerate((int(n), c, a, b, rev, rev2)):
            t[i] += v
    out.surfaces = [
        _row(s, None, int(t[0]), int(t[1]), int(t[2]), int(t[3]), t[4], t[5])
        for s, t in sorted(totals.items())
    ]
    out.by_position = _by_position(db, where, p)
    out.top_queries, out.no_click_queries = _queries(db, where, p, top)
    out.rules = _rules(db, where, p)
    return out


def _rules(db: Database, where: str, p: dict[str, Any]) -> list[RuleRow]:
    rows = db.rows(
        "SELECT r.rule_id, count(DISTINCT r.rec_id), count(*), sum(CASE WHEN EXISTS ("
        "SELECT 1 FROM events e WHERE e.rec_id = r.rec_id AND e.type = 'view' "
        "AND e.position = r.position) THEN 1 ELSE 0 END) "
        f"FROM impression_rules r JOIN impressions i ON i.rec_id = r.rec_id WHERE {where} "
        "GROUP BY r.rule_id ORDER BY r.rule_id",
        p,
    )
    return [RuleRow(int(r), int(n), Rate.of(int(c or 0), int(k))) for r, n, k, c in rows]


def _row(
    s: str, d: int | None, n: int, clicked: int, carted: int, bought: int, rev: float, rev2: float
) -> SurfaceDay:
    return SurfaceDay(
        surface=s,
        day=d,
        lists=n,
        click_through=Rate.of(clicked, n),
        add_to_cart=Rate.of(carted, n),
        conversion=Rate.of(bought, n),
        revenue=round(rev, 2),
        revenue_per_list=Mean.of(rev, rev2, n),
    )


def _by_position(db: Database, where: str, p: dict[str, Any]) -> list[tuple[int, Rate]]:
    """Per position 1-12: the lists that had an item there, and those whose item there got a
    click."""
    sizes = db.rows(f"SELECT i.n, count(*) FROM impressions i WHERE {where} GROUP BY i.n", p)
    clicked = dict(
        db.rows(
            "SELECT e.position, count(DISTINCT e.rec_id) FROM impressions i "
            f"JOIN events e ON e.rec_id = i.rec_id WHERE {where} AND e.type = 'view' "
            f"AND e.position BETWEEN 1 AND {POSITIONS} GROUP BY e.position",
            p,
        )
    )
    out = []
    for pos in range(1, POSITIONS + 1):
        shown = sum(int(c) for n, c in sizes if int(n) >= pos)
        out.append((pos, Rate.of(min(int(clicked.get(pos, 0)), shown), shown)))
    return out


def _queries(
    db: Database, where: str, p: dict[str, Any], top: int
) -> tuple[list[QueryRow], list[QueryRow]]:
    grouped = (
        "SELECT i.query, count(*) AS lists, sum(CASE WHEN EXISTS (SELECT 1 FROM events e "
        "WHERE e.rec_id = i.rec_id AND e.type = 'view') THEN 1 ELSE 0 END) AS clicked "
        f"FROM impressions i WHERE {where} AND i.query IS NOT NULL GROUP BY i.query"
    )
    rows = db.rows(f"{grouped} ORDER BY lists DESC, i.query LIMIT {int(top)}", p)
    none = db.rows(
        f"SELECT * FROM ({grouped}) AS q WHERE clicked = 0 ORDER BY lists DESC, query "
        f"LIMIT {int(top)}",
        p,
    )

    def row(r: tuple[Any, ...]) -> QueryRow:
        return QueryRow(str(r[0]), int(r[1]), Rate.of(int(r[2] or 0), int(r[1])))

    return [row(r) for r in rows], [row(r) for r in none]
