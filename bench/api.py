"""API load benchmark: N concurrent clients for T seconds per endpoint, uncached and cached.

    python bench/api.py --index var/bench-hm/index --data /tmp/lookbook-bench/hm [--workers 1,2]

Starts `python -m api serve` with each number of API processes given (`--workers`) on a free
loopback port over an existing index, then drives it from this process (asyncio, hand-written
keep-alive connections: `loadgen.py`). "uncached" requests vary their parameters (a different
customer, article or filter combination each time) and carry a unique nonce, so every one is a
cache miss; "cached" requests repeat one URL. The "hits" column is the share of answers whose
X-Cache header said hit; "API CPU" is the CPU time the API's processes spent per answered
request (from /proc), which bounds what they can serve. Prints a table and saves
bench/out/api.png.

    python bench/api.py --index ... --data ... --scaling 1,2,4,8,16

measures the uncached recommendations, similar and filtered browse rows at each client count
(closed loop) instead, and plots p50 and p99 against clients (bench/out/api_scaling.png).

    python bench/api.py --index ... --data ... --rate 40

drives the same three rows open loop: requests arrive as a Poisson process at 40 a second,
whether or not earlier answers are in, as real traffic does; latency includes queueing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from loadgen import (
    Load,
    Result,
    _free_port,
    drive,
    drive_open,
    service_key,
    start_api,
    url_makers,
)
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def measured(
    load: Load,
    name: str,
    make: Callable[[random.Random], str],
    cached: bool,
    rate: float | None = None,
) -> Result:
    """One row (closed loop, or open at ``rate`` requests a second), printed when measured."""
    if rate is None:
        r = asyncio.run(drive(load, name, make, cached))
    else:
        r = asyncio.run(drive_open(load, name, make, rate))
    r.workers = load.workers
    Console().print(f"{r.workers} proc", " ".join(r.row()))
    return r


SCALED = ("recommendations", "similar", "browse (filtered)")


def plot_scaling(results: list[Result], path: Path) -> None:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for name in SCALED:
        rows = [r for r in results if r.endpoint == name]
        xs = [r.clients for r in rows]
        lat = [np.array(r.latencies or [np.nan]) * 1000 for r in rows]
        line = ax.plot(xs, [np.percentile(v, 99) for v in lat], "o-", label=f"{name} p99")
        ax.plot(
            xs,
            [np.percentile(v, 50) for v in lat],
            "--",
            color=line[0].get_color(),
            alpha=0.6,
            label=f"{name} p50",
        )
    ax.axhline(50, color="grey", lw=0.8, ls=":", label="target: p99 50 ms")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(sorted({r.clients for r in results}), labels=None)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%d"))
    ax.set_xlabel("concurrent clients (closed loop)")
    ax.set_ylabel("uncached latency (ms, log)")
    ax.legend(fontsize=7)
    ax.set_title(f"One API process on {os.cpu_count()} cores")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot(results: list[Result], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r.endpoint}\n{r.mode}" for r in results]
    p50 = [np.percentile(np.array(r.latencies or [np.nan]) * 1000, 50) for r in results]
    p99 = [np.percentile(np.array(r.latencies or [np.nan]) * 1000, 99) for r in results]
    fig, ax = plt.subplots(figsize=(12, 5))
    x = np.arange(len(results))
    ax.bar(x - 0.2, p50, 0.4, label="p50")
    ax.bar(x + 0.2, p99, 0.4, label="p99")
    ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("latency (ms)")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title("Lookbook API under load")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _numbers(v: str) -> list[int]:
    return [int(x) for x in v.split(",") if x]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--index", type=Path, required=True, help="LOOKBOOK_INDEX_DIR of a built index")
    p.add_argument("--data", type=Path, required=True, help="the data folder it was built from")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--workers", type=_numbers, default=[1], help="API processes, e.g. 1,2")
    p.add_argument(
        "--only",
        help="comma-separated endpoint rows to measure (e.g. recommendations,similar), uncached",
    )
    p.add_argument(
        "--rate",
        type=float,
        help="open loop: uncached feed, similar and browse arriving at this many requests/s",
    )
    p.add_argument(
        "--scaling",
        type=_numbers,
        default=[],
        help="client counts: measure the uncached feed, similar and browse at each instead",
    )
    args = p.parse_args()
    results: list[Result] = []
    makers = url_makers(args.data, args.seed)
    key = service_key(args.index.parent / "bench.db")
    for workers in args.workers:
        port = _free_port()
        proc = start_api(args.index, args.data, port, workers)

        def load(clients: int) -> Load:
            return Load(port, proc.pid, clients, args.seconds, args.seed, key, workers)  # noqa: B023

        try:
            if args.rate:
                for name in SCALED:
                    results.append(measured(load(0), name, makers[name], False, args.rate))
            elif args.scaling:
                for name in SCALED:
                    for n in args.scaling:
                        results.append(measured(load(n), name, makers[name], False))
            elif args.only:
                for name in args.only.split(","):
                    results.append(measured(load(args.clients), name, makers[name], False))
            else:
                for name, make in makers.items():
                    for cached in (False, True):
                        results.append(measured(load(args.clients), name, make, cached))
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    print_table(results, args)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.scaling:
        plot_scaling(results, OUT / "api_scaling.png")
    elif not args.rate:
        plot(results, OUT / "api.png")
    return 0


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    if args.rate:
        title = f"Open loop at {args.rate:g} requests/s, {args.seconds:.0f} s per row ({args.data})"
    elif args.scaling:
        title = f"Uncached, by client count, {args.seconds:.0f} s per row ({args.data})"
    else:
        title = f"API load: {args.clients} clients x {args.seconds:.0f} s per row ({args.data})"
    table = Table(title=title)
    first = ("processes", "endpoint", "clients" if args.scaling else "mode")
    for col in (*first, "requests", "req/s", "p50 ms", "p99 ms", "hits", "errors", "API CPU ms"):
        table.add_column(col, justify="left" if col in first[1:] else "right")
    for r in results:
        row = r.row()
        if args.scaling:
            row[1] = str(r.clients)
        table.add_row(str(r.workers), *row)
    Console().print(table)


if __name__ == "__main__":
    sys.exit(main())
