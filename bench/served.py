"""What shoppers see, judged against the exact answer: the served top 12 of a ranked request
against the exact blend's top 12, at each HNSW beam width (`hnsw_ef`).

    python bench/served.py --index /root/lookbook-hm/index --data /root/lookbook-hm/data \
        [--sweep 100,256] [--candidates 100,200] [--scan 100,1000] [--requests 60]

The served page is the engine's: one HNSW prefetch per signal (`--candidates` each, the
setting `LOOKBOOK_RANKING__CANDIDATES`; beam width `--sweep`, `core.store.filters.CANDIDATE_EF`)
under the request's filter, re-scored exactly, blended, collapsed. The exact page is the same
request with the candidate search replaced by every article that passes the filter. The
normalisation does not depend on the pool (`scoring.normalise`), so the exact page is the
blend over every such article and differs from the served one only by what the prefetches
missed. "agreement" is the share of
the exact top 12 the served page contains, over feeds of customers who bought something,
similar items and text searches, each under a shop filter (a product type, a colour, a price
range, or none). The p50 and p99 are of the served requests, "cpu" the process's CPU time per
request (every request here is uncached: the ranking functions are called directly). Similar
items take their cf candidates from an exact scan of `--scan` articles (`ranking.similar.
SCAN_CANDIDATES`; the scan costs the same for any number). "feed, learned" is the feed ordered
by the version's learned ranker (its agreement is not defined: no exact answer to compare).
Prints a table and saves bench/out/served.png.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

OUT = Path(__file__).resolve().parent / "out"
# bench/api.py would hide the `api` package, and this file's folder is first on the path.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != OUT.parent]

Ask = Callable[[], list[str]]
LEARNED = "feed, learned"


def shop_filters(data: Path, rng: random.Random, n: int) -> list[Any]:
    """``n`` filters as a shop's pages set them: a product type, a colour, a price range."""
    from ranking.request import ListFilters

    arts = pd.read_csv(
        data / "articles.csv", dtype=str, usecols=["product_type_name", "colour_group_name"]
    )
    types = arts.product_type_name.value_counts().index[:20].tolist()
    colours = arts.colour_group_name.value_counts().index[:12].tolist()
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            out.append(ListFilters())
        elif kind == 1:
            out.append(ListFilters(category=(rng.choice(types),)))
        elif kind == 2:
            out.append(ListFilters(colour=(rng.choice(colours),)))
        else:
            lo = rng.randint(5, 40)
            out.append(ListFilters(min_price=lo, max_price=lo + rng.randint(10, 40)))
    return out


def buyers(snap: Any, rng: random.Random, n: int) -> list[str]:
    """``n`` customers who bought something, drawn from the index."""

    with np.load(snap.models_dir / "ids.npz", allow_pickle=False) as f:
        ids = [str(c) for c in f["customer_id"]]
    found: list[str] = []
    while len(found) < n:
        c = rng.choice(ids)
        row = snap.customers.get(c) if snap.customers is not None else None
        if row is not None and row.n_purchases > 0:
            found.append(c)
    return found


@contextmanager
def every_candidate(snap: Any) -> Iterator[None]:
    """Within: the candidate search answers every article that passes the filter."""
    columns, reader = snap.columns, snap.reader

    def all_passing(collection: str, queries: Any, flt: Any = None) -> list[int]:
        return [int(i) for i in columns.ids[columns.mask(flt)]]

    reader.candidates = all_passing
    try:
        yield
    finally:
        del reader.candidates


def requests(snap: Any, settings: Any, data: Path, n: int, seed: int) -> dict[str, list[Ask]]:
    from ranking.feed import feed
    from ranking.request import Page
    from ranking.search import search
    from ranking.similar import similar

    rng = random.Random(seed)
    flts = shop_filters(data, rng, n)
    page = Page(limit=12)
    customers = buyers(snap, rng, n)
    with np.load(snap.models_dir / "ids.npz", allow_pickle=False) as f:
        articles = rng.sample([str(a) for a in f["article_id"]], n)
    words = ["black", "dress", "denim", "striped", "cotton", "jersey", "knit", "short", "soft"]
    queries = [" ".join(rng.sample(words, 2)) for _ in range(n)]

    def ids(ranked: Any) -> list[str]:
        return [r.payload["article_id"] for r in ranked.records]

    learned = settings.model_copy(
        update={"ranking": settings.ranking.model_copy(update={"ranker": "learned"})}
    )
    asks = {
        "feed": [
            (lambda c=c, f=f: ids(feed(snap, settings, c, None, f, page)[0]))
            for c, f in zip(customers, flts, strict=True)
        ],
        "similar": [
            (lambda a=a, f=f: ids(similar(snap, settings, a, f, page)))
            for a, f in zip(articles, flts, strict=True)
        ],
        "search": [
            (lambda q=q, f=f: ids(search(snap, settings, f, page, text=snap.embed_text(q))))
            for q, f in zip(queries, flts, strict=True)
        ],
    }
    if snap.ranker is not None:
        asks[LEARNED] = [
            (lambda c=c, f=f: ids(feed(snap, learned, c, None, f, page)[0]))
            for c, f in zip(customers, flts, strict=True)
        ]
    return asks


def run(
    index: Path, data: Path, efs: list[int], pools: list[int], scans: list[int], n: int, seed: int
) -> dict[str, dict[tuple[int, int, int], Any]]:
    from core.settings import Settings
    from core.store import filters, open_store
    from ranking import similar
    from ranking.index import LiveIndex

    settings = Settings(index_dir=index, data_dir=data)
    live = LiveIndex(settings, open_store(settings))
    snap = live.snapshot()
    out: dict[str, dict[tuple[int, int, int], Any]] = {}
    try:
        for name, asks in requests(snap, settings, data, n, seed).items():
            exact: list[list[str] | None] = [None] * len(asks)
            if name != LEARNED:
                with every_candidate(snap):
                    exact = [ask() for ask in asks]
            out[name] = {}
            kind_scans = scans if name == "similar" else scans[:1]
            for pool, ef, scan in ((p, e, c) for p in pools for e in efs for c in kind_scans):
                filters.CANDIDATE_EF = ef
                settings.ranking.candidates = pool
                similar.SCAN_CANDIDATES = scan
                for ask in asks[:3]:  # warm: the first requests load what a version caches
                    ask()
                times, cpu, shares = [], [], []
                for ask, want in zip(asks, exact, strict=True):
                    start, start_cpu = time.perf_counter(), time.process_time()
                    got = ask()
                    times.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - start_cpu)
                    if want is not None:
                        shares.append(len(set(got) & set(want)) / len(want) if want else 1.0)
                ms = np.array(times) * 1000
                out[name][pool, ef, scan] = {
                    "agreement": float(np.mean(shares)) if shares else None,
                    "worst": float(np.min(shares)) if shares else None,
                    "p50": float(np.percentile(ms, 50)),
                    "p99": float(np.percentile(ms, 99)),
                    "cpu": float(np.mean(cpu) * 1000),
                }
                Console().print(name, pool, ef, scan, out[name][pool, ef, scan])
    finally:
        live.close()
    return out


def plot(results: dict[str, dict[tuple[int, int], Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, by_ef in results.items():
        efs = sorted(k for k, r in by_ef.items() if r["agreement"] is not None)
        if not efs:
            continue
        ax.plot(
            [by_ef[e]["p50"] for e in efs], [by_ef[e]["agreement"] for e in efs], "o-", label=name
        )
        for e in efs:
            label = "/".join(map(str, e))
            ax.annotate(label, (by_ef[e]["p50"], by_ef[e]["agreement"]), fontsize=7)
    ax.axhline(0.99, color="grey", lw=0.8, ls=":", label="target 0.99")
    ax.set_xlabel("served request p50 (ms), labels: candidates/hnsw_ef/similar scan")
    ax.set_ylabel("share of the exact top 12 served")
    ax.legend(fontsize=8)
    ax.set_title("Served page against the exact blend")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True, help="LOOKBOOK_INDEX_DIR of a built index")
    p.add_argument("--data", type=Path, required=True, help="the data folder it was built from")
    p.add_argument("--sweep", default="100,256", help="candidate search hnsw_ef values")
    p.add_argument("--candidates", default="100", help="prefetch sizes (per signal)")
    p.add_argument("--scan", default="100,1000", help="similar items' exact cf scan sizes")
    p.add_argument("--requests", type=int, default=60, help="per kind of request")
    p.add_argument("--seed", type=int, default=5)
    args = p.parse_args()
    efs = [int(x) for x in args.sweep.split(",") if x]
    pools = [int(x) for x in args.candidates.split(",") if x]
    scans = [int(x) for x in args.scan.split(",") if x]
    results = run(args.index, args.data, efs, pools, scans, args.requests, args.seed)
    table = Table(title=f"Served top 12 against the exact blend ({args.requests} requests each)")
    cols = ("request", "candidates", "hnsw_ef", "scan", "agreement", "worst", "p50 ms", "p99 ms")
    for col in (*cols, "cpu ms"):
        table.add_column(col, justify="left" if col == "request" else "right")
    for name, by_ef in results.items():
        for (pool, ef, scan), r in sorted(by_ef.items()):
            table.add_row(
                name,
                str(pool),
                str(ef),
                str(scan) if name == "similar" else "",
                "" if r["agreement"] is None else f"{r['agreement']:.4f}",
                "" if r["worst"] is None else f"{r['worst']:.2f}",
                f"{r['p50']:.2f}",
                f"{r['p99']:.2f}",
                f"{r['cpu']:.2f}",
            )
    Console().print(table)
    OUT.mkdir(parents=True, exist_ok=True)
    plot(results, OUT / "served.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
