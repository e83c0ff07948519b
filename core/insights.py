"""What shoppers did with the lists the API served (`core.attribution`): per surface and day,
lists, click-through, add-to-cart and conversion rates and revenue, each with a 95% interval;
click-through by position; the top search queries and those whose lists got no click.

Computed in the database, grouped by indexed columns (``impressions`` by time, ``events`` by
``rec_id``): no row is read into Python. A list is clicked when a view carries its ``rec_id``,
carted likewise, and converted when a purchase carrying it comes within ``window_days`` of the
list. Rates are per list; their intervals are Wilson score intervals (as `scipy.stats.binomtest`),
revenue per list a t interval of the mean over every list (those without a sale count as 0).
"""

from __future__ import annotations

import functools
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
Z95 = float(stats.norm.ppf(0.975))


@functools.lru_cache(maxsize=4096)
def _t95(df: int) -> float:
    return float(stats.t.ppf(0.975, df))


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
        """The Wilson score interval, as ``stats.binomtest(k, n).proportion_ci(method=
        "wilson")`` gives it (checked in the tests), in closed form: a dashboard's range has
        hundreds of rates, and scipy's took 0.2 ms each."""
        if n == 0:
            return cls(k, n, None, None, None)
        z2 = Z95 * Z95
        centre = (k + z2 / 2) / (n + z2)
        half = Z95 / (n + z2) * math.sqrt(k * (n - k) / n + z2 / 4)
        # At k = 0 (k = n) the bound is 0 (1) exactly; floats would leave 1e-17 over.
        low = 0.0 if k == 0 else max(0.0, centre - half)
        high = 1.0 if k == n else min(1.0, centre + half)
        return cls(k, n, k / n, low, high)


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
        half = _t95(n - 1) * math.sqrt(var / n)
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
    #: When the roll-up these figures come from was refreshed (None: computed just now).
    as_of: float | None = None


def _day(db: Database) -> str:
    # SQLite's CAST truncates toward zero (the times are positive); PostgreSQL's rounds.
    return "CAST(floor(i.ts / 86400) AS BIGINT)" if db.postgres else "CAST(i.ts / 86400 AS INTEGER)"


@dataclass
class Aggregates:
    """The sums every figure is made of, per surface and day (`compose` turns them into rates
    and intervals): what the live query computes and what the roll-up stores."""

    #: (surface, day, n, lists): how many lists had n items.
    lists: list[tuple[Any, ...]] = field(default_factory=list)
    #: (surface, day, clicked, carted, bought, revenue, revenue²): lists with each outcome.
    outcomes: list[tuple[Any, ...]] = field(default_factory=list)
    #: (surface, day, position, lists clicked at that position).
    positions: list[tuple[Any, ...]] = field(default_factory=list)
    #: (surface, day, query, lists, lists clicked); day None: summed over the range.
    queries: list[tuple[Any, ...]] = field(default_factory=list)
    #: (surface, day, rule id, lists, items moved, items opened).
    rules: list[tuple[Any, ...]] = field(default_factory=list)


def insights(
    db: Database,
    start: float,
    end: float,
    surface: str | None = None,
    window_days: int = WINDOW_DAYS,
    top: int = 20,
) -> Insights:
    """The insights of the lists served in [start, end) (seconds since 1970), computed from
    the impressions and events now (the roll-up, `rolled_up`, answers whole days faster)."""
    where = "i.ts >= :a AND i.ts < :b" + (" AND i.surface = :s" if surface else "")
    p: dict[str, Any] = {"a": start, "b": end, "s": surface, "w": window_days * DAY_S}
    return compose(aggregate(db, where, p), start, end, window_days, top)


def aggregate(db: Database, where: str, p: dict[str, Any]) -> Aggregates:
    """The sums of the impressions ``where`` selects (alias ``i``; ``:w`` the purchase
    window in seconds), grouped by surface and day, in five grouped, indexed queries."""
    day = _day(db)
    out = Aggregates()
    out.lists = db.rows(
        f"SELECT i.surface, {day} AS d, i.n, count(*) FROM impressions i WHERE {where} "
        "GROUP BY i.surface, d, i.n",
        p,
    )
    out.outcomes = db.rows(
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
    out.positions = db.rows(
        f"SELECT i.surface, {day} AS d, e.position, count(DISTINCT e.rec_id) FROM impressions i "
        f"JOIN events e ON e.rec_id = i.rec_id WHERE {where} AND e.type = 'view' "
        f"AND e.position BETWEEN 1 AND {POSITIONS} GROUP BY i.surface, d, e.position",
        p,
    )
    out.queries = db.rows(
        f"SELECT i.surface, {day} AS d, i.query, count(*), sum(CASE WHEN EXISTS (SELECT 1 "
        "FROM events e WHERE e.rec_id = i.rec_id AND e.type = 'view') THEN 1 ELSE 0 END) "
        f"FROM impressions i WHERE {where} AND i.query IS NOT NULL GROUP BY i.surface, d, i.query",
        p,
    )
    out.rules = db.rows(
        f"SELECT i.surface, {day} AS d, r.rule_id, count(DISTINCT r.rec_id), count(*), "
        "sum(CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.rec_id = r.rec_id "
        "AND e.type = 'view' AND e.position = r.position) THEN 1 ELSE 0 END) "
        f"FROM impression_rules r JOIN impressions i ON i.rec_id = r.rec_id WHERE {where} "
        "GROUP BY i.surface, d, r.rule_id",
        p,
    )
    return out


def compose(
    agg: Aggregates,
    start: float,
    end: float,
    window_days: int,
    top: int,
    as_of: float | None = None,
) -> Insights:
    """Rates, intervals and tables from the sums."""
    out = Insights(start, end, window_days, as_of=as_of)
    lists: dict[tuple[str, int], int] = {}
    sizes: dict[int, int] = {}
    for s, d, n, k in agg.lists:
        lists[(s, int(d))] = lists.get((s, int(d)), 0) + int(k)
        sizes[int(n)] = sizes.get(int(n), 0) + int(k)
    got = {(s, int(d)): [_num(v) for v in r] for s, d, *r in agg.outcomes}
    totals: dict[str, list[float]] = {}
    for (s, d), n in sorted(lists.items()):
        c, a, b, rev, rev2 = got.get((s, d), [0, 0, 0, 0.0, 0.0])
        out.days.append(_row(s, d, n, int(c), int(a), int(b), rev, rev2))
        t = totals.setdefault(s, [0, 0, 0, 0, 0.0, 0.0])
        for i, v in enumerate((n, c, a, b, rev, rev2)):
            t[i] += v
    out.surfaces = [
        _row(s, None, int(t[0]), int(t[1]), int(t[2]), int(t[3]), t[4], t[5])
        for s, t in sorted(totals.items())
    ]
    # Per position 1-12: the lists that had an item there, and those whose item there got a
    # click.
    clicked: dict[int, int] = {}
    for _s, _d, pos, k in agg.positions:
        clicked[int(pos)] = clicked.get(int(pos), 0) + int(k)
    for pos in range(1, POSITIONS + 1):
        shown = sum(k for n, k in sizes.items() if n >= pos)
        out.by_position.append((pos, Rate.of(min(clicked.get(pos, 0), shown), shown)))
    queries: dict[str, list[int]] = {}
    for _s, _d, q, n, k in agg.queries:
        row = queries.setdefault(str(q), [0, 0])
        row[0] += int(n)
        row[1] += int(k or 0)
    ranked = sorted(queries.items(), key=lambda kv: (-kv[1][0], kv[0]))
    out.top_queries = [QueryRow(q, n, Rate.of(k, n)) for q, (n, k) in ranked[:top]]
    out.no_click_queries = [QueryRow(q, n, Rate.of(k, n)) for q, (n, k) in ranked if k == 0][:top]
    rules: dict[int, list[int]] = {}
    for _s, _d, rule, n, items, k in agg.rules:
        row = rules.setdefault(int(rule), [0, 0, 0])
        for i, v in enumerate((n, items, k)):
            row[i] += int(v or 0)
    out.rules = [RuleRow(r, n, Rate.of(k, items)) for r, (n, items, k) in sorted(rules.items())]
    return out


def _num(v: Any) -> float:
    return float(v or 0)


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
