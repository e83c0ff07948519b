"""The load generator of bench/api.py: hand-written keep-alive HTTP/1.1 connections, a closed
loop (N clients, each sending its next request when the answer is in) and an open loop
(requests arrive as a Poisson process at a set rate, as real traffic does, whether or not
earlier answers are in), and the CPU time of the API's processes."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
#: Rate-limit groups lifted for a benchmark (its load comes from one address).
LIMITED = ("SEARCH", "PHOTO_SEARCH", "SESSION", "WRITE", "EVENTS", "SERVICE")
#: Rows whose endpoint answers only the customer or a service key.
PERSONAL = ("recommendations",)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_key(db: Path | str) -> str:
    """A fresh service key in the API's database: the feed answers only its owner or a service
    (personal data), and a benchmark reads many customers' feeds."""
    return api_key(db, "service")


def api_key(db: Path | str, role: str) -> str:
    """A fresh key of ``role`` (service, merchandiser, admin) in the API's database (its
    SQLite path, or a PostgreSQL URL)."""
    from core.keys import KeyStore

    keys = KeyStore(db)
    _, key = keys.create(role, f"bench-{role}-{os.getpid()}-{time.time_ns()}")
    keys.close()
    return key


def start_api(
    index: Path,
    data: Path,
    port: int,
    workers: int,
    db: Path | None = None,
    log: Path | None = None,
    env_extra: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """`python -m api serve` over ``index``, ready once every process has answered; its
    database (and event log beside it) is ``db``, by default ``bench.db`` beside the index;
    its JSON log lines go to ``log`` (default: nowhere); ``env_extra`` adds settings."""
    env = {
        **os.environ,
        "LOOKBOOK_INDEX_DIR": str(index),
        "LOOKBOOK_DATA_DIR": str(data),
        "LOOKBOOK_DB_PATH": str(db or index.parent / "bench.db"),
        "LOOKBOOK_AUTH__MODE": "demo",
        # The load comes from one address: lift the per-client limits.
        **{f"LOOKBOOK_RATE_LIMIT__{g}": "100000000/minute" for g in LIMITED},
        "HF_HUB_OFFLINE": "1",
        **(env_extra or {}),
    }
    cmd = [sys.executable, "-m", "api", "serve", "--port", str(port), "--workers", str(workers)]
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=out, stdout=out)
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]
    try:
        ready_pids(port, workers, 300)
    except TimeoutError:
        proc.kill()
        raise
    return proc


def ready_pids(port: int, workers: int, timeout: float = 30) -> set[int]:
    """The process ids of the API's ``workers`` processes, as their `/ready` reports them,
    once every one has answered (each request on a fresh connection, which the kernel gives to
    any of them)."""
    deadline = time.monotonic() + timeout
    seen: set[int] = set()
    while time.monotonic() < deadline:
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=5)
            if r.status_code == 200:
                seen.add(int(r.json()["process"]))
            if len(seen) >= workers:
                return seen
        except httpx.HTTPError:
            time.sleep(0.5)
    raise TimeoutError(f"API not ready within {timeout:g} s")


def url_makers(data: Path, seed: int) -> dict[str, Callable[[random.Random], str]]:
    """The read rows of bench/api.py and bench/soak.py: each makes a request's path and query
    (a different customer, article or filter combination each time) from a random source."""
    import pandas as pd

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


@dataclass
class Result:
    endpoint: str
    mode: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    #: Answers other than 200, by status (0: none: the connection broke or timed out).
    codes: dict[int, int] = field(default_factory=dict)
    #: Requests with no answer (status 0), by the exception's kind (TimeoutError: none in 30 s).
    failures: dict[str, int] = field(default_factory=dict)
    hits: int = 0
    seconds: float = 0.0
    cpu_s: float = float("nan")
    clients: int = 0
    workers: int = 1

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


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (the API workers under `python -m api serve`)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its children (Linux /proc)."""
    total = 0.0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # Fields 14 and 15 of stat(5), counted after the command name: utime and stime.
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


#: /proc/<pid>/status lines of a process's resident memory, by the name `memory_mb` gives them:
#: all of it; the anonymous part (the heap: Python's objects, numpy's arrays, the engine's
#: own allocations), which only the process can give back; and the pages of mapped files (the
#: engine's segments, the model files, the libraries), which the kernel can drop and read again.
MEMORY = {"rss_mb": "VmRSS:", "anon_mb": "RssAnon:", "file_mb": "RssFile:"}


def memory_mb(pid: int | str, folders: Mapping[str, Path]) -> dict[str, float | None]:
    """A process's resident memory in MB (``pid`` may be "self"): MEMORY's parts, and per name
    of ``folders`` the pages it maps from files under that folder (/proc/<pid>/smaps). All
    None when the process is gone."""
    found: dict[str, float | None] = dict.fromkeys([*MEMORY, *folders])
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        maps = Path(f"/proc/{pid}/smaps").read_text().splitlines()
    except OSError:
        return found
    for line in status:
        for name, tag in MEMORY.items():
            if line.startswith(tag):
                found[name] = int(line.split()[1]) / 1024
    prefixes = {name: f"{Path(f).resolve()}/" for name, f in folders.items()}
    kb = dict.fromkeys(folders, 0)
    inside = None
    for line in maps:
        head = line.split(maxsplit=5)
        if not head:
            continue
        if "-" in head[0] and not head[0].endswith(":"):  # a mapping's first line
            path = head[5] if len(head) > 5 else ""
            inside = next((n for n, f in prefixes.items() if path.startswith(f)), None)
        elif inside is not None and head[0] == "Rss:":
            kb[inside] += int(head[1])
    return found | {name: v / 1024 for name, v in kb.items()}


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
    workers: int = 1

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
                status, headers = await _ask(conn, url, res)
                if conn.writer is None:  # broken: a new connection for the next request
                    conn = Connection("127.0.0.1", port, load.headers(name))
                _count(res, status, headers, t0)
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


_BROKEN = (OSError, TimeoutError, ValueError, IndexError, asyncio.IncompleteReadError)


async def _ask(conn: Connection, url: str, res: Result | None = None) -> tuple[int, dict[str, str]]:
    """One GET: its status and headers; status 0 when no answer came (the connection is then
    closed: the caller opens another), its exception's kind counted in ``res.failures``."""
    try:
        status, headers, _ = await asyncio.wait_for(conn.get(url), 30)
    except _BROKEN as exc:
        await conn.close()
        if res is not None:
            res.failures[type(exc).__name__] = res.failures.get(type(exc).__name__, 0) + 1
        return 0, {}
    return status, headers


def _count(res: Result, status: int, headers: dict[str, str], started: float) -> None:
    if status != 200:
        res.errors += 1
        res.codes[status] = res.codes.get(status, 0) + 1
        return
    res.latencies.append(time.perf_counter() - started)
    res.hits += headers.get("x-cache") == "hit"


def _with_nonce(url: str, n: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}nonce={n}"


async def drive_open(
    load: Load,
    name: str,
    make: Callable[[random.Random], str],
    rate: float,
    res: Result | None = None,
) -> Result:
    """Open loop: uncached requests arrive as a Poisson process of ``rate`` per second for
    the row's seconds; each one's latency counts from its planned arrival, so time spent
    waiting for a free connection (queueing) is part of it. Answers are counted into ``res``
    as they come (a caller may read it meanwhile), by default a new one."""
    res = res or Result(name, f"open {rate:g}/s", clients=0)
    r = random.Random(load.seed)
    idle: list[Connection] = []
    tasks: list[asyncio.Task[None]] = []

    async def one(url: str, planned: float) -> None:
        reused = bool(idle)
        conn = idle.pop() if idle else Connection("127.0.0.1", load.port, load.headers(name))
        status, headers = await _ask(conn, url, None if reused else res)
        if status == 0 and reused:
            # The server closes a keep-alive connection left idle past its timeout (uvicorn:
            # 5 s); a connection from the idle pool can be one. Like any HTTP client, send
            # again on a fresh one; a request the server answered with an error is not retried.
            status, headers = await _ask(conn, url, res)
        if conn.writer is not None:
            idle.append(conn)
        _count(res, status, headers, planned)

    t0, cpu0 = time.perf_counter(), cpu_seconds(load.pid)
    planned = t0
    while planned < t0 + load.seconds:
        planned += r.expovariate(rate)
        await asyncio.sleep(max(0.0, planned - time.perf_counter()))
        tasks.append(asyncio.create_task(one(_with_nonce(make(r), next(_NONCES)), planned)))
    await asyncio.gather(*tasks)
    res.cpu_s = cpu_seconds(load.pid) - cpu0
    res.seconds = time.perf_counter() - t0
    for conn in idle:
        await conn.close()
    return res
