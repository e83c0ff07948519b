"""Live events benchmark (issue 15): ingest, freshness and what the fold-in costs a feed.

    python bench/live.py --index /root/lookbook-hm/index --data /root/lookbook-hm/data

Starts `python -m api serve` (``--workers``, default 2) over an existing index with an empty
event log of its own, then:

* **ingest**: ``--posters`` clients post batches of ``--batch`` events (80 % views, 15 %
  add-to-cart, 5 % purchases, random customers of the index and articles) as fast as they
  are answered, for ``--seconds``, while uncached feeds arrive open loop at ``--reads`` a
  second: events/s sustained, batch latency, and the feeds' latency meanwhile;
* **freshness**: for ``--trials`` customers, read the feed, post a purchase of its first
  item, and read the feed again until that item is gone: the time from the purchase's 2xx to
  the answer that reflects it (and how many reads it took), with the ingest load running;
* **fold-in** (in this process, after the API stopped): an uncached feed of ``--trials``
  customers with no logged events, with one logged purchase, and with five purchases and ten
  views; the difference is what applying the log adds to a feed.

Prints the table and saves bench/out/live.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from loadgen import _free_port, service_key, start_api
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
MIX = (("view", 0.80), ("add_to_cart", 0.15), ("purchase", 0.05))


def _customers(index: Path, n: int, seed: int) -> list[str]:
    """``n`` customers of the index who bought something (from the manifest's data set)."""
    import pandas as pd

    manifest = _manifest(index)
    frame = pd.read_csv(
        Path(manifest["data_dir"]) / "transactions_train.csv",
        usecols=["customer_id"],
        dtype=str,
        nrows=2_000_000,
    )
    ids: list[str] = frame.customer_id.drop_duplicates().tolist()
    return random.Random(seed).sample(ids, n)


def _manifest(index: Path) -> dict[str, Any]:
    current = (index / "CURRENT").read_text().strip() if (index / "CURRENT").exists() else None
    models = index / "models"
    version = current or sorted(p.name for p in models.iterdir())[-1]
    manifest: dict[str, Any] = json.loads((models / version / "manifest.json").read_text())
    return manifest


def _articles(data: Path) -> list[str]:
    import pandas as pd

    ids: list[str] = pd.read_csv(
        data / "articles.csv", usecols=["article_id"], dtype=str
    ).article_id.tolist()
    return ids


def _batch(rng: random.Random, customers: list[str], articles: list[str], n: int) -> list[Any]:
    kinds = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=n)
    return [
        {
            "event_id": uuid.uuid4().hex,
            "type": kind,
            "customer_id": rng.choice(customers),
            "article_id": rng.choice(articles),
        }
        for kind in kinds
    ]


async def _ingest(
    base: str,
    key: str,
    customers: list[str],
    articles: list[str],
    args: argparse.Namespace,
    stop: asyncio.Event,
    stats: dict[str, Any],
) -> None:
    async def poster(i: int) -> None:
        rng = random.Random(args.seed * 100 + i)
        async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}) as c:
            while not stop.is_set():
                body = {"events": _batch(rng, customers, articles, args.batch)}
                t0 = time.perf_counter()
                r = await c.post("/events", json=body, timeout=30)
                if r.status_code == 200:
                    stats["batch_s"].append(time.perf_counter() - t0)
                    stats["events"] += r.json()["accepted"]
                else:
                    stats["errors"] += 1

    await asyncio.gather(*(poster(i) for i in range(args.posters)))


async def _reads(
    base: str, key: str, customers: list[str], rate: float, stop: asyncio.Event, out: list[float]
) -> None:
    """Uncached feeds arriving open loop at ``rate`` a second (latency from planned arrival)."""
    rng = random.Random(7)
    tasks = []
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}) as c:

        async def one(planned: float) -> None:
            url = f"/recommendations/{rng.choice(customers)}?limit=12&nonce={uuid.uuid4().hex}"
            r = await c.get(url, timeout=30)
            if r.status_code == 200:
                out.append(time.perf_counter() - planned)

        planned = time.perf_counter()
        while not stop.is_set():
            planned += rng.expovariate(rate)
            await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            tasks.append(asyncio.create_task(one(planned)))
        await asyncio.gather(*tasks)


async def _freshness(
    base: str, key: str, customers: list[str], trials: int
) -> tuple[list[float], list[int]]:
    fresh, reads = [], []
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}) as c:
        for cid in customers[:trials]:
            url = f"/recommendations/{cid}?limit=12"
            top = (await c.get(url, timeout=30)).json()["items"][0]["article_id"]
            event = {"event_id": uuid.uuid4().hex, "type": "purchase"}
            event |= {"customer_id": cid, "article_id": top}
            r = await c.post("/events", json={"events": [event]}, timeout=30)
            acked = time.perf_counter()
            assert r.status_code == 200, r.text
            for n in range(1, 100):
                items = (await c.get(url, timeout=30)).json()["items"]
                if top not in {i["article_id"] for i in items}:
                    fresh.append(time.perf_counter() - acked)
                    reads.append(n)
                    break
            else:
                raise AssertionError(f"{cid}: the purchase never left the feed")
    return fresh, reads


async def _served(args: argparse.Namespace, base: str, key: str, customers: list[str]) -> Any:
    articles = _articles(args.data)
    stats: dict[str, Any] = {"batch_s": [], "events": 0, "errors": 0}
    reads: list[float] = []
    stop = asyncio.Event()
    t0 = time.perf_counter()
    jobs = [
        asyncio.create_task(_ingest(base, key, customers, articles, args, stop, stats)),
        asyncio.create_task(_reads(base, key, customers, args.reads, stop, reads)),
    ]
    await asyncio.sleep(args.seconds)
    stop.set()
    await asyncio.gather(*jobs)
    stats["seconds"] = time.perf_counter() - t0
    # Freshness with the ingest running at half its measured rate.
    stop2 = asyncio.Event()
    paced = argparse.Namespace(**{**vars(args), "posters": max(1, args.posters // 2)})
    background = asyncio.create_task(
        _ingest(
            base, key, customers, articles, paced, stop2, {"batch_s": [], "events": 0, "errors": 0}
        )
    )
    fresh, polls = await _freshness(base, key, customers[-args.trials :], args.trials)
    stop2.set()
    await background
    return stats, reads, fresh, polls


def _fold_in_cost(args: argparse.Namespace, customers: list[str]) -> dict[str, list[float]]:
    """Uncached feeds in this process: no logged events, one purchase, five and ten views."""
    from core.events import Activity, Logged
    from core.settings import Settings
    from core.store import open_store
    from ranking.feed import feed
    from ranking.index import LiveIndex
    from ranking.request import ListFilters, Page

    settings = Settings(
        index_dir=args.index, data_dir=args.data, db_path=args.index.parent / "x.db"
    )
    live = LiveIndex(settings, open_store(settings))
    snap = live.snapshot()
    articles = _articles(args.data)
    rng = random.Random(args.seed)
    now = time.time()
    cases: dict[str, list[float]] = {
        "no events": [],
        "1 purchase": [],
        "5 purchases + 10 views": [],
    }
    for cid in customers[: args.trials] * 2:  # the first pass warms the pages in
        one = Activity(purchases=[Logged(1, "purchase", rng.choice(articles), now)])
        many = Activity(
            purchases=[Logged(i, "purchase", rng.choice(articles), now) for i in range(5)],
            views=[Logged(9 + i, "view", rng.choice(articles), now) for i in range(10)],
        )
        for name, activity in (
            ("no events", None),
            ("1 purchase", one),
            ("5 purchases + 10 views", many),
        ):
            t0 = time.perf_counter()
            feed(snap, settings, cid, None, ListFilters(), Page(12, 0, True), activity=activity)
            cases[name].append(time.perf_counter() - t0)
    live.close()
    return {k: v[len(v) // 2 :] for k, v in cases.items()}


def _ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q)) if values else float("nan")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--posters", type=int, default=4)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--reads", type=float, default=20.0, help="uncached feeds a second meanwhile")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--trials", type=int, default=200)
    p.add_argument("--seed", type=int, default=15)
    args = p.parse_args()
    console = Console()
    customers = _customers(args.index, 2 * args.trials + 2000, args.seed)
    db = args.index.parent / f"live-{int(time.time())}.db"
    port = _free_port()
    proc = start_api(args.index, args.data, port, args.workers, db=db)
    try:
        key = service_key(db)
        stats, reads, fresh, polls = asyncio.run(
            _served(args, f"http://127.0.0.1:{port}", key, customers)
        )
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    cost = _fold_in_cost(args, customers)

    table = Table(title=f"Live events at {args.index} ({args.workers} API processes)")
    for col in ("measure", "value", "p50 ms", "p99 ms", "n"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    rate = stats["events"] / stats["seconds"]
    table.add_row(
        f"ingest, batches of {args.batch}, {args.posters} posters",
        f"{rate:,.0f} events/s",
        f"{_ms(stats['batch_s'], 50):.1f}",
        f"{_ms(stats['batch_s'], 99):.1f}",
        f"{len(stats['batch_s']):,} batches, {stats['errors']} errors",
    )
    table.add_row(
        f"uncached feed during ingest ({args.reads:g}/s open loop)",
        "",
        f"{_ms(reads, 50):.1f}",
        f"{_ms(reads, 99):.1f}",
        f"{len(reads):,}",
    )
    table.add_row(
        "freshness: purchase 2xx → feed without it",
        f"reads needed: max {max(polls)}",
        f"{_ms(fresh, 50):.1f}",
        f"{_ms(fresh, 99):.1f}",
        f"{len(fresh)}",
    )
    base = statistics.median(cost["no events"])
    for name, values in cost.items():
        added = (statistics.median(values) - base) * 1000
        table.add_row(
            f"feed in process: {name}",
            "" if name == "no events" else f"+{added:.2f} ms at p50",
            f"{_ms(values, 50):.2f}",
            f"{_ms(values, 99):.2f}",
            f"{len(values)}",
        )
    console.print(table)
    _plot(stats, reads, fresh, cost, OUT / "live.png")
    return 0


def _plot(stats: Any, reads: list[float], fresh: list[float], cost: Any, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    axes[0].hist(np.array(stats["batch_s"]) * 1000, bins=40)
    axes[0].set_title(f"batch latency ({stats['events'] / stats['seconds']:,.0f} events/s)")
    axes[0].set_xlabel("ms")
    axes[1].hist(np.array(fresh) * 1000, bins=40, color="tab:green")
    axes[1].axvline(1000, color="red", linestyle="--", label="target p99 1 s")
    axes[1].set_title("freshness: purchase 2xx → feed reflects it")
    axes[1].set_xlabel("ms")
    axes[1].legend()
    names = list(cost)
    axes[2].boxplot([np.array(cost[n]) * 1000 for n in names], showfliers=False)
    axes[2].set_xticks(range(1, len(names) + 1), names, fontsize=8)
    axes[2].set_title("uncached feed in process")
    axes[2].set_ylabel("ms")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
