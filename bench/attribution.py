"""What attribution costs (issue 24), on SQLite and on PostgreSQL, in one run:

    python bench/attribution.py      # 1 M impressions recorded, 10 M for the insights' query

* **per request**: what a route adds to answer a list with a `rec_id` and record its
  impression (`RecIds.issue`, the impression, the append to the process's batch), and the
  batch writer's cost per impression (its thread, amortised), both in µs;
* **size**: bytes per impression in the table with its indexes (``--impressions`` recorded
  through `ImpressionLog`: 12 articles, a customer id or a visitor id, a fifth of them searches
  with a query), and the GB a day at 1,000 lists/s;
* **the insights query** over ``--query-impressions`` lists of 30 days (written by the
  database itself, in the same shape, for speed) with a click on 5 % of them and a purchase on
  a tenth of those: computed live from the impressions (`core.insights.insights`), and read
  from the daily roll-up (`core.rollup`) over one day, a week and 30 days; what building the
  roll-up takes, and a refresh after 1,000 events on lists of the last three days.

Prints a table, saves bench/out/attribution.json and bench/out/attribution.png.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import track
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
T0 = 20_717 * 86_400.0  # 2026-09-21 00:00 UTC: the days are whole days
DAYS = 30
SURFACES = ("feed", "trending", "similar", "search", "browse")
QUERIES = [
    f"{c} {k}"
    for c in ("black", "linen", "blue", "red", "white")
    for k in ("dress", "shirt", "trousers", "jacket", "top", "skirt")
]


def _fill(target: Path | str, n: int, rng: random.Random) -> tuple[float, int]:
    """``n`` impressions over `DAYS` days, with their views and purchases; seconds, events."""
    from core.attribution import Impression, ImpressionLog, RecIds
    from core.events import Event, EventLog

    ids = RecIds("b" * 32)
    log, events = ImpressionLog(target), EventLog(target)
    start, logged, batch = time.perf_counter(), 0, 20_000
    for lo in track(range(0, n, batch), description=f"impressions into {log.db.dialect}"):
        pending: list[Event] = []
        for k in range(lo, min(n, lo + batch)):
            ts = T0 + (k / n) * DAYS * 86_400
            surface = SURFACES[k % len(SURFACES)]
            rec = ids.issue(surface, "v20261206T103751841398Z", now=ts)
            arts = tuple(f"{rng.randrange(10**8, 10**9):010d}" for _ in range(12))
            who = f"{k % 50_000:064x}"
            log.record(
                Impression(
                    rec,
                    surface,
                    ts,
                    arts,
                    customer_id=who if k % 2 else None,
                    visitor_id=None if k % 2 else f"visitor{k % 90_000:09d}",
                    query=QUERIES[k % len(QUERIES)] if surface == "search" else None,
                )
            )
            if rng.random() < 0.05:
                pos = min(12, int(rng.expovariate(0.4)) + 1)
                pending.append(
                    Event(f"v{k}", "view", who, arts[pos - 1], ts + 30, rec_id=rec, position=pos)
                )
                if rng.random() < 0.1:
                    pending.append(
                        Event(
                            f"p{k}",
                            "purchase",
                            who,
                            arts[pos - 1],
                            ts + 300,
                            price=29.99,
                            rec_id=rec,
                            position=pos,
                        )
                    )
        log.flush()
        for j in range(0, len(pending), 500):
            events.append(pending[j : j + 500])
        logged += len(pending)
    seconds = time.perf_counter() - start
    log.close()
    events.close()
    return seconds, logged


def _size(target: Path | str) -> int:
    from sqlalchemy import text

    from core.state import open_part

    db = open_part(target, "events")
    try:
        if db.postgres:
            with db.read() as conn:
                return int(
                    conn.execute(text("SELECT pg_total_relation_size('impressions')")).scalar_one()
                )
        with db.read() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            rows = conn.exec_driver_sql(
                "SELECT sum(pgsize) FROM dbstat WHERE name IN "
                "('impressions', 'sqlite_autoindex_impressions_1', 'impressions_by_ts')"
            ).fetchall()
            return int(rows[0][0])
    finally:
        db.close()


def _per_request(target: Path | str, n: int) -> dict[str, float]:
    """µs per list: issuing and recording in the request; writing in the batch thread."""
    from core.attribution import Impression, ImpressionLog, RecIds

    ids, log = RecIds("b" * 32), ImpressionLog(target, flush_s=3600)  # flushed by hand
    arts = tuple(f"{108775015 + i:010d}" for i in range(12))
    took = []
    for k in range(n):
        t = time.perf_counter()
        now = time.time()
        rec = ids.issue("feed", "v20261206T103751841398Z", now=now)
        log.record(Impression(rec, "feed", now, arts, customer_id="c" * 64))
        took.append(time.perf_counter() - t)
        if k % 500 == 499:
            log.flush()
    log.flush()
    took.sort()
    for _ in range(5):  # the writer's cost per row, on full batches
        for _k in range(500):
            now = time.time()
            log.record(Impression(ids.issue("feed", "v1", now=now), "feed", now, arts))
    t = time.perf_counter()
    written = log.flush()
    per_row = (time.perf_counter() - t) / max(written, 1)
    log.close()
    return {
        "record_us_p50": 1e6 * took[len(took) // 2],
        "record_us_p99": 1e6 * took[int(len(took) * 0.99)],
        "write_us_per_row": 1e6 * per_row,
    }


_SURFACE = (
    "CASE k % 5 WHEN 0 THEN 'feed' WHEN 1 THEN 'trending' WHEN 2 THEN 'similar' "
    "WHEN 3 THEN 'search' ELSE 'browse' END"
)


def _fill_sql(target: Path | str, n: int) -> tuple[float, int]:
    """``n`` impressions as `_fill` makes them, and their views (5 %) and purchases (a tenth
    of the views), written by the database in a few statements; seconds, events. A rec_id
    names its minute (base 36, as `core.attribution`), so the roll-up finds its day."""
    from sqlalchemy import text

    from core.attribution import _base36
    from core.state import open_part

    db = open_part(target, "events")
    step = DAYS * 86_400 / n
    start = time.perf_counter()
    pg = db.postgres
    ks = (
        f"generate_series(0, {n - 1}) AS g(k)"
        if pg
        else f"(WITH RECURSIVE g(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM g WHERE k < {n - 1}) "
        "SELECT k FROM g) AS g"
    )
    hexed = "lpad(to_hex(k), 12, '0')" if pg else "printf('%012x', k)"
    customer = "lpad(to_hex(k % 50000), 64, '0')" if pg else "printf('%064x', k % 50000)"
    visitor = (
        "'visitor' || lpad((k % 90000)::text, 9, '0')" if pg else "printf('visitor%09d', k % 90000)"
    )
    items = "decode(lpad('', 192, md5(k::text)), 'hex')" if pg else "randomblob(96)"
    minute = f"CAST(floor(k * {step} / 60) AS {'INT' if pg else 'INTEGER'})"
    rand = "random()" if pg else "(abs(random()) % 1000000) / 1e6"
    with db.write() as conn:
        for sql in (
            "DROP TABLE IF EXISTS bench_minutes",
            "DROP TABLE IF EXISTS bench_queries",
            "CREATE TABLE bench_minutes (m INTEGER PRIMARY KEY, s TEXT NOT NULL)",
            "CREATE TABLE bench_queries (i INTEGER PRIMARY KEY, q TEXT NOT NULL)",
        ):
            conn.execute(text(sql))
        db.execute_many(
            conn,
            "INSERT INTO bench_minutes (m, s) VALUES (:m, :s)",
            [{"m": m, "s": _base36(int((T0 + 60 * m) * 1000))} for m in range(DAYS * 1440 + 1)],
        )
        db.execute_many(
            conn,
            "INSERT INTO bench_queries (i, q) VALUES (:i, :q)",
            [{"i": i, "q": q} for i, q in enumerate(QUERIES)],
        )
    statements = [
        "INSERT INTO impressions (rec_id, surface, ts, customer_id, visitor_id, query, n, items) "
        f"SELECT {_SURFACE} || '.v20261206T103751841398Z.-.' || mm.s || '.' || {hexed} "
        f"|| '.0123456789abcdef', {_SURFACE}, {T0} + k * {step}, "
        f"CASE WHEN k % 2 = 1 THEN {customer} END, CASE WHEN k % 2 = 0 THEN {visitor} END, "
        f"CASE WHEN k % 5 = 3 THEN (SELECT q FROM bench_queries WHERE i = k % {len(QUERIES)}) "
        f"END, 12, {items} FROM {ks} JOIN bench_minutes mm ON mm.m = {minute}",
        "INSERT INTO events (event_id, type, customer_id, article_id, ts, rec_id, received, "
        f"position) SELECT 'v' || rec_id, 'view', coalesce(customer_id, visitor_id), "
        f"'0108775015', ts + 30, rec_id, ts + 30, "
        f"CAST(floor({rand} * 12) * floor({rand} * 12) / 12 AS INTEGER) + 1 "
        f"FROM impressions WHERE {rand} < 0.05",
        "INSERT INTO events (event_id, type, customer_id, article_id, ts, price, rec_id, "
        "received, position) SELECT 'p' || rec_id, 'purchase', customer_id, article_id, "
        f"ts + 270, 29.99, rec_id, ts + 270, position FROM events WHERE type = 'view' "
        f"AND {rand} < 0.1",
        "DROP TABLE bench_minutes",
        "DROP TABLE bench_queries",
    ]
    for sql in track(statements, description=f"{n:,} impressions into {db.dialect}"):
        with db.write(serial="events") as conn:
            conn.execute(text(sql))
    if pg:
        with db.write() as conn:
            conn.execute(text("ANALYZE impressions"))
            conn.execute(text("ANALYZE events"))
    ((events,),) = db.rows("SELECT count(*) FROM events")
    db.close()
    return time.perf_counter() - start, int(events)


RANGES = (("one day", 10, 10), ("a week", 10, 16), ("30 days", 0, DAYS - 1))


def _queries(target: Path | str) -> dict[str, Any]:
    """Seconds: the live query and the roll-up's read over each of `RANGES`; building the
    roll-up; a refresh after 1,000 views on lists of the last three days."""
    from core.events import Event, EventLog
    from core.insights import DAY_S, insights
    from core.rollup import refresh, rolled_up
    from core.state import open_part

    db = open_part(target, "events")
    first = int(T0 // DAY_S)
    now = T0 + (DAYS - 0.5) * DAY_S  # midday of the last day
    out: dict[str, Any] = {"live_s": {}, "rollup_s": {}}
    try:
        for name, a, b in RANGES:
            t = time.perf_counter()
            insights(db, T0 + a * DAY_S, T0 + (b + 1) * DAY_S)
            out["live_s"][name] = time.perf_counter() - t
        built = refresh(db, now=now)
        assert built is not None
        out["build_s"], out["build_days"] = built.seconds, len(built.days)
        recent = db.rows(
            "SELECT rec_id FROM impressions WHERE ts >= :a ORDER BY ts LIMIT 1000",
            {"a": now - 2.5 * DAY_S},
        )
        log = EventLog(target)
        log.append(
            [
                Event(f"late{k}", "view", "c" * 64, "0108775015", now + k, rec_id=r, position=1)
                for k, (r,) in enumerate(recent)
            ]
        )
        log.close()
        again = refresh(db, now=now + 60)
        assert again is not None
        out["refresh_s"], out["refresh_days"] = again.seconds, len(again.days)
        for name, a, b in RANGES:
            rolled_up(db, first + a, first + b)  # warm
            took = []
            for _ in range(5):
                t = time.perf_counter()
                rolled_up(db, first + a, first + b)
                took.append(time.perf_counter() - t)
            out["rollup_s"][name] = sorted(took)[2]
    finally:
        db.close()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default="", help="a PostgreSQL server (default: started)")
    p.add_argument("--impressions", type=int, default=1_000_000, help="recorded: the size")
    p.add_argument("--query-impressions", type=int, default=10_000_000, help="the query times")
    p.add_argument("--requests", type=int, default=20_000)
    p.add_argument("--out", type=Path, default=OUT / "attribution.json")
    args = p.parse_args()
    from core.db import PARTS, Database
    from core.state import upgrade
    from tests.pg import Cluster

    console = Console()
    tmp = Path(tempfile.mkdtemp(prefix="lookbook-attribution-"))
    cluster = None
    url = args.database_url
    if not url:
        cluster = Cluster()
        url = cluster.new_database()
    report: dict[str, Any] = {
        "impressions": args.impressions,
        "query_impressions": args.query_impressions,
        "backends": {},
    }
    try:
        db = Database.open(url)
        upgrade(db, PARTS)
        db.close()
        for name, target in (("sqlite", tmp / "lookbook.db"), ("postgresql", url)):
            row: dict[str, Any] = _per_request(target, args.requests)
            _clear(target)
            seconds, _ = _fill(target, args.impressions, random.Random(3))
            size = _size(target)
            row |= {
                "fill_s": seconds,
                "bytes_per_impression": size / args.impressions,
                "gb_per_day_at_1000_per_s": size / args.impressions * 86_400_000 / 1e9,
            }
            _clear(target)
            row["query_fill_s"], row["events"] = _fill_sql(target, args.query_impressions)
            row |= _queries(target)
            report["backends"][name] = row
            console.print(f"{name}: done")
    finally:
        if cluster is not None:
            cluster.remove()
        shutil.rmtree(tmp, ignore_errors=True)
    _table(console, report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    _plot(report, args.out.with_suffix(".png"))
    console.print(f"saved {args.out} and {args.out.with_suffix('.png')}")
    return 0


def _clear(target: Path | str) -> None:
    from sqlalchemy import text

    from core.state import open_part

    db = open_part(target, "events")
    with db.write() as conn:
        for table in ("impressions", "impression_rules", "events"):
            conn.execute(text(f"DELETE FROM {table}"))
    db.close()


def _table(console: Console, report: dict[str, Any]) -> None:
    t = Table(
        title=f"Attribution: {report['impressions']:,} impressions recorded; the insights over "
        f"{report['query_impressions']:,} of {DAYS} days"
    )
    for col in ("measure", "sqlite", "postgresql"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    b = report["backends"]

    def row(label: str, get: Any, fmt: str) -> None:
        t.add_row(label, *(format(get(b[k]), fmt) for k in ("sqlite", "postgresql")))

    row("record in the request, µs p50", lambda r: r["record_us_p50"], ".1f")
    row("record in the request, µs p99", lambda r: r["record_us_p99"], ".1f")
    row("batch write per impression, µs", lambda r: r["write_us_per_row"], ".1f")
    row("bytes per impression (with indexes)", lambda r: r["bytes_per_impression"], ".0f")
    row("GB a day at 1,000 lists/s", lambda r: r["gb_per_day_at_1000_per_s"], ".1f")
    row("events (views and purchases)", lambda r: r["events"], ",")
    for name, _a, _b in RANGES:
        row(f"insights over {name}, live, s", lambda r, n=name: r["live_s"][n], ".3f")
    for name, _a, _b in RANGES:
        row(f"insights over {name}, roll-up, s", lambda r, n=name: r["rollup_s"][n], ".4f")
    row(f"roll-up built ({DAYS} days), s", lambda r: r["build_s"], ".1f")
    row("roll-up refreshed after 1,000 views, s", lambda r: r["refresh_s"], ".2f")
    row("  days it recomputed", lambda r: r["refresh_days"], "d")
    console.print(t)


def _plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    names = list(report["backends"])
    ranges = [r[0] for r in RANGES]
    bars = [(n, kind) for n in names for kind in ("live", "rollup")]
    width = 0.8 / len(bars)
    for i, (name, kind) in enumerate(bars):
        q = report["backends"][name][f"{kind}_s"]
        axes[0].bar(
            [x + width * i for x in range(len(ranges))],
            [q[r] for r in ranges],
            width,
            label=f"{name}, {'live' if kind == 'live' else 'roll-up'}",
        )
    axes[0].set_xticks([x + 0.4 - width / 2 for x in range(len(ranges))], ranges)
    axes[0].set_yscale("log")
    axes[0].axhline(1.0, color="grey", ls="--", lw=1, label="goal 1 s")
    axes[0].set(
        title=f"insights query, s ({report['query_impressions']:,} impressions)", ylabel="s"
    )
    axes[0].legend(fontsize=8)
    rec = [report["backends"][n]["record_us_p50"] for n in names]
    axes[1].bar(names, rec)
    axes[1].axhline(300, color="grey", ls="--", lw=1, label="goal 0.3 ms")
    axes[1].set(title="recording a list in the request, µs p50")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
