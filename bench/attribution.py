"""What attribution costs (issue 24), on SQLite and on PostgreSQL, in one run:

    python bench/attribution.py                          # 1 M impressions, PostgreSQL started here
    python bench/attribution.py --impressions 10000000   # the issue's figure (long)

* **per request**: what a route adds to answer a list with a `rec_id` and record its
  impression (`RecIds.issue`, the impression, the append to the process's batch), and the
  batch writer's cost per impression (its thread, amortised), both in µs;
* **size**: bytes per impression in the table with its indexes (12 articles, a customer id or
  a visitor id, a third of them searches with a query), and the rows and GB a day at 1,000
  lists/s;
* **the insights query** (`core.insights.insights`) over ``--impressions`` lists of 30 days
  with a click on 5 % of them and a purchase on 0.5 %: one day, a week, and the whole range.

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
T0 = 1_790_000_000.0
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


def _queries(target: Path | str) -> dict[str, float]:
    from core.insights import insights
    from core.state import open_part

    db = open_part(target, "events")
    out = {}
    try:
        for name, a, b in (
            ("one day", T0 + 10 * 86_400, T0 + 11 * 86_400),
            ("a week", T0 + 10 * 86_400, T0 + 17 * 86_400),
            ("30 days", T0, T0 + DAYS * 86_400),
        ):
            insights(db, a, b)  # warm
            t = time.perf_counter()
            insights(db, a, b)
            out[name] = time.perf_counter() - t
    finally:
        db.close()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default="", help="a PostgreSQL server (default: started)")
    p.add_argument("--impressions", type=int, default=1_000_000)
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
    report: dict[str, Any] = {"impressions": args.impressions, "backends": {}}
    try:
        db = Database.open(url)
        upgrade(db, PARTS)
        db.close()
        for name, target in (("sqlite", tmp / "lookbook.db"), ("postgresql", url)):
            row: dict[str, Any] = _per_request(target, args.requests)
            _clear(target)
            seconds, events = _fill(target, args.impressions, random.Random(3))
            size = _size(target)
            row |= {
                "fill_s": seconds,
                "events": events,
                "bytes_per_impression": size / args.impressions,
                "gb_per_day_at_1000_per_s": size / args.impressions * 86_400_000 / 1e9,
                "query_s": _queries(target),
            }
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
        conn.execute(text("DELETE FROM impressions"))
    db.close()


def _table(console: Console, report: dict[str, Any]) -> None:
    t = Table(title=f"Attribution, {report['impressions']:,} impressions over {DAYS} days")
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
    for name in ("one day", "a week", "30 days"):
        row(f"insights over {name}, s", lambda r, n=name: r["query_s"][n], ".3f")
    console.print(t)


def _plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    names = list(report["backends"])
    ranges = ("one day", "a week", "30 days")
    for i, name in enumerate(names):
        q = report["backends"][name]["query_s"]
        axes[0].bar([x + 0.4 * i for x in range(3)], [q[r] for r in ranges], 0.4, label=name)
    axes[0].set_xticks([x + 0.2 for x in range(3)], ranges)
    axes[0].axhline(1.0, color="grey", ls="--", lw=1, label="goal 1 s")
    axes[0].set(title=f"insights query, s ({report['impressions']:,} impressions)")
    axes[0].legend()
    rec = [report["backends"][n]["record_us_p50"] for n in names]
    axes[1].bar(names, rec)
    axes[1].axhline(300, color="grey", ls="--", lw=1, label="goal 0.3 ms")
    axes[1].set(title="recording a list in the request, µs p50")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
