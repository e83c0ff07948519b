"""API load benchmark: N concurrent clients for T seconds per endpoint, uncached and cached.

    python bench/api.py --index var/bench-hm/index --data /tmp/lookbook-bench/hm

Starts `uvicorn api.main:app` on a free loopback port over an existing index, then drives it
from this process (asyncio, one keep-alive connection per client, closed loop). "uncached"
requests vary their parameters (a different customer, article or filter combination each
time) and carry a unique nonce, so every one is a cache miss; "cached" requests repeat one URL.
The "hits" column is the share of answers whose X-Cache header said hit; "API CPU" is the
CPU time the API process spent per answered request (from /proc), which bounds what one
process on this machine can serve. Prints a table and saves bench/out/api.png.

    python bench/api.py --index ... --data ... --scaling 1,2,4,8,16

measures the uncached recommendations, similar and filtered browse rows at each client count
instead, and plots p50 and p99 against clients (bench/out/api_scaling.png).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


@dataclass
class Result:
    endpoint: str
    mode: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    hits: int = 0
    seconds: float = 0.0
    cpu_s: float = float("nan")
    clients: int = 0

    def cpu_ms(self) -> float:
        return 1000 * self.cpu_s / max(len(self.latencies), 1)

    def row(self) -> list[str]:
        lat = np.array(self.latencies or [np.nan]) * 1000
        rps = len(self.latencies) / self.seconds if self.seconds else 0.0
        return [
            self.endpoint,
            self.mode,
            f"{len(self.latencies):,}",
            f"{rps:,.0f}",
            f"{np.percentile(lat, 50):.2f}",
            f"{np.percentile(lat, 99):.2f}",
            f"{self.hits / max(len(self.latencies), 1):.0%}",
            str(self.errors),
            f"{self.cpu_ms():.2f}",
        ]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    # Fields 14 and 15 of stat(5), counted after the command name: utime and stime in ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_key(db: Path) -> str:
    """A fresh service key in the API's database: the feed answers only its owner or a service
    (personal data), and a benchmark reads many customers' feeds."""
    from core.keys import KeyStore

    keys = KeyStore(db)
    _, key = keys.create("service", f"bench-{os.getpid()}-{time.time_ns()}")
    keys.close()
    return key


def start_api(index: Path, data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LOOKBOOK_INDEX_DIR": str(index),
        "LOOKBOOK_DATA_DIR": str(data),
        "LOOKBOOK_DB_PATH": str(index.parent / "bench.db"),
        "LOOKBOOK_AUTH__MODE": "demo",
        # The load comes from one address: lift the per-client limits.
        **{f"LOOKBOOK_RATE_LIMIT__{g}": "100000000/minute" for g in LIMITED},
        "HF_HUB_OFFLINE": "1",
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.main:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise TimeoutError("API not ready within 300 s")


def url_makers(data: Path, seed: int) -> dict[str, Callable[[random.Random], str]]:
    arts = pd.read_csv(
        data / "articles.csv",
        dtype=str,
        usecols=["article_id", "product_type_name", "colour_group_name"],
    )
    cust = pd.read_csv(data / "customers.csv", dtype=str, usecols=["customer_id"], nrows=200_000)
    aids, cids = arts.article_id.tolist(), cust.customer_id.tolist()
    types = arts.product_type_name.value_counts().index[:30].tolist()
    colours = arts.colour_group_name.value_counts().index[:15].tolist()

    def browse(r: random.Random) -> str:
        lo = r.randint(0, 40)
        return (
            f"/articles?category={r.choice(types)}&colour={r.choice(colours)}"
            f"&min_price={lo}&max_price={lo + r.randint(10, 80)}&sort=price_asc&limit=24"
        )

    return {
        "recommendations": lambda r: f"/recommendations/{r.choice(cids)}?limit=12",
        "similar": lambda r: f"/articles/{r.choice(aids)}/similar?limit=12",
        "browse (filtered)": browse,
        "trending (filtered)": lambda r: f"/trending?colour={r.choice(colours)}&limit=12",
        "article": lambda r: f"/articles/{r.choice(aids)}",
        "search": lambda r: f"/search?q={r.choice(colours)}+{r.choice(types)}&limit=12",
    }


class Connection:
    """One keep-alive HTTP/1.1 connection, written by hand: httpx costs more CPU per request
    than a cached answer does, and the load generator shares the API's two cores."""

    def __init__(self, host: str, port: int, headers: str = "") -> None:
        self.host, self.port, self.headers = host, port, headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        target = quote(path, safe="/?&=+-_.~%")  # "Light Blue" and the like
        head = f"GET {target} HTTP/1.1\r\nHost: {self.host}\r\n{self.headers}\r\n"
        self.writer.write(head.encode())
        status = int((await self.reader.readline()).split()[1])
        headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int((await self.reader.readline()).strip(), 16):
                body += await self.reader.readexactly(size)
                await self.reader.readline()
            await self.reader.readline()
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
            self.writer = None


#: One sequence for the whole run: rows replay the same client seeds, so a per-row counter
#: would repeat an earlier row's URLs and turn some "uncached" requests into hits.
_NONCES = itertools.count()


@dataclass
class Load:
    """How a row drives the API: where it listens, its process id (for CPU time), the run."""

    port: int
    pid: int
    clients: int
    seconds: float
    seed: int
    key: str = ""

    def headers(self, name: str) -> str:
        """Extra request headers of a row: the service key for personal endpoints only."""
        return f"X-API-Key: {self.key}\r\n" if name in PERSONAL else ""


async def drive(
    load: Load, name: str, make: Callable[[random.Random], str], cached: bool
) -> Result:
    """Closed loop: each client sends its next request when the previous answer is in.

    Uncached requests carry a unique ``nonce`` parameter (the API ignores it, the cache key
    includes it), so every one is a miss; the X-Cache header of each answer is counted, and
    the API process's CPU time over the row is recorded.
    """
    port, seed = load.port, load.seed
    res = Result(name, "cached" if cached else "uncached", clients=load.clients)
    fixed = make(random.Random(seed))
    stop = time.perf_counter() + load.seconds

    async def client(i: int) -> None:
        r = random.Random(seed * 1000 + i)
        conn = Connection("127.0.0.1", port, load.headers(name))
        try:
            while time.perf_counter() < stop:
                url = fixed if cached else _with_nonce(make(r), next(_NONCES))
                t0 = time.perf_counter()
                try:
                    status, headers, _ = await asyncio.wait_for(conn.get(url), 30)
                    ok = status == 200
                except (OSError, TimeoutError, ValueError, IndexError, asyncio.IncompleteReadError):
                    ok, headers = False, {}
                    await conn.close()
                    conn = Connection("127.0.0.1", port, load.headers(name))
                if ok:
                    res.latencies.append(time.perf_counter() - t0)
                    res.hits += headers.get("x-cache") == "hit"
                else:
                    res.errors += 1
        finally:
            await conn.close()

    if cached:
        warm = Connection("127.0.0.1", port, load.headers(name))
        await warm.get(fixed)  # the entry exists before the clock starts
        await warm.close()
    t0, cpu0 = time.perf_counter(), cpu_seconds(load.pid)
    await asyncio.gather(*(client(i) for i in range(load.clients)))
    res.cpu_s = cpu_seconds(load.pid) - cpu0
    res.seconds = time.perf_counter() - t0
    return res


def _with_nonce(url: str, n: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}nonce={n}"


def measured(load: Load, name: str, make: Callable[[random.Random], str], cached: bool) -> Result:
    """One row, printed as soon as it is measured."""
    r = asyncio.run(drive(load, name, make, cached))
    Console().print(" ".join(r.row()))
    return r


SCALED = ("recommendations", "similar", "browse (filtered)")
#: Rows whose endpoint answers only the customer or a service key.
PERSONAL = ("recommendations",)
LIMITED = ("SEARCH", "PHOTO_SEARCH", "SESSION", "WRITE", "SERVICE")


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


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--index", type=Path, required=True, help="LOOKBOOK_INDEX_DIR of a built index")
    p.add_argument("--data", type=Path, required=True, help="the data folder it was built from")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument(
        "--scaling",
        type=lambda v: [int(x) for x in v.split(",") if x],
        default=[],
        help="client counts: measure the uncached feed, similar and browse at each instead",
    )
    args = p.parse_args()
    port = _free_port()
    key = service_key(args.index.parent / "bench.db")
    proc = start_api(args.index, args.data, port)
    results: list[Result] = []
    makers = url_makers(args.data, args.seed)

    def load(clients: int) -> Load:
        return Load(port, proc.pid, clients, args.seconds, args.seed, key)

    try:
        if args.scaling:
            for name in SCALED:
                for n in args.scaling:
                    results.append(measured(load(n), name, makers[name], False))
        else:
            for name, make in makers.items():
                for cached in (False, True):
                    results.append(measured(load(args.clients), name, make, cached))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    if args.scaling:
        title = f"Uncached, by client count, {args.seconds:.0f} s per row ({args.data})"
    else:
        title = f"API load: {args.clients} clients x {args.seconds:.0f} s per row ({args.data})"
    table = Table(title=title)
    first = ("endpoint", "clients" if args.scaling else "mode")
    for col in (*first, "requests", "req/s", "p50 ms", "p99 ms", "hits", "errors", "API CPU ms"):
        table.add_column(col, justify="left" if col in first else "right")
    for r in results:
        row = r.row()
        if args.scaling:
            row[1] = str(r.clients)
        table.add_row(*row)
    Console().print(table)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.scaling:
        plot_scaling(results, OUT / "api_scaling.png")
    else:
        plot(results, OUT / "api.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
