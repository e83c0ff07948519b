"""The state's backends side by side (issue 22): what a request's reads and writes of the state
cost on SQLite and on PostgreSQL, how fast event batches append, how big an event is on disk,
and the rate limiter's counters against the `limits` library's Redis storage.

    python bench/state.py                      # a throwaway PostgreSQL (and Redis) started here
    python bench/state.py --database-url postgresql://u:p@host/db --redis redis://host:6379

Each backend gets a fresh state: SQLite files in a temporary folder, a new PostgreSQL database
(``--database-url`` names a server; by default one is started from the machine's PostgreSQL
programs, `tests/pg.py`). Measured in this process, one thread, after a warm-up:

* per request: a customer's events (`EventLog.activity`, 50 views + 5 purchases logged), the
  newest event of a customer (`last_seq`, the cache's mark), an API key look-up, a rate-limit
  hit, the preferences' watch (`changed_elsewhere`);
* appends: batches of 1, 100 and 500 events (events/s, batch latency), one writer and four;
* size: bytes per logged event (table and indexes) after ``--events`` events.

Redis (``--redis`` URL, else a throwaway `redis-server` if the machine has one; the row is
left out otherwise): `limits`' sliding-window counter, the storage the issue names.
Prints a table and saves bench/out/state.json and bench/out/state.png.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
CUSTOMER = "ab" * 32
ARTICLE = "0108775015"


def _timed(call: Callable[[], Any], n: int) -> list[float]:
    for _ in range(min(200, n)):
        call()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        out.append(time.perf_counter() - t0)
    return out


def _events(n: int, customer: str | None = None, kind: str = "view") -> list[Any]:
    from core.events import Event

    now = time.time()
    return [
        Event(
            uuid.uuid4().hex,
            kind,
            customer or uuid.uuid4().hex * 2,
            ARTICLE,
            now,
            1.0 if kind == "purchase" else None,
        )
        for _ in range(n)
    ]


def _backend(name: str, target: Path | str, args: argparse.Namespace) -> dict[str, Any]:
    from api.ratelimit import RateLimiter
    from core.events import open_log
    from core.keys import KeyStore
    from core.preferences import PreferenceStore
    from core.settings import RateLimitSettings
    from core.state import open_part

    log = open_log(target)
    keys = KeyStore(target)
    prefs = PreferenceStore(target)
    limiter = RateLimiter(target, RateLimitSettings(search="1000000/minute"))
    _, key = keys.create("service", f"bench-{uuid.uuid4().hex[:8]}")
    log.append(_events(50, CUSTOMER) + _events(5, CUSTOMER, "purchase"))
    out: dict[str, Any] = {"backend": name, "per_request": {}, "appends": {}}
    n = args.requests
    out["per_request"] = {
        "events of a customer (activity)": _timed(lambda: log.activity(CUSTOMER, 0, 50), n),
        "newest event of a customer (last_seq)": _timed(lambda: log.last_seq(CUSTOMER), n),
        "API key look-up": _timed(lambda: keys.lookup(key), n),
        "rate-limit hit": _timed(lambda: limiter.hit("search", f"ip:{n}"), n),
        "preferences' watch": _timed(prefs.changed_elsewhere, n),
    }
    for size in (1, 100, 500):
        for writers in (1, 4):
            batches = max(20, args.events // size // 10)
            latencies: list[float] = []
            lock = threading.Lock()

            def write(
                count: int,
                size: int = size,
                lock: threading.Lock = lock,
                latencies: list[float] = latencies,
            ) -> None:
                for _ in range(count):
                    batch = _events(size)
                    t0 = time.perf_counter()
                    log.append(batch)
                    with lock:
                        latencies.append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            threads = [
                threading.Thread(target=write, args=(batches // writers,)) for _ in range(writers)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seconds = time.perf_counter() - t0
            out["appends"][f"batches of {size}, {writers} writer(s)"] = {
                "events_s": len(latencies) * size / seconds,
                "batch_s": latencies,
            }
    # Size: fill up to --events, then measure the table with its indexes.
    have = log.count()
    while have < args.events:
        step = min(500, args.events - have)
        log.append(_events(step))
        have += step
    db = open_part(target, "events")
    if db.postgres:
        from sqlalchemy import text

        with db.read() as conn:
            size = int(conn.execute(text("SELECT pg_total_relation_size('events')")).scalar_one())
    else:
        path = Path(db.url.removeprefix("sqlite:///"))
        with db.read() as conn:  # outside a transaction: the checkpoint needs none open
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        size = path.stat().st_size
    out["bytes_per_event"] = size / have
    out["events"] = have
    for store in (log, keys, prefs, limiter):
        store.close()
    db.close()
    return out


def _redis(url: str, n: int) -> dict[str, Any] | None:
    """`limits`' sliding-window counter on Redis: the hit of one request."""
    try:
        from limits import parse
        from limits.storage import storage_from_string
        from limits.strategies import SlidingWindowCounterRateLimiter
    except ImportError:
        return None
    try:
        storage = storage_from_string(url)
    except Exception as exc:  # the redis package is missing
        print(f"redis row left out: {exc}")
        return None
    limiter = SlidingWindowCounterRateLimiter(storage)
    item = parse("1000000/minute")
    return {"rate-limit hit": _timed(lambda: limiter.hit(item, "search", "ip:x"), n)}


def _start_redis() -> tuple[subprocess.Popen[bytes] | None, str]:
    exe = shutil.which("redis-server")
    if exe is None:
        return None, ""
    from bench.loadgen import _free_port

    port = _free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default="", help="a PostgreSQL server (default: started)")
    p.add_argument("--redis", default="", help="a Redis URL (default: started if installed)")
    p.add_argument("--requests", type=int, default=3000, help="timed calls per request row")
    p.add_argument("--events", type=int, default=200_000, help="events logged for the size")
    args = p.parse_args()
    from core.db import PARTS, Database
    from core.state import upgrade
    from tests.pg import Cluster

    tmp = Path(tempfile.mkdtemp(prefix="lookbook-state-"))
    cluster = None
    url = args.database_url
    if not url:
        cluster = Cluster()  # under /tmp of its own: the postgres user must reach it
        url = cluster.new_database()
    redis_proc, redis_url = (None, args.redis) if args.redis else _start_redis()
    try:
        db = Database.open(url)
        upgrade(db, PARTS)
        db.close()
        found = [_backend("sqlite", tmp / "lookbook.db", args), _backend("postgresql", url, args)]
        redis = _redis(redis_url, args.requests) if redis_url else None
    finally:
        if cluster is not None:
            cluster.remove()
        if redis_proc is not None:
            redis_proc.terminate()
        shutil.rmtree(tmp, ignore_errors=True)
    _report(found, redis)
    return 0


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def _report(found: list[dict[str, Any]], redis: dict[str, Any] | None) -> None:
    table = Table(title="The state's backends (one thread in this process)")
    for col in ("measure", "backend", "value", "p50 ms", "p99 ms"):
        table.add_column(col, justify="left" if col in ("measure", "backend") else "right")
    for row in found:
        for name, values in row["per_request"].items():
            table.add_row(
                name, row["backend"], "", f"{_ms(values, 50):.3f}", f"{_ms(values, 99):.3f}"
            )
    if redis is not None:
        values = redis["rate-limit hit"]
        table.add_row(
            "rate-limit hit (limits, sliding window)",
            "redis",
            "",
            f"{_ms(values, 50):.3f}",
            f"{_ms(values, 99):.3f}",
        )
    for row in found:
        for name, a in row["appends"].items():
            table.add_row(
                f"append, {name}",
                row["backend"],
                f"{a['events_s']:,.0f} events/s",
                f"{_ms(a['batch_s'], 50):.2f}",
                f"{_ms(a['batch_s'], 99):.2f}",
            )
    for row in found:
        table.add_row(
            f"size per logged event ({row['events']:,} events)",
            row["backend"],
            f"{row['bytes_per_event']:.0f} B",
            "",
            "",
        )
    Console().print(table)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "state.json").write_text(json.dumps({"backends": found, "redis": redis}))
    _plot(found, redis, OUT / "state.png")


def _plot(found: list[dict[str, Any]], redis: dict[str, Any] | None, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5))
    names = list(found[0]["per_request"])
    width = 0.8 / (len(found) + (redis is not None))
    for i, row in enumerate(found):
        p50 = [statistics.median(row["per_request"][n]) * 1000 for n in names]
        left.barh([j + i * width for j in range(len(names))], p50, width, label=row["backend"])
    if redis is not None:
        j = names.index("rate-limit hit")
        left.barh(
            [j + len(found) * width],
            [statistics.median(redis["rate-limit hit"]) * 1000],
            width,
            label="redis (limits)",
        )
    left.set_yticks([j + width for j in range(len(names))], names)
    left.set_xlabel("p50 ms per call")
    left.set_title("per-request reads and writes of the state")
    left.legend()
    kinds = list(found[0]["appends"])
    for i, row in enumerate(found):
        rates = [row["appends"][k]["events_s"] for k in kinds]
        right.barh([j + i * 0.4 for j in range(len(kinds))], rates, 0.4, label=row["backend"])
    right.set_yticks([j + 0.2 for j in range(len(kinds))], kinds)
    right.set_xlabel("events/s appended")
    right.set_title("event batches, committed before the answer")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
