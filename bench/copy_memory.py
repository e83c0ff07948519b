"""What a process's copy of the engine holds as the live catalog changes (issue 21's soak).

    python bench/copy_memory.py --index /root/lookbook-hm/index --data /root/lookbook-hm/data
    python bench/copy_memory.py --index ... --data ... --working-set 10000

One process, no API: it opens a private copy of the published version's articles shard (as an
API process does), then for ``--cycles`` cycles sets the price of ``--changes`` articles
(batches of ten, as the catalog applies a stock feed), makes the fresh, indexed copy a
re-index makes (`EdgeStore.reindexed`: a copy of the version's files with every change since
the build applied and indexed by another process), swaps it in, retires the old copy as the
API does (close, give the heap back), and reads it as requests would (``--queries`` nearest
neighbour searches on each named vector). After each cycle it records the process's RSS,
split into anonymous memory and pages of mapped files (/proc/self/status), the pages mapped
from its copy under replicas/ (/proc/self/smaps) and the number of distinct articles changed
since the build.

An update moves the point it touches out of its indexed segment into a new one (Qdrant's
segments are copy-on-write), and each fresh copy starts again from the version's files, so a
copy holds every article changed since the build twice: once deleted in a built segment, once
in the segment of changed points. The articles are drawn from every article, or with
``--working-set N`` from a seeded choice of N (a stock feed that keeps re-pricing the same
articles). Prints a table (memory after each swap, and the slope in KB per article changed),
saves bench/out/copy_memory.json and .png.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loadgen import memory_mb  # noqa: E402

from core.catalog import point_id  # noqa: E402
from core.memory import give_back, limit_arenas  # noqa: E402
from core.store.base import ARTICLES, SetPayload, VectorQuery  # noqa: E402
from core.store.edge import EdgeStore  # noqa: E402
from core.store.edge_copies import REPLICAS  # noqa: E402
from core.store.edge_reader import EdgeReader  # noqa: E402

OUT = ROOT / "bench" / "out"


def read(reader: EdgeReader, queries: int, rng: np.random.Generator) -> None:
    """Nearest-neighbour searches on every named vector, as the API's requests make."""
    sizes = {"cf": 64, "cf_cosine": 64, "image": 128, "text": 384}
    for using, size in sizes.items():
        for _ in range(queries):
            q = rng.standard_normal(size).astype(np.float32)
            try:
                reader.search(ARTICLES, VectorQuery(using, q.tolist(), 50))
            except Exception:  # a vector this version does not have (its image size)
                break


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--changes", type=int, default=10_000, help="price changes a cycle")
    p.add_argument("--cycles", type=int, default=6)
    p.add_argument("--working-set", type=int, help="draw the articles from this many")
    p.add_argument("--queries", type=int, default=200, help="searches a vector after a swap")
    p.add_argument("--seed", type=int, default=21)
    p.add_argument("--out", type=Path, default=OUT / "copy_memory.json")
    args = p.parse_args()
    import pandas as pd

    limit_arenas(2)  # as an API worker does
    console = Console()
    articles = pd.read_csv(args.data / "articles.csv", usecols=["article_id"], dtype=str)
    ids = [point_id(a) for a in articles.article_id]
    rng, nrng = random.Random(args.seed), np.random.default_rng(args.seed)
    pool = rng.sample(ids, args.working_set) if args.working_set else ids
    store = EdgeStore(args.index / "store", private_copies=True)
    # The process's copies of the engine (one mapped at a time: the old one is closed first).
    copies = {"copy_mb": store.root / REPLICAS}
    reader = store.open_reader(collections=[ARTICLES])
    assert isinstance(reader, EdgeReader)
    read(reader, args.queries, nrng)
    changed: set[int] = set()
    rows: list[dict[str, Any]] = [
        {"cycle": 0, "changed": 0, "reindex_s": 0.0, **memory_mb("self", copies)}
    ]
    for cycle in range(1, args.cycles + 1):
        for _ in range(args.changes // 10):
            batch = rng.sample(pool, 10)
            changed.update(batch)
            price = round(rng.uniform(5, 80), 2)
            reader.apply(ARTICLES, [SetPayload(tuple(batch), {"price": price})])
        started = time.perf_counter()
        fresh = store.reindexed(reader, timeout_s=3600)
        assert isinstance(fresh, EdgeReader)
        took = time.perf_counter() - started
        reader.close()
        del reader
        gc.collect()
        give_back()
        reader = fresh
        read(reader, args.queries, nrng)
        row = {"cycle": cycle, "changed": len(changed), "reindex_s": took}
        rows.append(row | memory_mb("self", copies))
        console.print(
            f"cycle {cycle}: {len(changed):,} articles changed, re-index {took:.1f} s, "
            f"RSS {rows[-1]['rss_mb']:,.0f} MB"
        )
    reader.close()

    table = Table(
        title=f"After each swap: {len(ids):,} articles, {args.changes:,} price changes a "
        f"cycle, drawn from {len(pool):,}"
    )
    cols = ("cycle", "articles changed", "re-index s", "RSS MB", "anonymous", "files", "copy")
    for col in cols:
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            str(r["cycle"]),
            f"{r['changed']:,}",
            f"{r['reindex_s']:.1f}",
            *(f"{r[k]:,.0f}" for k in ("rss_mb", "anon_mb", "file_mb", "copy_mb")),
        )
    console.print(table)
    slopes = {}
    x = np.array([r["changed"] for r in rows], dtype=float)
    if np.ptp(x) > 0:
        for k in ("rss_mb", "anon_mb", "file_mb", "copy_mb"):
            slopes[k] = float(np.polyfit(x, [r[k] for r in rows], 1)[0] * 1024)  # KB/article
        console.print(
            "KB per article changed (least squares over the swaps): "
            + ", ".join(f"{k[:-3]} {v:+.2f}" for k, v in slopes.items())
        )
    report = {
        "index": str(args.index),
        "articles": len(ids),
        "working_set": len(pool),
        "changes_per_cycle": args.changes,
        "rows": rows,
        "kb_per_article_changed": slopes,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    _plot(report, args.out.with_suffix(".png"))
    console.print(f"saved {args.out} and {args.out.with_suffix('.png')}")
    return 0


def _plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["rows"]
    x = [r["changed"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.4))
    for key, label in (
        ("rss_mb", "RSS"),
        ("anon_mb", "anonymous"),
        ("file_mb", "mapped files"),
        ("copy_mb", "the engine copy's files"),
    ):
        ax.plot(x, [r[key] for r in rows], "o-", label=label)
    ax.set_xlabel("articles changed since the build (distinct)")
    ax.set_ylabel("MB after the swap")
    ax.set_title(
        f"{report['articles']:,} articles, changes drawn from {report['working_set']:,}",
        fontsize=10,
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
