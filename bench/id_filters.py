"""What an id list in a filter costs the engine: the floor under keeping price and stock out of it.

    python bench/id_filters.py --index /root/lookbook-hm/index --data /root/lookbook-hm/data

A price or stock update moves the point out of its indexed segment (6 KB per article changed
at H&M size, `bench/copy_memory.py`). Keeping those fields out of the engine means answering
"available" and "in this price range" for the articles changed since the build with id lists
in each query's filter. This measures that on a private copy of the published version: the
candidate query of a ranked list (three prefetches, text, image and cf, limit 100 each, under
the filter, fused) with the shopper's filter (not unavailable; and a price range), for id lists
of ``--sizes`` ids, in the two forms such a filter takes:

* flat: ``must_not: [availability = unavailable, has_id(L)]``: the changed articles that are
  out of stock now, excluded;
* nested: ``must_not: [(availability = unavailable AND NOT has_id(D)) OR has_id(L)]``: the
  engine's stored value for the articles not changed, the changed ones' live value (L: the
  half of D out of stock now).

Prints p50 and p99 per size and form, saves bench/out/id_filters.json and .png.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.catalog import point_id  # noqa: E402
from core.store.base import ARTICLES, VectorQuery  # noqa: E402
from core.store.edge import EdgeStore  # noqa: E402
from core.store.edge_reader import EdgeReader, candidate_request  # noqa: E402

OUT = ROOT / "bench" / "out"
SIGNALS = ("text", "image", "cf")
UNAVAILABLE = qe.FieldCondition(key="availability", match=qe.MatchAny(any=["unavailable"]))
PRICE = qe.FieldCondition(key="price", range=qe.RangeFloat(gte=0.01, lte=0.03))


def _filters(ids: list[int], size: int, rng: random.Random) -> dict[str, qe.Filter]:
    """The two forms for an id list of ``size`` of ``ids`` (the nested one's D: twice it)."""
    if not size:
        plain = qe.Filter(must_not=[UNAVAILABLE])
        return {"flat": plain, "nested": plain}
    drawn = rng.sample(ids, 2 * size)
    out_now = qe.HasIdCondition(point_ids=set(drawn[:size]))
    changed = qe.HasIdCondition(point_ids=set(drawn))
    stored = qe.Filter(must=[UNAVAILABLE], must_not=[changed])
    return {
        "flat": qe.Filter(must_not=[UNAVAILABLE, out_now]),
        "nested": qe.Filter(must_not=[qe.Filter(should=[stored, out_now])]),
    }


def _sizes(reader: EdgeReader, ids: list[int]) -> dict[str, int]:
    """Each signal's vector size in this version (read off a few articles)."""
    found = reader.retrieve(ARTICLES, ids[:50], with_vectors=SIGNALS, payload_fields=())
    return {name: max(len(r.vectors.get(name, ())) for r in found) for name in SIGNALS}


def _candidates(
    shard: Any, sizes: dict[str, int], flt: qe.Filter, nrng: np.random.Generator, price: bool
) -> float:
    """One ranked list's candidate query (`EdgeReader.candidates`' own request) under ``flt``
    (and a price range), in ms."""
    if price:
        flt = qe.Filter(must=[PRICE], must_not=flt.must_not)
    queries = [
        VectorQuery(u, nrng.standard_normal(size).astype(np.float32).tolist(), 100)
        for u, size in sizes.items()
    ]
    request = candidate_request(queries, flt)
    started = time.perf_counter()
    shard.query(request)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--sizes", default="0,1000,2000,5000,10000,30000")
    p.add_argument("--queries", type=int, default=60, help="candidate queries per cell")
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--out", type=Path, default=OUT / "id_filters.json")
    args = p.parse_args()
    import pandas as pd

    articles = pd.read_csv(args.data / "articles.csv", usecols=["article_id"], dtype=str)
    ids = [point_id(a) for a in articles.article_id]
    rng, nrng = random.Random(args.seed), np.random.default_rng(args.seed)
    store = EdgeStore(args.index / "store", private_copies=True)
    reader = store.open_reader(collections=[ARTICLES])
    assert isinstance(reader, EdgeReader)
    shard = reader._shard(ARTICLES)
    dims = _sizes(reader, ids)
    for _ in range(args.queries):  # warm the engine's caches before the first cell
        _candidates(shard, dims, qe.Filter(must_not=[UNAVAILABLE]), nrng, False)
    rows: list[dict[str, Any]] = []
    sizes = [int(s) for s in args.sizes.split(",")]
    try:
        for size in tqdm(sizes, desc="id list sizes"):
            for form, flt in _filters(ids, size, rng).items():
                for price in (False, True):
                    took = [_candidates(shard, dims, flt, nrng, price) for _ in range(args.queries)]
                    p50, p99 = np.percentile(took, [50, 99])
                    rows.append(
                        {"ids": size, "form": form, "price": price, "p50_ms": p50, "p99_ms": p99}
                    )
    finally:
        reader.close()
    _report(rows, len(ids), args.out)
    return 0


def _report(rows: list[dict[str, Any]], articles: int, out: Path) -> None:
    table = Table(title=f"Candidate query (3 prefetches) with an id list, {articles:,} articles")
    for col in ("ids in the list", "form", "filter", "p50 ms", "p99 ms"):
        table.add_column(col, justify="right")
    for r in rows:
        what = "available, price range" if r["price"] else "available"
        table.add_row(f"{r['ids']:,}", r["form"], what, f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}")
    Console().print(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"articles": articles, "rows": rows}, indent=1))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for form in ("flat", "nested"):
        for price in (False, True):
            pts = [r for r in rows if r["form"] == form and r["price"] == price]
            label = f"{form}, {'available + price range' if price else 'available'}"
            ax.plot([r["ids"] for r in pts], [r["p50_ms"] for r in pts], "o-", label=label)
    ax.set_xlabel("ids in the filter's list")
    ax.set_ylabel("candidate query p50, ms")
    ax.set_title(f"{articles:,} articles, Qdrant Edge", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out.with_suffix(".png"), dpi=110)
    Console().print(f"saved {out} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    sys.exit(main())
