"""Soak run (issue 21): steady writes and reads for a bounded time against two API processes,
sampling each process's memory, the databases' sizes and the latency, interval by interval.

    python bench/soak.py --index var/e2e/index --data var/e2e/data --minutes 20

Starts `python -m api serve --workers 2` over an existing index with a database of its own
beside it (as bench/live.py does), then for ``--minutes`` (or ``--seconds``) drives, open
loop (Poisson arrivals, latency counted from the planned arrival):

* events: `POST /events` batches of ``--batch`` (80 % views, 15 % add-to-cart, 5 % purchases
  of sample customers) with a service key;
* catalog: `PATCH /admin/articles` batches of ``--catalog-batch`` price and stock changes
  with a merchandiser key;
* reads, uncached (a nonce each): browse, feed (service key), trending, search, similar.

Rates: ``--rate events=300,search=2`` (events and catalog in items a second, reads in requests
a second); every kind not named runs at ``--load`` (default 0.5) of its share of the machine:
each kind's capacity alone, measured closed loop for ``--probe`` seconds before the run,
divided by the number of kinds, so all together load the machine about half. With
``--probe 0`` the unnamed kinds run at DEFAULTS.

Price and stock changes are drawn from every article, or with ``--changed-articles N`` from a
seeded choice of N (a stock feed's working set): every article an update touches is copied out
of the engine's indexed segment into a new one, so the engine's memory follows the number of
articles changed since the build (see docs/live.md), which each sample records.

Every ``--every`` seconds it samples each API process's RSS, split into anonymous memory and
pages of mapped files (/proc: the server's spawned children, checked against the pids their
`/ready` reports), the size of every file beside the
database (``<db>.db``, ``<db>-events.db``, ``<db>-limits.db``, their -wal) and of the
index's replicas and versions folders (on disk: Edge's files are sparse), and per kind the
answers of the interval: p50, p99 and the failures by status (0: no answer; 429 apart).
Prints a table (start, after ``--warmup`` and end, with the slope after warm-up in MB/min;
latency per kind; errors) and saves bench/out/soak.png and bench/out/soak.json (every
sample, rewritten at each, so a run cut short keeps what it measured). Exits 1 on any error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from live import _articles, _changes, _customers, _ingest
from loadgen import (
    MEMORY,
    Load,
    Result,
    _free_port,
    api_key,
    drive,
    drive_open,
    memory_mb,
    process_tree,
    ready_pids,
    service_key,
    start_api,
    url_makers,
)
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
#: Reads and the rows of bench/api.py's URL makers that they are.
READS = {
    "browse": "browse (filtered)",
    "feed": "recommendations",
    "trending": "trending (filtered)",
    "search": "search",
    "similar": "similar",
}
WRITES = {"events": "events", "catalog": "changes"}
KINDS = (*WRITES, *READS)
#: Rates with ``--probe 0`` (a fraction of what the 2-core development machine serves of each
#: kind alone on the tiny world): events and catalog in items a second, reads in requests.
DEFAULTS = {
    "events": 200.0,
    "catalog": 20.0,
    "browse": 5.0,
    "feed": 5.0,
    "trending": 3.0,
    "search": 2.0,
    "similar": 5.0,
}


@dataclass
class Tally:
    """One kind's answers so far (lists its driver appends to) and what earlier intervals took."""

    latencies: list[float]
    codes: dict[int, int]
    taken: int = 0
    failed: dict[int, int] = field(default_factory=dict)

    def interval(self) -> dict[str, Any]:
        new = np.array(self.latencies[self.taken :]) * 1000
        self.taken += len(new)
        codes = {str(c): n - self.failed.get(c, 0) for c, n in self.codes.items()}
        self.failed = dict(self.codes)
        codes = {c: n for c, n in codes.items() if n}
        return {
            "n": len(new),
            "p50_ms": float(np.percentile(new, 50)) if len(new) else None,
            "p99_ms": float(np.percentile(new, 99)) if len(new) else None,
            "errors": sum(codes.values()),
            "codes": codes,
        }


@dataclass
class World:
    """What the load is made of: keys, customers, articles and the read URLs."""

    service: str
    merchandiser: str
    customers: list[str]
    articles: list[str]
    makers: dict[str, Any]
    #: The articles the catalog's changes are drawn from (None: all of them).
    changing: list[str] | None = None


def _writes(args: argparse.Namespace, kind: str) -> argparse.Namespace:
    """bench/live.py's writers' settings for ``kind``."""
    batch = args.batch if kind == "events" else args.catalog_batch
    return argparse.Namespace(posters=args.clients, batch=batch, seed=args.seed)


def _writer(
    kind: str,
    base: str,
    world: World,
    args: argparse.Namespace,
    stop: asyncio.Event,
    stats: dict[str, Any],
    rate: float | None,
) -> Any:
    """bench/live.py's event ingest or catalog changes, until ``stop`` (closed loop without
    ``rate``)."""
    how = _writes(args, kind)
    if kind == "events":
        people = world.customers
        return _ingest(base, world.service, people, world.articles, how, stop, stats, rate)
    changing = world.changing or world.articles
    return _changes(base, world.merchandiser, changing, how, stop, stats, rate)


def _stats() -> dict[str, Any]:
    return {"batch_s": [], "events": 0, "changes": 0, "errors": 0, "codes": {}}


async def _probe(base: str, load: Load, world: World, args: argparse.Namespace) -> dict[str, Any]:
    """Each kind alone, closed loop from ``--clients`` clients: what it answers a second."""
    capacity: dict[str, float] = {}
    for kind in WRITES:
        stats, stop = _stats(), asyncio.Event()
        t0 = time.perf_counter()
        job = asyncio.create_task(_writer(kind, base, world, args, stop, stats, None))
        await asyncio.sleep(args.probe)
        stop.set()
        await job
        capacity[kind] = stats[WRITES[kind]] / (time.perf_counter() - t0)
    probe = replace(load, clients=args.clients, seconds=args.probe)
    for kind, name in READS.items():
        r = await drive(probe, name, world.makers[name], cached=False)
        capacity[kind] = len(r.latencies) / r.seconds
    return capacity


def _rates(args: argparse.Namespace, capacity: dict[str, float]) -> dict[str, float]:
    asked = dict(args.rate)
    share = args.load / len(KINDS)
    return {k: asked.get(k, capacity[k] * share if k in capacity else DEFAULTS[k]) for k in KINDS}


def _workers(server: int) -> list[int]:
    """The API processes: the children `api serve` spawned (not its resource tracker)."""
    out = []
    for pid in process_tree(server):
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                out.append(pid)
        except OSError:
            continue
    return sorted(out)


#: Of the pages of mapped files, those of the process's own copy of the engine
#: (``<index>/store/replicas``) and those of the version's model files (``<index>/models``:
#: article matrices, the customer table), which every process maps from the same files, so
#: the machine holds them once however many processes count them.
MAPPED = {"copy_mb": ("store", "replicas"), "models_mb": ("models",)}


def _on_disk(path: Path) -> int:
    """Bytes a file or folder takes on disk (allocated blocks: Edge's files are sparse)."""
    if path.is_file():
        return path.stat().st_blocks * 512
    total = 0
    for folder, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(folder, f)).st_blocks * 512
            except OSError:  # removed meanwhile (a copy replaced)
                continue
    return total


def _sizes(db: Path, index: Path) -> dict[str, float]:
    """MB of every file beside the database (its -shm and lock files aside) and of the index's
    folders."""
    out = {
        f.name.replace(db.stem, "<db>", 1): f.stat().st_size / 2**20
        for f in sorted(db.parent.glob(f"{db.stem}*"))
        if f.is_file() and not f.name.endswith(("-shm", ".lock"))
    }
    for name in ("replicas", "versions"):
        out[f"index {name} (on disk)"] = _on_disk(index / "store" / name) / 2**20
    return out


def _sample(
    t: float, server: int, db: Path, index: Path, tallies: dict[str, Tally], changed: int
) -> Any:
    folders = {name: index.joinpath(*parts) for name, parts in MAPPED.items()}
    memory = {str(p): memory_mb(p, folders) for p in _workers(server)}
    return {
        "t": round(t, 2),
        **{name: {p: m[name] for p, m in memory.items()} for name in [*MEMORY, *MAPPED]},
        "sizes_mb": _sizes(db, index),
        "articles_changed": changed,
        "kinds": {k: tally.interval() for k, tally in tallies.items()},
    }


async def _soak(
    base: str, load: Load, world: World, args: argparse.Namespace, report: dict[str, Any]
) -> None:
    """Every kind at its rate for the run's seconds; a sample every ``--every`` seconds into
    ``report["samples"]`` (and the JSON file)."""
    rates, stop, tallies, jobs = report["rates"], asyncio.Event(), {}, []
    results: dict[str, Result] = {}
    stats = {kind: _stats() for kind in WRITES}
    for kind in WRITES:
        tallies[kind] = Tally(stats[kind]["batch_s"], stats[kind]["codes"])
        jobs.append(_writer(kind, base, world, args, stop, stats[kind], rates[kind]))
    for i, (kind, name) in enumerate(READS.items()):
        res = results[kind] = Result(name, f"open {rates[kind]:g}/s")
        tallies[kind] = Tally(res.latencies, res.codes)
        kind_load = replace(load, seed=args.seed + i)  # arrivals of their own
        jobs.append(drive_open(kind_load, name, world.makers[name], rates[kind], res))
    samples = report["samples"]
    t0 = time.perf_counter()

    def sample(t: float) -> Any:
        changed = len(stats["catalog"].get("changed", ()))
        return _sample(t, load.pid, report["db"], args.index, tallies, changed)

    samples.append(sample(0))
    tasks = [asyncio.create_task(j) for j in jobs]
    tick = 1
    while (due := tick * args.every) < load.seconds:  # the last: after the drain
        await asyncio.sleep(max(0.0, t0 + due - time.perf_counter()))
        samples.append(sample(due))
        _save(report, args.out)
        tick += 1
    await asyncio.sleep(max(0.0, t0 + load.seconds - time.perf_counter()))
    stop.set()
    await asyncio.gather(*tasks)
    seconds = time.perf_counter() - t0
    # The last interval also holds the answers in flight at the end.
    samples.append(sample(seconds))
    report["seconds"] = seconds
    report["overall_ms"] = {
        k: {f"p{q}": _ms(t.latencies, q) for q in (50, 99)} for k, t in tallies.items()
    }
    report["done"] = {k: stats[k][WRITES[k]] for k in WRITES}
    report["done"] |= {k: tallies[k].taken for k in READS}
    # Requests with no answer (status 0), by the client's exception: a timeout is the server's
    # queue, a reset or a refused connection is something else.
    report["no_answer"] = {k: dict(stats[k].get("failures", {})) for k in WRITES}
    report["no_answer"] |= {k: dict(results[k].failures) for k in READS}


def _save(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(report, indent=1, default=str))
    tmp.replace(path)


def _slope(ts: list[float], ys: Sequence[float | None], warmup: float) -> float:
    """MB per minute after ``warmup`` seconds (least squares), NaN with under two samples."""
    pts = [(t / 60, y) for t, y in zip(ts, ys, strict=True) if t >= warmup and y is not None]
    if len(pts) < 2:
        return float("nan")
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


def _series(samples: list[Any], group: str) -> dict[str, list[float | None]]:
    names = sorted({n for s in samples for n in s[group]})
    return {n: [s[group].get(n) for s in samples] for n in names}


def _ms(latencies: list[float], q: float) -> float | None:
    return float(np.percentile(np.array(latencies) * 1000, q)) if latencies else None


def _table(report: dict[str, Any], warmup: float) -> tuple[Table, Table]:
    samples = report["samples"]
    ts = [s["t"] for s in samples]
    after = next((i for i, t in enumerate(ts) if t >= warmup), len(ts) - 1)
    grow = Table(
        title=f"Soak: {report['seconds'] / 60:.1f} min, {report['workers']} API processes, "
        f"warm-up {warmup:.0f} s"
    )
    for col in ("MB", "start", f"at {ts[after]:.0f} s", "end", "MB/min after warm-up"):
        grow.add_column(col, justify="left" if col == "MB" else "right")
    rows = []
    for group, what in (
        ("rss_mb", "RSS"),
        ("anon_mb", "  anonymous"),
        ("file_mb", "  file-backed"),
        ("copy_mb", "    of which its engine copy"),
        ("models_mb", "    of which model files (shared)"),
    ):
        rows += [(f"{what}, process {p}", v) for p, v in _series(samples, group).items()]
    rows += list(_series(samples, "sizes_mb").items())
    for name, ys in rows:
        cells = [f"{y:,.1f}" if y is not None else "-" for y in (ys[0], ys[after], ys[-1])]
        grow.add_row(name, *cells, f"{_slope(ts, ys, warmup):+.3f}")
    changed = [float(s.get("articles_changed", 0)) for s in samples]
    cells = [f"{changed[i]:,.0f}" for i in (0, after, -1)]
    grow.add_row(
        "articles changed (distinct, not MB)", *cells, f"{_slope(ts, changed, warmup):+,.0f}"
    )
    lat = Table(title="Per kind: rates a second, latency ms (writes: a batch), errors")
    cols = ("kind", "alone", "asked", "done", "n", "p50", "p99", "p99/iv med", "p99/iv max")
    for col in (*cols, "errors", "429"):
        lat.add_column(col, justify="left" if col == "kind" else "right")
    for kind in KINDS:
        got = [s["kinds"][kind] for s in samples]
        late = [g["p99_ms"] for g, t in zip(got, ts, strict=True) if t > warmup and g["p99_ms"]]
        codes: dict[str, int] = {}
        for g in got:
            for c, n in g["codes"].items():
                codes[c] = codes.get(c, 0) + n
        overall = report["overall_ms"][kind]
        lat.add_row(
            kind,
            f"{report['capacity'][kind]:,.0f}" if kind in report["capacity"] else "-",
            f"{report['rates'][kind]:,.1f}",
            f"{report['done'][kind] / report['seconds']:,.1f}",
            f"{sum(g['n'] for g in got):,}",
            *(f"{v:.1f}" if v is not None else "-" for v in (overall["p50"], overall["p99"])),
            f"{np.median(late):.1f}" if late else "-",
            f"{max(late):.1f}" if late else "-",
            str(sum(n for c, n in codes.items() if c != "429")),
            str(codes.get("429", 0)),
        )
    return grow, lat


def _plot(report: dict[str, Any], warmup: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = report["samples"]
    minutes = [s["t"] / 60 for s in samples]
    fig, axes = plt.subplots(1, 4, figsize=(21, 4.4))
    panels = (
        ({"rss_mb": ("RSS", ".-"), "anon_mb": ("anonymous", "--")}, "RSS and its anonymous part"),
        (
            {"copy_mb": ("engine copy", ".-"), "models_mb": ("model files", "--")},
            "pages of mapped files",
        ),
    )
    for ax, (styles, title) in zip(axes, panels, strict=False):
        for n, pid in enumerate(_series(samples, "rss_mb")):
            for group, (what, style) in styles.items():
                ys = [s.get(group, {}).get(pid) for s in samples]
                y = [np.nan if v is None else v for v in ys]
                ax.plot(minutes, y, style, label=f"{what}, process {pid}", color=f"C{n}")
        ax.set_title(f"{title}, MB")
    changed = [s.get("articles_changed", 0) for s in samples]
    if any(changed):
        twin = axes[1].twinx()
        twin.plot(minutes, changed, color="grey", lw=1)
        twin.set_ylabel("articles changed (distinct)", color="grey")
    for name, ys in _series(samples, "sizes_mb").items():
        axes[2].plot(minutes, [np.nan if y is None else y for y in ys], ".-", label=name)
    axes[2].set_title("databases and index folders, MB")
    axes[2].set_yscale("log")
    for kind in KINDS:
        got = [s["kinds"][kind]["p99_ms"] for s in samples[1:]]
        axes[3].plot(minutes[1:], [np.nan if g is None else g for g in got], ".-", label=kind)
    axes[3].set_yscale("log")
    axes[3].set_title("p99 per interval, ms (writes: a batch)")
    for ax in axes:
        ax.axvspan(0, warmup / 60, color="grey", alpha=0.15, label="warm-up")
        ax.set_xlabel("minutes")
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--minutes", type=float, default=20.0)
    p.add_argument("--seconds", type=float, help="the run's length instead of --minutes")
    p.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    p.add_argument("--warmup", type=float, help="seconds (default: a quarter, at most 300)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--rate",
        type=lambda v: [(k, float(x)) for k, x in (kv.split("=") for kv in v.split(","))],
        default=[],
        help=f"kind=rate,... for any of {', '.join(KINDS)}",
    )
    p.add_argument("--load", type=float, default=0.5, help="share of the probed capacity")
    p.add_argument("--probe", type=float, default=5.0, help="seconds per kind (0: DEFAULTS)")
    p.add_argument("--clients", type=int, default=4, help="closed-loop clients of the probe")
    p.add_argument("--batch", type=int, default=20, help="events a POST")
    p.add_argument("--catalog-batch", type=int, default=10, help="changes a PATCH")
    p.add_argument(
        "--changed-articles",
        type=int,
        help="draw the price and stock changes from this many articles (a seeded choice; "
        "default: from every article)",
    )
    p.add_argument("--seed", type=int, default=21)
    p.add_argument("--out", type=Path, default=OUT / "soak.json", help="and its .png beside")
    p.add_argument("--keep-db", action="store_true", help="keep the run's databases")
    args = p.parse_args()
    if unknown := {k for k, _ in args.rate} - set(KINDS):
        p.error(f"--rate: unknown kinds {sorted(unknown)}; the kinds are {', '.join(KINDS)}")
    return args


def main() -> int:
    args = _args()
    seconds = args.seconds or args.minutes * 60
    warmup = args.warmup if args.warmup is not None else min(300.0, seconds / 4)
    console = Console(width=max(120, Console().width))
    db = args.index.resolve().parent / f"soak-{int(time.time())}.db"
    customers = _customers(args.index, 500, args.seed)
    port = _free_port()
    # The API's own log beside the samples: a slow or failed interval can be read back.
    log = args.out.with_suffix(".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    proc = start_api(args.index, args.data, port, args.workers, db=db, log=log)
    try:
        world = World(
            service_key(db),
            api_key(db, "merchandiser"),
            customers,
            _articles(args.data),
            url_makers(args.data, args.seed),
        )
        if args.changed_articles:
            world.changing = random.Random(args.seed).sample(world.articles, args.changed_articles)
        answered, spawned = ready_pids(port, args.workers), _workers(proc.pid)
        if answered != set(spawned):
            console.print(f"[red]/ready answered from {answered}, the server spawned {spawned}")
        base = f"http://127.0.0.1:{port}"
        load = Load(port, proc.pid, 0, seconds, args.seed, world.service, args.workers)
        capacity = asyncio.run(_probe(base, load, world, args)) if args.probe else {}
        report: dict[str, Any] = {
            "index": str(args.index),
            "workers": args.workers,
            "pids": spawned,
            "db": db,
            "warmup_s": warmup,
            "capacity": capacity,
            "rates": _rates(args, capacity),
            "changed_articles": args.changed_articles or len(world.articles),
            "samples": [],
        }
        alone = {k: round(v) for k, v in capacity.items()}
        asked = {k: round(v, 1) for k, v in report["rates"].items()}
        console.print(f"a second: each kind alone (closed loop) {alone}; asked {asked}")
        asyncio.run(_soak(base, load, world, args, report))
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        if not args.keep_db:
            for f in db.parent.glob(f"{db.stem}*"):
                _remove(f)
    # A process that died, or one started in its place, is a failure of the run.
    first = {str(p) for p in spawned}
    last = {p for p, mb in report["samples"][-1]["rss_mb"].items() if mb}
    left = (set(_series(report["samples"], "rss_mb")) - first) | (first - last)
    report["restarted"] = sorted(left)
    _save(report, args.out)
    grow, lat = _table(report, warmup)
    console.print(grow, lat)
    errors = sum(s["kinds"][k]["errors"] for s in report["samples"] for k in KINDS)
    console.print(f"errors: {errors}; API processes restarted or gone: {len(left)}")
    if no_answer := {k: v for k, v in report.get("no_answer", {}).items() if v}:
        console.print(f"no answer, by the client's exception: {no_answer}")
    _plot(report, warmup, args.out.with_suffix(".png"))
    console.print(f"saved {args.out} and {args.out.with_suffix('.png')}")
    return 1 if errors or left else 0


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
