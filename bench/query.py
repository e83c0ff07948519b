"""Filtered three-prefetch queries at H&M scale: Qdrant Edge vs qdrant-client local mode vs numpy.

Each query is what a request sends to the store: three prefetches (text, image, cf), limit 12
each, under a shop filter (category, colour, price range in varying combinations). Reported:
p50 and p99 latency, and recall@12 of the candidate union against the exact answer (numpy with
a pandas filter). Vectors are clustered per product type, like real embeddings, not uniform.

    python bench/query.py [--articles 105542] [--queries 500] [--local-queries 20]
                          [--sweep 32,64,128,256]

``--sweep`` also measures Edge at other HNSW beam widths (``hnsw_ef``) on the same queries and
plots recall@12 against p50 and p99: the trade-off the production setting
(`core.store.filters.HNSW_EF`) is picked from. Its recall is of each prefetch on synthetic
vectors; `bench/served.py` judges the same sweep by what shoppers see instead: the served
top 12 of real feed, similar and search requests against the exact blend's top 12.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from qdrant_client import QdrantClient
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.settings import QdrantSettings
from core.store import filters
from core.store.base import (
    AnyOf,
    CollectionSpec,
    Filter,
    Match,
    Point,
    Range,
    Store,
    StoreReader,
    VectorQuery,
)
from core.store.edge import EdgeStore
from core.store.server import ServerStore

DIMS = {"text": 384, "image": 64, "cf": 64}
LIMIT = 12
COLOURS = [f"colour {i}" for i in range(50)]
TYPES = [f"type {i}" for i in range(130)]
GROUPS = [f"group {i}" for i in range(19)]
SPEC = CollectionSpec(
    vectors=DIMS,
    dot_vectors=("cf",),
    keyword_fields=("colour_group_name", "product_type_name", "product_group_name"),
    float_fields=("price",),
)
Run = Callable[[list[VectorQuery], Filter], list[int]]


def make_catalog(n: int, seed: int) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray]:
    """Payloads, vectors (clustered by product type; ~0.4% without an image) and point ids."""
    rng = np.random.default_rng(seed)
    ptype = rng.zipf(1.3, n) % len(TYPES)
    frame = pd.DataFrame(
        {
            "product_type_name": np.array(TYPES)[ptype],
            "product_group_name": np.array(GROUPS)[ptype % len(GROUPS)],
            "colour_group_name": np.array(COLOURS)[rng.zipf(1.5, n) % len(COLOURS)],
            "price": np.round(rng.gamma(2.0, 0.015, n), 4),
        }
    )
    vectors = {}
    for name, d in DIMS.items():
        centres = rng.normal(size=(len(TYPES), d)).astype(np.float32)
        vectors[name] = centres[ptype] + 0.8 * rng.normal(size=(n, d)).astype(np.float32)
    has_image = rng.random(n) > 0.004
    frame["has_image"] = has_image
    return frame, vectors, np.arange(1, n + 1, dtype=np.int64)


def make_filter(rng: np.random.Generator) -> Filter:
    """A shop filter: a category (type or group), maybe a colour, maybe a price range."""
    must: list[Match | Range | AnyOf] = []
    kind = rng.integers(4)
    if kind == 0:
        must.append(
            AnyOf(
                (
                    Match("product_type_name", (TYPES[rng.integers(20)],)),
                    Match("product_group_name", (GROUPS[rng.integers(19)],)),
                )
            )
        )
    elif kind == 1:
        must.append(Match("product_group_name", (GROUPS[rng.integers(19)],)))
    if rng.random() < 0.5:
        must.append(Match("colour_group_name", tuple(COLOURS[: rng.integers(1, 4)])))
    if rng.random() < 0.5:
        low = float(rng.choice([0.0, 0.01, 0.02]))
        must.append(Range("price", gte=low, lte=low + 0.03))
    return Filter(must=tuple(must))


def pandas_mask(frame: pd.DataFrame, flt: Filter) -> np.ndarray:
    def one(cond: Match | Range | AnyOf) -> pd.Series:
        if isinstance(cond, Match):
            return frame[cond.key].isin(cond.values)
        if isinstance(cond, Range):
            low = -np.inf if cond.gte is None else cond.gte
            return frame[cond.key].between(low, np.inf if cond.lte is None else cond.lte)
        out = one(cond.conditions[0])
        for c in cond.conditions[1:]:
            out |= one(c)
        return out

    mask = pd.Series(True, index=frame.index)
    for cond in flt.must:
        mask &= one(cond)
    return np.asarray(mask.to_numpy(), dtype=bool)


def exact_runner(frame: pd.DataFrame, vectors: dict[str, np.ndarray], ids: np.ndarray) -> Run:
    unit = {n: v / np.linalg.norm(v, axis=1, keepdims=True) for n, v in vectors.items()}
    unit["cf"] = vectors["cf"]  # dot product, as stored

    def run(queries: list[VectorQuery], flt: Filter) -> list[int]:
        mask = pandas_mask(frame, flt)
        out: list[int] = []
        for q in queries:
            rows = np.flatnonzero(
                mask & frame["has_image"].to_numpy() if q.using == "image" else mask
            )
            scores = unit[q.using][rows] @ np.asarray(q.vector, dtype=np.float32)
            top = rows[np.argsort(-scores)[: q.limit]]
            out.extend(int(i) for i in ids[top] if int(i) not in out)
        return out

    return run


def fill(
    store: Store, version: str, vectors: dict[str, np.ndarray], frame: pd.DataFrame, ids: np.ndarray
) -> float:
    started = time.perf_counter()
    writer = store.new_writer(version)
    writer.create("articles", SPEC)
    records = frame.drop(columns="has_image").to_dict("records")
    for lo in tqdm(range(0, len(ids), 2048), desc=f"upsert {version}", unit="batch"):
        batch = []
        for i in range(lo, min(lo + 2048, len(ids))):
            vecs = {n: v[i].tolist() for n, v in vectors.items()}
            if not frame["has_image"].iat[i]:
                del vecs["image"]
            batch.append(Point(int(ids[i]), vecs, records[i]))
        writer.upsert("articles", batch)
    writer.finish()
    return time.perf_counter() - started


def measure(
    run: Run, work: list[tuple[list[VectorQuery], Filter]], exact: list[set[int]], label: str
) -> dict[str, float]:
    times, recalls = [], []
    for (queries, flt), truth in tqdm(list(zip(work, exact, strict=False)), desc=label):
        started = time.perf_counter()
        got = run(queries, flt)
        times.append((time.perf_counter() - started) * 1000)
        # An empty answer is right when nothing matches the filter.
        recalls.append(len(truth & set(got)) / len(truth) if truth else float(not got))
    return {
        "p50": float(np.percentile(times, 50)),
        "p99": float(np.percentile(times, 99)),
        "recall": float(np.mean(recalls)),
        "n": len(times),
    }


def reader_runner(reader: StoreReader) -> Run:
    return lambda queries, flt: reader.candidates("articles", queries, flt)


def make_work(
    vectors: dict[str, np.ndarray], n: int, rng: np.random.Generator
) -> list[tuple[list[VectorQuery], Filter]]:
    """Queries near the data, as real ones are (a product's vectors, a shopper's taste): each
    named vector of a random article plus noise, under a random shop filter."""
    work = []
    for _ in range(n):
        queries = []
        for name, v in vectors.items():
            base = v[rng.integers(len(v))]
            noisy = base + 0.5 * rng.normal(size=base.shape) * np.std(base)
            queries.append(VectorQuery(name, noisy.astype(np.float32).tolist(), LIMIT))
        work.append((queries, make_filter(rng)))
    return work


def open_edge(
    root: Path,
    version: str,
    data: tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray],
    console: Console,
) -> StoreReader:
    """A reader on the Edge build in ``root``, built first unless an earlier run left it."""
    edge = EdgeStore(root)
    if version not in edge.versions():
        frame, vectors, ids = data
        build_s = fill(edge, version, vectors, frame, ids)
        console.print(f"Edge build (upsert + optimise) {build_s:.1f} s for {len(ids):,} points")
    return edge.open_reader(version)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=105_542)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--local-queries", type=int, default=20, help="local mode is slow; 0 skips")
    ap.add_argument("--store", type=Path, help="keep the Edge build here and reuse it")
    ap.add_argument(
        "--sweep",
        type=lambda s: [int(x) for x in s.split(",") if x],
        default=[],
        help="comma-separated hnsw_ef values to measure Edge at as well",
    )
    args = ap.parse_args()
    console = Console()
    frame, vectors, ids = make_catalog(args.articles, seed=1)
    work = make_work(vectors, args.queries, np.random.default_rng(2))
    exact_run = exact_runner(frame, vectors, ids)
    exact = [set(exact_run(q, f)) for q, f in work]
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        reader = open_edge(
            args.store or Path(tmp), f"bench-{args.articles}", (frame, vectors, ids), console
        )
        measure(reader_runner(reader), work[:20], exact[:20], "warm-up")
        rows["Qdrant Edge"] = measure(reader_runner(reader), work, exact, "edge")
        sweep = {ef: measure_at(ef, reader, work, exact) for ef in args.sweep}
        no_filter = [(q, Filter()) for q, _ in work]
        truth = [set(exact_run(q, f)) for q, f in no_filter]
        rows["Qdrant Edge, no filter"] = measure(reader_runner(reader), no_filter, truth, "edge")
        reader.close()
    rows["numpy + pandas (exact)"] = measure(exact_run, work, exact, "numpy")
    if args.local_queries:
        local = ServerStore(QdrantClient(":memory:"), QdrantSettings())
        fill(local, "bench", vectors, frame, ids)
        k = args.local_queries
        lreader = local.open_reader("bench")
        rows["qdrant-client local"] = measure(reader_runner(lreader), work[:k], exact[:k], "local")
    report(console, rows, len(ids))
    if sweep:
        report_sweep(console, sweep, rows["numpy + pandas (exact)"]["p50"])


def measure_at(
    ef: int,
    reader: StoreReader,
    work: list[tuple[list[VectorQuery], Filter]],
    exact: list[set[int]],
) -> dict[str, float]:
    """Edge on the same queries with the beam width set to ``ef`` for this run only."""
    production = filters.HNSW_EF
    filters.HNSW_EF = ef
    try:
        measure(reader_runner(reader), work[:20], exact[:20], f"warm-up ef {ef}")
        return measure(reader_runner(reader), work, exact, f"edge ef {ef}")
    finally:
        filters.HNSW_EF = production


def report_sweep(console: Console, sweep: dict[int, dict[str, float]], numpy_p50: float) -> None:
    table = Table(title=f"Qdrant Edge by beam width (production hnsw_ef {filters.HNSW_EF})")
    for col in ("hnsw_ef", "p50 ms", "p99 ms", "recall@12", "numpy p50 / Edge p50"):
        table.add_column(col, justify="right")
    for ef, r in sweep.items():
        table.add_row(
            str(ef),
            f"{r['p50']:.2f}",
            f"{r['p99']:.2f}",
            f"{r['recall']:.4f}",
            f"{numpy_p50 / r['p50']:.1f}x",
        )
    console.print(table)
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    efs = list(sweep)
    recall = [sweep[e]["recall"] for e in efs]
    for stat, marker in (("p50", "o-"), ("p99", "s--")):
        xs = [sweep[e][stat] for e in efs]
        ax.plot(xs, recall, marker, label=f"Edge {stat}")
        for x, y, e in zip(xs, recall, efs, strict=True):
            ax.annotate(f"ef {e}", (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.axhline(0.99, color="grey", lw=0.8, ls=":", label="recall target 0.99")
    ax.axvline(numpy_p50 / 5, color="tab:red", lw=0.8, ls=":", label="p50 target: numpy / 5")
    ax.axvline(10, color="tab:purple", lw=0.8, ls=":", label="p99 target: 10 ms")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("ms per query (log)")
    ax.set_ylabel("recall@12")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    out = Path(__file__).resolve().parent / "out" / "query_sweep.png"
    out.parent.mkdir(exist_ok=True)
    fig.savefig(out, dpi=120)
    console.print(f"plot: {out}")


def report(console: Console, rows: dict[str, dict[str, float]], n: int) -> None:
    table = Table(title=f"3 prefetches × limit {LIMIT}, filtered, {n:,} articles")
    for col in ("engine", "queries", "p50 ms", "p99 ms", "recall@12"):
        table.add_column(col, justify="left" if col == "engine" else "right")
    for name, r in rows.items():
        table.add_row(
            name, f"{r['n']:.0f}", f"{r['p50']:.2f}", f"{r['p99']:.2f}", f"{r['recall']:.4f}"
        )
    console.print(table)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    names = list(rows)
    ax.barh(names, [rows[k]["p50"] for k in names], label="p50")
    ax.barh(names, [rows[k]["p99"] for k in names], alpha=0.4, label="p99")
    ax.set_xscale("log")
    ax.set_xlabel("ms per query (log)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "query.png", dpi=120)
    console.print(f"plot: {out / 'query.png'}")


if __name__ == "__main__":
    main()
