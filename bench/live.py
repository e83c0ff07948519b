"""Live events benchmark (issue 15): ingest, freshness and what the fold-in costs a feed.

    python bench/live.py --index /root/lookbook-hm/index --data /root/lookbook-hm/data

Starts `python -m api serve` (``--workers``, default 2) over an existing index with an empty
event log of its own, then:

* **ingest**: batches of ``--batch`` events (80 % views, 15 % add-to-cart, 5 % purchases,
  random customers of the index and articles) for ``--seconds``: from ``--posters`` clients
  as fast as they are answered, then paced at each ``--rate`` (events a second, open loop),
  while uncached feeds arrive open loop at ``--reads`` a second (and alone first, the
  baseline): events/s sustained, batch latency, and the feeds' latency meanwhile;
* **freshness**: for ``--trials`` customers, read the feed, post a purchase of its first
  item, and read the feed again until that item is gone: the time from the purchase's 2xx to
  the answer that reflects it (and how many reads it took), with ingest paced at the first
  ``--rate``;
* **fold-in** (in this process, after the API stopped): for ``--trials`` customers, the
  customer (table row + their events read from a log + the fold-in) and an uncached feed, with
  no logged events, one purchase, and five purchases and ten views.

The live catalog (issue 16; ``--part catalog``), on the same API processes:

* **changes**: `PATCH /admin/articles` batches of ``--batch`` price or stock changes (random
  articles; a tenth out of stock) from ``--posters`` clients as fast as answered, then paced at
  each ``--catalog-rate`` changes a second, while uncached browse pages (a random category,
  with facets) arrive open loop at ``--reads`` a second: changes/s sustained, batch latency,
  the browse latency meanwhile;
* **visibility**: for ``--trials`` changes (with changes paced at the first rate meanwhile),
  the time from the change's 2xx until every API process serves it (each process's `/ready`
  reports the change's sequence number, read on fresh connections);
* **overlay cost** (in this process, on a private copy of the version): uncached browse pages
  and feeds before and after ``--overlay`` changes were applied (prices, a tenth out of stock,
  ten new articles), and the browse without the availability filter.

``--backends sqlite,postgresql`` runs each part once per backend of the state (issue 22): the
embedded SQLite files, or PostgreSQL (``--database-url``, else a throwaway server started here
from the machine's PostgreSQL programs); the fold-in rows then read the event log from it too
(the "event read" rows: what the per-request read adds to an uncached feed).

Prints the tables and saves bench/out/live[-postgresql].png, bench/out/live-catalog[-…].png and
every sample in bench/out/live*.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
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
#: The unchanged copy's label in the run beside the re-indexed one.
REINDEX_BASE = "no changes (re-index run)"


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
    return random.Random(seed).sample(ids, min(n, len(ids)))


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
    rate: float | None = None,
) -> None:
    """Post batches until ``stop``: as fast as ``args.posters`` clients are answered, or (with
    ``rate``, events a second) one batch every ``batch / rate`` seconds, answered or not."""
    if rate is not None:
        await _paced(base, key, customers, articles, args.batch, rate, stop, stats)
        return

    async def poster(i: int) -> None:
        rng = random.Random(args.seed * 100 + i)
        async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}) as c:
            while not stop.is_set():
                body = {"events": _batch(rng, customers, articles, args.batch)}
                t0 = time.perf_counter()
                r = await _send(c, stats, "POST", "/events", body)
                if r is not None:
                    stats["batch_s"].append(time.perf_counter() - t0)
                    stats["events"] += r.json()["accepted"]

    await asyncio.gather(*(poster(i) for i in range(args.posters)))


async def _paced(
    base: str,
    key: str,
    customers: list[str],
    articles: list[str],
    batch: int,
    rate: float,
    stop: asyncio.Event,
    stats: dict[str, Any],
) -> None:
    rng = random.Random(3)
    tasks = []
    async with httpx.AsyncClient(
        base_url=base, headers={"X-API-Key": key}, limits=httpx.Limits(max_connections=64)
    ) as c:

        async def one(planned: float) -> None:
            body = {"events": _batch(rng, customers, articles, batch)}
            r = await _send(c, stats, "POST", "/events", body)
            if r is not None:
                stats["batch_s"].append(time.perf_counter() - planned)
                stats["events"] += r.json()["accepted"]

        planned = time.perf_counter()
        while not stop.is_set():
            planned += batch / rate
            await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            tasks.append(asyncio.create_task(one(planned)))
        await asyncio.gather(*tasks)


async def _send(
    c: httpx.AsyncClient, stats: dict[str, Any], method: str, url: str, body: Any
) -> httpx.Response | None:
    """One write; its response when answered 200, else None, counted in ``stats["errors"]``
    and by status in ``stats["codes"]`` (0: no answer; its kind in ``stats["failures"]``), so
    a long run goes on past one. A keep-alive connection the server closed as the request
    went out (uvicorn closes one idle for 5 s) is retried once on a new one: every write here
    is idempotent (events by id, catalog changes restate whole values)."""
    r: httpx.Response | None = None
    for attempt in range(2):
        try:
            r = await c.request(method, url, json=body, timeout=60)
            break
        except httpx.RemoteProtocolError as exc:
            if attempt or "without sending a response" not in str(exc):
                _failed(stats, exc)
                break
        except httpx.HTTPError as exc:
            _failed(stats, exc)
            break
    status = r.status_code if r is not None else 0
    if status == 200:
        return r
    stats["errors"] += 1
    codes = stats.setdefault("codes", {})
    codes[status] = codes.get(status, 0) + 1
    return None


def _failed(stats: dict[str, Any], exc: Exception) -> None:
    kinds = stats.setdefault("failures", {})
    kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1


async def _open_loop(
    base: str,
    headers: dict[str, str],
    url: Any,
    rate: float,
    stop: asyncio.Event,
    out: list[float],
    seed: int,
) -> None:
    """GETs of ``url(rng)`` (a path and its query) arriving open loop at ``rate`` a second
    (Poisson), until ``stop``; ``out`` gets each 200's latency from its planned arrival."""
    rng = random.Random(seed)
    tasks = []
    async with httpx.AsyncClient(base_url=base, headers=headers) as c:

        async def one(planned: float) -> None:
            path, params = url(rng)
            r = await c.get(path, params=params, timeout=30)
            if r.status_code == 200:
                out.append(time.perf_counter() - planned)

        planned = time.perf_counter()
        while not stop.is_set():
            planned += rng.expovariate(rate)
            await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            tasks.append(asyncio.create_task(one(planned)))
        await asyncio.gather(*tasks)


async def _reads(
    base: str, key: str, customers: list[str], rate: float, stop: asyncio.Event, out: list[float]
) -> None:
    """Uncached feeds arriving open loop at ``rate`` a second (latency from planned arrival)."""

    def url(rng: random.Random) -> tuple[str, dict[str, Any]]:
        params = {"limit": 12, "nonce": uuid.uuid4().hex}
        return f"/recommendations/{rng.choice(customers)}", params

    await _open_loop(base, {"X-API-Key": key}, url, rate, stop, out, seed=7)


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


async def _row(
    args: argparse.Namespace,
    base: str,
    key: str,
    customers: list[str],
    articles: list[str],
    rate: float | None,
) -> dict[str, Any]:
    """Ingest (closed loop, or paced at ``rate`` events/s) with uncached feeds alongside."""
    stats: dict[str, Any] = {"batch_s": [], "events": 0, "errors": 0, "reads": []}
    stop = asyncio.Event()
    t0 = time.perf_counter()
    jobs = [
        asyncio.create_task(_ingest(base, key, customers, articles, args, stop, stats, rate)),
        asyncio.create_task(_reads(base, key, customers, args.reads, stop, stats["reads"])),
    ]
    await asyncio.sleep(args.seconds)
    stop.set()
    await asyncio.gather(*jobs)
    stats["seconds"] = time.perf_counter() - t0
    stats["rate"] = rate
    return stats


async def _served(args: argparse.Namespace, base: str, key: str, customers: list[str]) -> Any:
    articles = _articles(args.data)
    # Reads alone first (the baseline), then ingest as fast as answered, then paced.
    quiet: list[float] = []
    stop = asyncio.Event()
    job = asyncio.create_task(_reads(base, key, customers, args.reads, stop, quiet))
    await asyncio.sleep(args.seconds / 2)
    stop.set()
    await job
    rows = [await _row(args, base, key, customers, articles, None)]
    for rate in args.rate:
        rows.append(await _row(args, base, key, customers, articles, rate))
    # Freshness with the ingest running at the first paced rate.
    stop2 = asyncio.Event()
    background = asyncio.create_task(
        _ingest(
            base,
            key,
            customers,
            articles,
            args,
            stop2,
            {"batch_s": [], "events": 0, "errors": 0},
            args.rate[0],
        )
    )
    fresh, polls = await _freshness(base, key, customers[-args.trials :], args.trials)
    stop2.set()
    await background
    return quiet, rows, fresh, polls


def _fold_in_cost(
    args: argparse.Namespace, customers: list[str], state: State
) -> dict[str, list[float]]:
    """Uncached feeds in this process, each with its customer's events read from a log (as
    the route does, on the run's backend): none, one purchase, five purchases and ten views;
    the customer alone (table row + log + fold-in), which is what the log adds before
    ranking; and the event read alone."""
    import tempfile

    from core.events import Event, open_log
    from core.settings import Settings
    from core.store import open_store
    from ranking.feed import feed
    from ranking.index import LiveIndex
    from ranking.request import ListFilters, Page
    from ranking.taste import load_customer

    tmp = Path(tempfile.mkdtemp(prefix="lookbook-live-"))
    settings = Settings(index_dir=args.index, data_dir=args.data, db_path=tmp / "x.db")
    live = LiveIndex(settings, open_store(settings))
    snap = live.snapshot()
    articles = _articles(args.data)
    rng = random.Random(args.seed)
    now = time.time()
    sample = customers[: args.trials]
    logs = {}
    for name, purchases, views in (
        ("no events", 0, 0),
        ("1 purchase", 1, 0),
        ("5 purchases + 10 views", 5, 10),
    ):
        log = open_log(state.new_target(tmp / f"{purchases}-{views}.db"))
        log.append(
            [
                Event(uuid.uuid4().hex, kind, cid, rng.choice(articles), now)
                for cid in sample
                for kind in ["purchase"] * purchases + ["view"] * views
            ]
        )
        logs[name] = log
    cases: dict[str, list[float]] = {}
    for cid in sample * 2:  # the first pass warms the pages in
        for name, log in logs.items():
            t0 = time.perf_counter()
            activity = log.activity(cid, snap.events_seq, settings.live.views_kept)
            cases.setdefault(f"event read: {name}", []).append(time.perf_counter() - t0)
            load_customer(snap, cid, activity, settings.live)
            cases.setdefault(f"customer: {name}", []).append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            activity = log.activity(cid, snap.events_seq, settings.live.views_kept)
            feed(snap, settings, cid, None, ListFilters(), Page(12, 0, True), activity=activity)
            cases.setdefault(f"feed: {name}", []).append(time.perf_counter() - t0)
    live.close()
    for log in logs.values():
        log.close()
    return {k: v[len(v) // 2 :] for k, v in cases.items()}


class State:
    """Where a run keeps what it writes: fresh SQLite files beside the index, or a fresh
    database on PostgreSQL (issue 22: ``--database-url``, else a throwaway server started
    here and removed at the end)."""

    def __init__(self, backend: str, index: Path, url: str = "") -> None:
        self.backend, self.index, self._url, self._cluster = backend, index, url, None

    def new_target(self, sqlite: Path) -> Path | str:
        """A fresh state: ``sqlite`` on SQLite, else a new database's URL (schema upgraded)."""
        if self.backend == "sqlite":
            return sqlite
        sys.path.insert(0, str(ROOT))
        from core.db import PARTS, Database
        from core.state import upgrade

        if not self._url:
            from tests.pg import Cluster

            self._cluster = Cluster()  # type: ignore[assignment]
            self._url = self._cluster.url()  # type: ignore[attr-defined]
        import psycopg

        name = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self._url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        url = self._url.rsplit("/", 1)[0] + "/" + name
        db = Database.open(url)
        upgrade(db, PARTS)
        db.close()
        return url

    def api(self, tag: str) -> tuple[Path, dict[str, str], Path | str]:
        """For one API run: its LOOKBOOK_DB_PATH, the environment that names the database, and
        where its keys are made."""
        db = self.index.parent / f"{tag}-{int(time.time())}.db"
        target = self.new_target(db)
        env = {} if isinstance(target, Path) else {"LOOKBOOK_DATABASE_URL": target}
        return db, env, target

    def close(self) -> None:
        if self._cluster is not None:
            self._cluster.remove()


# --- the live catalog (issue 16) --------------------------------------------------------------


def _categories(data: Path) -> list[str]:
    import pandas as pd

    arts = pd.read_csv(data / "articles.csv", usecols=["product_type_name"], dtype=str)
    counts = arts.product_type_name.value_counts()
    return [str(c) for c in counts.index[:40]]


def _patches(rng: random.Random, articles: list[str], n: int) -> list[dict[str, Any]]:
    """``n`` price or stock changes of random articles (a tenth of them out of stock)."""
    out = []
    for aid in rng.sample(articles, n):
        r = rng.random()
        if r < 0.5:
            out.append({"article_id": aid, "price": round(rng.uniform(5, 80), 2)})
        else:
            out.append({"article_id": aid, "in_stock": r > 0.6})
    return out


async def _changes(
    base: str,
    key: str,
    articles: list[str],
    args: argparse.Namespace,
    stop: asyncio.Event,
    stats: dict[str, Any],
    rate: float | None = None,
) -> None:
    """Post batches of changes until ``stop``: closed loop from ``args.posters`` clients, or
    paced at ``rate`` changes a second (open loop)."""
    rng = random.Random(args.seed)

    async def post(c: httpx.AsyncClient, started: float) -> None:
        body = {"items": _patches(rng, articles, args.batch)}
        r = await _send(c, stats, "PATCH", "/admin/articles", body)
        if r is not None:
            stats["batch_s"].append(time.perf_counter() - started)
            stats["changes"] += len(r.json()["seqs"])
            stats.setdefault("changed", set()).update(i["article_id"] for i in body["items"])

    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, limits=limits) as c:
        if rate is None:

            async def poster() -> None:
                while not stop.is_set():
                    await post(c, time.perf_counter())

            await asyncio.gather(*(poster() for _ in range(args.posters)))
            return
        tasks = []
        planned = time.perf_counter()
        while not stop.is_set():
            planned += args.batch / rate
            await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            tasks.append(asyncio.create_task(post(c, planned)))
        await asyncio.gather(*tasks)


async def _browses(
    base: str, categories: list[str], rate: float, stop: asyncio.Event, out: list[float]
) -> None:
    """Uncached browse pages (a random category, with its facets) open loop at ``rate``/s."""

    def url(rng: random.Random) -> tuple[str, dict[str, Any]]:
        params = {"category": rng.choice(categories), "limit": 24, "nonce": uuid.uuid4().hex}
        return "/articles", params

    await _open_loop(base, {}, url, rate, stop, out, seed=9)


async def _catalog_row(
    args: argparse.Namespace,
    base: str,
    key: str,
    articles: list[str],
    categories: list[str],
    rate: float | None,
) -> dict[str, Any]:
    stats: dict[str, Any] = {"batch_s": [], "changes": 0, "errors": 0, "reads": []}
    stop = asyncio.Event()
    t0 = time.perf_counter()
    jobs = [
        asyncio.create_task(_changes(base, key, articles, args, stop, stats, rate)),
        asyncio.create_task(_browses(base, categories, args.reads, stop, stats["reads"])),
    ]
    await asyncio.sleep(args.seconds)
    stop.set()
    await asyncio.gather(*jobs)
    stats["seconds"] = time.perf_counter() - t0
    stats["rate"] = rate
    return stats


async def _visibility(
    base: str, key: str, articles: list[str], trials: int, workers: int
) -> list[float]:
    """Per change: seconds from its 2xx until every API process reports its sequence number
    (each `/ready` on a fresh connection, so the kernel spreads them over the processes)."""
    rng = random.Random(5)
    out = []
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}) as c:
        for aid in articles[:trials]:
            price = round(rng.uniform(5, 80), 2)
            r = await c.patch(f"/admin/articles/{aid}", json={"price": price}, timeout=30)
            acked = time.perf_counter()
            assert r.status_code == 200, r.text
            seq = r.json()["seq"]
            seen: dict[int, float] = {}
            while len(seen) < workers:
                async with httpx.AsyncClient(base_url=base) as fresh:
                    ready = (await fresh.get("/ready", timeout=30)).json()
                if ready["catalog_seq"] >= seq and ready["process"] not in seen:
                    seen[ready["process"]] = time.perf_counter() - acked
                if time.perf_counter() - acked > 30:
                    raise AssertionError(f"seq {seq} not served by every process in 30 s")
            out.append(max(seen.values()))
            got = (await c.get(f"/articles/{aid}", timeout=30)).json()["price"]
            assert got == price, (aid, got, price)
    return out


async def _catalog_served(args: argparse.Namespace, base: str, key: str) -> Any:
    # The visibility trials' articles are their own: no background change touches them.
    every = _articles(args.data)
    articles, reserved = every[: -args.trials], every[-args.trials :]
    categories = _categories(args.data)
    quiet: list[float] = []
    stop = asyncio.Event()
    job = asyncio.create_task(_browses(base, categories, args.reads, stop, quiet))
    await asyncio.sleep(args.seconds / 2)
    stop.set()
    await job
    rows = [await _catalog_row(args, base, key, articles, categories, None)]
    for rate in args.catalog_rate:
        rows.append(await _catalog_row(args, base, key, articles, categories, rate))
    stop2 = asyncio.Event()
    stats: dict[str, Any] = {"batch_s": [], "changes": 0, "errors": 0}
    background = asyncio.create_task(
        _changes(base, key, articles, args, stop2, stats, args.catalog_rate[0])
    )
    seen = await _visibility(base, key, reserved, args.trials, args.workers)
    stop2.set()
    await background
    return quiet, rows, seen


def _scratch_index(index: Path, dst: Path) -> Path:
    """A copy of the published version under ``dst`` (its own store folder; the models are
    linked): an index the overlay may change without touching ``index``."""
    version = (index / "store" / "CURRENT").read_text().strip()
    (dst / "store" / "versions").mkdir(parents=True)
    src = index / "store" / "versions" / version
    cmd = ["cp", "-a", "--sparse=always", str(src), str(dst / "store" / "versions" / version)]
    subprocess.run(cmd, check=True)
    (dst / "store" / "CURRENT").write_text(version)
    (dst / "models").symlink_to((index / "models").resolve())
    return dst


def _overlay_cost(
    args: argparse.Namespace, customers: list[str], n_changes: int
) -> dict[str, list[float]]:
    """Uncached browse pages and feeds in this process on two copies of the version, one
    without changes and one with ``n_changes`` changes applied (prices, a tenth out of
    stock, ten new articles), the same requests on both, interleaved (so drift in the machine
    falls on both alike); and browse pages without the availability filter."""
    import shutil
    import tempfile

    import pandas as pd

    from core.changes import check_change, open_changes, put_fields
    from core.settings import LiveSettings, Settings
    from core.store import open_store
    from ranking import browse as browsing
    from ranking.feed import feed
    from ranking.index import LiveIndex
    from ranking.request import ListFilters, Page

    tmp = Path(tempfile.mkdtemp(prefix="lookbook-catalog-", dir=args.index.parent))
    lives, snaps = [], []
    for name in ("plain", "changed"):
        settings = Settings(
            index_dir=_scratch_index(args.index, tmp / name),
            data_dir=args.data,
            db_path=tmp / name / "x.db",
            private_index=True,  # as `api serve` runs: a re-index needs the version's copy
            live=LiveSettings(reindex_after=0),  # re-indexed below, when measured
        )
        changes = open_changes(settings)
        live = LiveIndex(settings, open_store(settings), changes)
        lives.append((live, changes))
        snaps.append(live.snapshot())
    rng = random.Random(args.seed)
    articles = _articles(args.data)
    batch: list[Any] = [
        (p["article_id"], "patch", {k: v for k, v in p.items() if k != "article_id"})
        for p in _patches(rng, articles, n_changes)
    ]
    arts = pd.read_csv(args.data / "articles.csv", dtype=str, nrows=10)
    for i, row in enumerate(arts.to_dict("records")):
        aid = f"{9_300_000_000 + i:010d}"
        body = put_fields(row, price=29.99)
        fields, problems = check_change("put", aid, body, snaps[1].taxonomy, False)
        assert not problems, problems
        batch.append((aid, "put", fields))
    t0 = time.perf_counter()
    lives[1][1].append(batch, "bench")
    snaps[1] = lives[1][0].catch_up()
    applied = time.perf_counter() - t0

    categories = _categories(args.data)
    pages = [ListFilters(category=(rng.choice(categories),)) for _ in range(args.trials)]
    sample = customers[: args.trials]

    def measure(tags: tuple[str, str]) -> dict[str, list[float]]:
        """Both snapshots, each request on both in turn (either first), after a warm-up."""
        cases: dict[str, list[float]] = {}

        def timed(name: str, call: Any) -> None:
            t0 = time.perf_counter()
            call()
            cases.setdefault(name, []).append(time.perf_counter() - t0)

        for round_ in range(3):  # the first round warms the pages and masks in
            if round_ == 1:
                cases.clear()
            for i, (f, cid) in enumerate(zip(pages, sample, strict=False)):
                for k in (0, 1) if (i + round_) % 2 == 0 else (1, 0):
                    snap, tag = snaps[k], tags[k]
                    settings = lives[k][0].settings
                    pair = [(f, tag), (_everything(f), f"{tag}, all articles")]
                    # Either may go first: the second finds the first's masks cached.
                    for flt, label in pair if (i + round_) % 2 == 0 else pair[::-1]:
                        timed(
                            f"browse: {label}",
                            lambda flt=flt, snap=snap, settings=settings: browsing.browse(
                                snap,
                                settings,
                                flt,
                                q_vec=None,
                                sort="relevance",
                                limit=24,
                                offset=0,
                            ),
                        )
                    timed(
                        f"feed: {tag}",
                        lambda snap=snap, settings=settings, cid=cid: feed(
                            snap, settings, cid, None, ListFilters(), Page(12, 0, True)
                        ),
                    )
        return cases

    out = measure(("no changes", f"{n_changes:,} changes applied"))
    t0 = time.perf_counter()
    snaps[1] = lives[1][0].reindex_now()
    reindexed = time.perf_counter() - t0
    # Against a baseline measured alongside it (the machine drifts between runs).
    out |= measure((REINDEX_BASE, f"{n_changes:,} changes, re-indexed"))
    for live, changes in lives:
        live.close()
        changes.close()
    shutil.rmtree(tmp, ignore_errors=True)
    out["apply"] = [applied]
    out["reindex"] = [reindexed]
    return out


def _everything(f: Any) -> Any:
    from dataclasses import replace

    return replace(f, include_unavailable=True)


def _ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q)) if values else float("nan")


def _table(title: str) -> Table:
    table = Table(title=title)
    for col in ("measure", "value", "p50 ms", "p99 ms", "n"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    return table


def _latency_row(table: Table, measure: str, value: str, values: list[float], n: str = "") -> None:
    """A row of latencies (seconds) at p50 and p99."""
    table.add_row(
        measure, value, f"{_ms(values, 50):.1f}", f"{_ms(values, 99):.1f}", n or f"{len(values):,}"
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--posters", type=int, default=4)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--reads", type=float, default=20.0, help="uncached feeds a second meanwhile")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument(
        "--rate",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[2000.0],
        help="paced ingest rows, events a second (comma-separated)",
    )
    p.add_argument("--trials", type=int, default=200)
    p.add_argument("--seed", type=int, default=15)
    p.add_argument(
        "--catalog-rate",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[500.0],
        help="paced catalog change rows, changes a second (comma-separated)",
    )
    p.add_argument(
        "--overlay",
        type=lambda v: [int(x) for x in v.split(",") if x],
        default=[2000, 5000, 20000],
        help="changed articles for the overlay's cost (comma-separated; empty: none)",
    )
    p.add_argument(
        "--part",
        choices=["all", "events", "catalog", "overlay"],
        default="all",
        help="the live events' rows, the live catalog's (overlay: only its in-process rows), both",
    )
    p.add_argument(
        "--backends",
        type=lambda v: v.split(","),
        default=["sqlite"],
        help="the state's database, one run each: sqlite, postgresql or both (comma-separated)",
    )
    p.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server for --backends postgresql (a database is made per run); "
        "default: a throwaway server started here",
    )
    args = p.parse_args()
    console = Console()
    customers = _customers(args.index, 2 * args.trials + 2000, args.seed)
    for backend in args.backends:
        state = State(backend, args.index, args.database_url)
        try:
            if args.part in ("all", "catalog", "overlay"):
                _catalog(args, console, customers, state)
            if args.part in ("all", "events"):
                _events(args, console, customers, state)
        finally:
            state.close()
    return 0


def _events(args: argparse.Namespace, console: Console, customers: list[str], state: State) -> None:
    """The live events' rows (issue 15) on one backend."""
    db, env, target = state.api("live")
    port = _free_port()
    proc = start_api(args.index, args.data, port, args.workers, db=db, env_extra=env)
    try:
        key = service_key(target)
        quiet, rows, fresh, polls = asyncio.run(
            _served(args, f"http://127.0.0.1:{port}", key, customers)
        )
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    cost = _fold_in_cost(args, customers, state)

    table = _table(f"Live events at {args.index} ({args.workers} API processes, {state.backend})")
    _latency_row(table, f"uncached feed alone ({args.reads:g}/s open loop)", "", quiet)
    for r in rows:
        how = "as fast as answered" if r["rate"] is None else f"paced at {r['rate']:,.0f}/s"
        _latency_row(
            table,
            f"ingest {how}, batches of {args.batch}",
            f"{r['events'] / r['seconds']:,.0f} events/s",
            r["batch_s"],
            f"{len(r['batch_s']):,} batches, {r['errors']} errors",
        )
        _latency_row(table, f"  uncached feed meanwhile ({args.reads:g}/s)", "", r["reads"])
    _latency_row(
        table,
        f"freshness: purchase 2xx → feed without it (ingest {args.rate[0]:,.0f}/s)",
        f"reads needed: max {max(polls)}",
        fresh,
    )
    for kind in ("event read", "customer", "feed"):
        base = statistics.median(cost[f"{kind}: no events"])
        for name, values in cost.items():
            if not name.startswith(kind):
                continue
            added = (statistics.median(values) - base) * 1000
            table.add_row(
                f"in process, {name}",
                "" if name.endswith("no events") else f"+{added:.2f} ms at p50",
                f"{_ms(values, 50):.2f}",
                f"{_ms(values, 99):.2f}",
                f"{len(values)}",
            )
    console.print(table)
    suffix = "" if state.backend == "sqlite" else f"-{state.backend}"
    _save(f"live{suffix}", {"quiet": quiet, "rows": rows, "fresh": fresh, "cost": cost})
    _plot(rows, fresh, cost, OUT / f"live{suffix}.png")


def _save(name: str, found: dict[str, Any]) -> None:
    """Every measurement of a run, for the docs' tables (bench/out/<name>.json)."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(found, default=float))


def _catalog(
    args: argparse.Namespace, console: Console, customers: list[str], state: State
) -> None:
    """The live catalog's rows (issue 16) on one backend: changes/s, visibility, the
    overlay's cost."""
    quiet: list[float] = []
    rows: list[Any] = []
    seen: list[float] = []
    if args.part != "overlay":
        db, env, target = state.api("catalog")
        port = _free_port()
        proc = start_api(args.index, args.data, port, args.workers, db=db, env_extra=env)
        try:
            key = service_key(target)
            base = f"http://127.0.0.1:{port}"
            quiet, rows, seen = asyncio.run(_catalog_served(args, base, key))
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    costs = {n: _overlay_cost(args, customers, n) for n in args.overlay}
    table = _table(f"Live catalog at {args.index} ({args.workers} API processes, {state.backend})")
    if quiet:
        _latency_row(table, f"uncached browse alone ({args.reads:g}/s open loop)", "", quiet)
    for r in rows:
        how = "as fast as answered" if r["rate"] is None else f"paced at {r['rate']:,.0f}/s"
        _latency_row(
            table,
            f"price/stock changes {how}, batches of {args.batch}",
            f"{r['changes'] / r['seconds']:,.0f} changes/s",
            r["batch_s"],
            f"{len(r['batch_s']):,} batches, {r['errors']} errors",
        )
        _latency_row(table, f"  uncached browse meanwhile ({args.reads:g}/s)", "", r["reads"])
    if seen:
        _latency_row(
            table,
            f"visibility: change 2xx → served by all {args.workers} processes "
            f"(changes {args.catalog_rate[0]:,.0f}/s)",
            f"max {max(seen) * 1000:.0f} ms",
            seen,
        )
    for n, cost in costs.items():
        table.add_row(
            f"in process: apply {n:,} changes (+10 new articles) at once",
            f"{cost['apply'][0] * 1000:.0f} ms",
            "",
            "",
            "1",
        )
        table.add_row(
            f"in process: a fresh copy with the {n:,} changes indexed (another process)",
            f"{cost['reindex'][0]:.0f} s",
            "",
            "",
            "1",
        )
        for kind in ("browse", "feed"):
            for name, values in cost.items():
                if not name.startswith(kind):
                    continue
                run = REINDEX_BASE if "re-index" in name else "no changes"
                base = statistics.median(cost[f"{kind}: {run}"])
                added = (statistics.median(values) - base) * 1000
                table.add_row(
                    f"  in process, {name}",
                    ""
                    if name.endswith(("no changes", REINDEX_BASE))
                    else f"{added:+.2f} ms at p50",
                    f"{_ms(values, 50):.2f}",
                    f"{_ms(values, 99):.2f}",
                    f"{len(values)}",
                )
    console.print(table)
    suffix = "" if state.backend == "sqlite" else f"-{state.backend}"
    _save(f"live-catalog{suffix}", {"quiet": quiet, "rows": rows, "seen": seen})
    _plot_catalog(rows, seen, costs, OUT / f"live-catalog{suffix}.png")


def _figure(path: Path) -> tuple[Any, Any]:
    """A figure of three panels side by side (its folder made)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    return plt.subplots(1, 3, figsize=(15, 4.2))


def _reads_while_writing(
    ax: Any, rows: list[Any], written: str, read: str, xlabel: str, title: str
) -> None:
    """Each row's read latency (p50, p99) against the rate of what it wrote."""
    for r in rows:
        label = "closed loop" if r["rate"] is None else f"paced {r['rate']:,.0f}/s"
        rate = r[written] / r["seconds"]
        ax.scatter(rate, _ms(r["reads"], 99), label=f"{label}: {read} p99")
        ax.scatter(rate, _ms(r["reads"], 50), marker="x", label=f"{label}: {read} p50")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"uncached {read} latency meanwhile, ms")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    ax.set_title(f"reads while {title}")


def _plot_catalog(rows: list[Any], seen: list[float], cost: dict[int, Any], path: Path) -> None:
    fig, axes = _figure(path)
    axes[0].axvline(500, color="grey", linestyle=":", label="target 500/s")
    _reads_while_writing(
        axes[0],
        rows,
        "changes",
        "browse",
        "catalog changes applied per second",
        "the catalog changes",
    )
    axes[1].hist(np.array(seen) * 1000, bins=40, color="tab:purple")
    axes[1].set_title("visibility: change 2xx → every process serves it")
    axes[1].set_xlabel("ms (target p99 < 2000)")
    sizes = sorted(cost)
    if not sizes:  # --overlay '': no in-process rows
        axes[2].set_visible(False)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        return
    for kind, colour in (("browse", "tab:blue"), ("feed", "tab:orange")):
        for state, run, style in (
            ("changes applied", "no changes", "o-"),
            ("changes, re-indexed", REINDEX_BASE, "s--"),
        ):
            added = []
            for n in sizes:
                changed = cost[n][f"{kind}: {n:,} {state}"]
                base = statistics.median(cost[n][f"{kind}: {run}"])
                added.append((statistics.median(changed) - base) * 1000)
            axes[2].plot(sizes, added, style, color=colour, label=f"uncached {kind}, {state}")
    axes[2].axhline(0.5, color="grey", linestyle=":", label="target +0.5 ms")
    axes[2].set_xscale("log")
    axes[2].set_xlabel("articles changed since the build")
    axes[2].set_ylabel("added latency at p50, ms")
    axes[2].legend(fontsize=7)
    axes[2].set_title("what the overlay costs, in process")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _plot(rows: list[Any], fresh: list[float], cost: Any, path: Path) -> None:
    fig, axes = _figure(path)
    _reads_while_writing(axes[0], rows, "events", "feed", "events ingested per second", "ingesting")
    axes[1].hist(np.array(fresh) * 1000, bins=40, color="tab:green")
    axes[1].set_title("freshness: purchase 2xx → feed reflects it")
    axes[1].set_xlabel("ms (target p99 < 1000)")
    names = [n for n in cost if n.startswith("feed")]
    axes[2].boxplot([np.array(cost[n]) * 1000 for n in names], showfliers=False)
    axes[2].set_xticks(range(1, len(names) + 1), [n[6:] for n in names], fontsize=8)
    axes[2].set_title("uncached feed in process, events read from a log")
    axes[2].set_ylabel("ms")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
