"""The live catalog's visibility with a re-index inside the run (issue 21).

    python bench/visibility.py --index /root/lookbook-hm/index --data /root/lookbook-hm/data

Starts `python -m api serve` (``--workers``, default 2) over an existing index with an empty
database of its own and its log in a file; posts price and stock changes paced at ``--rate``
(500 a second, batches of ``--batch``) in the background, so that each process passes
`LOOKBOOK_LIVE__REINDEX_AFTER` written points within seconds and makes a fresh, indexed copy
of its engine while the trials run; then, for at least ``--trials`` changes of articles no
background change touches (and on until every process has swapped its fresh copy in, so that
whole re-indexes lie inside the run), the time from the change's 2xx until every API process
serves it (each process's `/ready` reports its sequence number, read on fresh connections).

The log says when each process's re-index started (the copy), when its indexing process
finished, and when the fresh copy was swapped in, so the table splits the trials by whether a
re-index of any process was under way when the change was answered. Prints the table, saves
bench/out/visibility.png and the raw trials as bench/out/visibility.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from live import OUT, _articles, _changes, _latency_row, _table
from loadgen import _free_port, service_key, start_api
from rich.console import Console

#: Log messages of `ranking.index` that mark a re-index's steps.
STARTED = "re-index started"
SWAPPED = "serving a fresh indexed copy"


async def _trials(
    base: str, key: str, articles: list[str], trials: int, workers: int, log: Path | None
) -> list[tuple[float, float]]:
    """Per change: (epoch seconds of its 2xx, seconds until every process serves it): at
    least ``trials``, and with ``log``, on until every process swapped a fresh copy in."""
    out = []
    async with httpx_client(base, key) as c:
        for i, aid in enumerate(articles):
            if i >= trials and (log is None or _swapped(log) >= workers):
                break
            price = round(5 + (i % 750) / 10, 2)
            r = await c.patch(f"/admin/articles/{aid}", json={"price": price}, timeout=30)
            acked, wall = time.perf_counter(), time.time()
            assert r.status_code == 200, r.text
            seq = r.json()["seq"]
            seen: dict[int, float] = {}
            while len(seen) < workers:
                async with httpx_client(base) as fresh:
                    ready = (await fresh.get("/ready", timeout=30)).json()
                if ready["catalog_seq"] >= seq and ready["process"] not in seen:
                    seen[ready["process"]] = time.perf_counter() - acked
                if time.perf_counter() - acked > 30:
                    raise AssertionError(f"seq {seq} not served by every process in 30 s")
            out.append((wall, max(seen.values())))
    return out


def httpx_client(base: str, key: str | None = None) -> httpx.AsyncClient:
    headers = {"X-API-Key": key} if key else {}
    return httpx.AsyncClient(base_url=base, headers=headers)


async def _run(
    args: argparse.Namespace, base: str, key: str, log: Path
) -> list[tuple[float, float]]:
    every = _articles(args.data)
    background, reserved = every[: -args.most], every[-args.most :]
    stop = asyncio.Event()
    stats: dict[str, Any] = {"batch_s": [], "changes": 0, "errors": 0, "failed": {}}
    job = asyncio.create_task(_changes(base, key, background, args, stop, stats, args.rate))
    await asyncio.sleep(args.lead)
    try:
        swapped = log if args.until_swapped else None
        return await _trials(base, key, reserved, args.trials, args.workers, swapped)
    finally:
        stop.set()
        await job


def _swapped(log: Path) -> int:
    """How many re-indexes the log shows swapped in."""
    return sum(1 for w in reindex_windows(log) if w["end"] is not None)


def _ts(line: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(line["ts"]).replace("Z", "+00:00")).timestamp()


def reindex_windows(log: Path) -> list[dict[str, Any]]:
    """Each re-index the log shows: its process, when it started and when the fresh copy was
    swapped in (None: not within the run)."""
    runs: dict[int, dict[str, Any]] = {}
    out = []
    for raw in log.read_text(errors="replace").splitlines():
        if not raw.startswith("{"):
            continue
        line = json.loads(raw)
        msg, pid = str(line.get("msg", "")), int(line.get("pid", 0))
        if msg.startswith(STARTED):
            runs[pid] = {"process": pid, "start": _ts(line), "end": None}
            out.append(runs[pid])
        elif msg.startswith(SWAPPED) and pid in runs:
            runs.pop(pid)["end"] = _ts(line)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--rate", type=float, default=500.0, help="background changes a second")
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--trials", type=int, default=200)
    p.add_argument("--lead", type=float, default=5.0, help="seconds of changes before trials")
    p.add_argument(
        "--until-swapped",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="go on past --trials until every process swapped a fresh copy in (at most --most)",
    )
    p.add_argument("--most", type=int, default=2000, help="trials at most")
    p.add_argument("--reindex-after", type=int, default=5000)
    p.add_argument("--seed", type=int, default=15)
    args = p.parse_args()
    args.posters = 1
    OUT.mkdir(parents=True, exist_ok=True)
    db = args.index.parent / f"visibility-{int(time.time())}.db"
    log = OUT / "visibility.log"
    log.unlink(missing_ok=True)
    port = _free_port()
    extra = {"LOOKBOOK_LIVE__REINDEX_AFTER": str(args.reindex_after)}
    proc = start_api(args.index, args.data, port, args.workers, db=db, log=log, env_extra=extra)
    try:
        key = service_key(db)
        trials = asyncio.run(_run(args, f"http://127.0.0.1:{port}", key, log))
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    windows = reindex_windows(log)
    inside = [
        s for t, s in trials if any(w["start"] <= t <= (w["end"] or float("inf")) for w in windows)
    ]
    outside = [
        s
        for t, s in trials
        if not any(w["start"] <= t <= (w["end"] or float("inf")) for w in windows)
    ]
    seen = [s for _, s in trials]
    table = _table(f"Catalog visibility at {args.index} ({args.workers} API processes)")
    how = f"changes {args.rate:,.0f}/s meanwhile"
    _latency_row(table, f"change 2xx → served by all processes ({how})", "", seen)
    _latency_row(table, "  answered while a re-index was under way", "", inside)
    _latency_row(table, "  answered with no re-index under way", "", outside)
    for w in windows:
        took = f"{w['end'] - w['start']:.1f} s" if w["end"] else "not swapped in"
        table.add_row(f"re-index of process {w['process']}", took, "", "", "")
    Console().print(table)
    t0 = trials[0][0] if trials else 0.0
    (OUT / "visibility.json").write_text(
        json.dumps({"trials": trials, "reindexes": windows, "args": vars(args)}, default=str)
    )
    _plot(trials, windows, t0, OUT / "visibility.png")
    return 0


def _plot(
    trials: list[tuple[float, float]], windows: list[dict[str, Any]], t0: float, path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    xs = np.array([t - t0 for t, _ in trials])
    ax.plot(xs, [s * 1000 for _, s in trials], ".", label="change → served by all processes")
    for i, w in enumerate(windows):
        end = (w["end"] or (trials[-1][0] if trials else w["start"])) - t0
        ax.axvspan(w["start"] - t0, end, alpha=0.15, color=f"C{i + 1}", label=f"re-index {i + 1}")
    ax.axhline(1000, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("seconds into the trials")
    ax.set_ylabel("ms")
    ax.set_title("Catalog visibility with a re-index inside the run")
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"saved {path}")


if __name__ == "__main__":
    raise SystemExit(main())
