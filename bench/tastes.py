"""Customer tastes, stored or derived? Measures both sides on a built index.

    python bench/tastes.py --index /tmp/lb_hm/index --sample 2000

The personal feed needs a customer's time-decayed text and image taste. Lookbook derives them
per request from the customer's 20 most recent purchases (one `retrieve` of those articles'
vectors, then a weighted mean). The alternative stores them on the customer point at build time.
This measures, on the current version:

* derived, per request: the serving path's `ranking.feed.load_customer` (needed either way)
  and `tastes` (the extra cost of deriving), p50/p99 over the sampled customers;
* stored, per build and in memory: reading every article's vectors once, computing the tastes
  with numpy (time for the sample, scaled to all customers), and the bytes the two extra
  vectors would take (float32 originals plus the int8 copies the index keeps in RAM). Writing
  them is part of the customers' write, whose rate `bench/index.py` shows.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.logging import configure  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.store import open_store  # noqa: E402
from ranking.index import LiveIndex  # noqa: E402
from ranking.taste import load_customer, tastes  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--sample", type=int, default=2000)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    configure()
    settings = Settings(index_dir=args.index, db_path=args.index / "tastes.db")
    snap = LiveIndex(settings, open_store(settings)).snapshot()
    ids = np.load(snap.models_dir / "ids.npz")["customer_id"]
    rng = np.random.default_rng(args.seed)
    sample = rng.choice(ids, size=min(args.sample, len(ids)), replace=False)

    t_customer, t_derive, recent_rows = [], [], []
    for cid in sample:
        start = time.perf_counter()
        cust = load_customer(snap, str(cid))
        mid = time.perf_counter()
        tastes(snap, settings, cust, None)
        end = time.perf_counter()
        if not cust.recent:
            continue  # nothing to derive from: both designs do nothing
        t_customer.append(mid - start)
        t_derive.append(end - mid)
        recent_rows.append(len(cust.recent))

    # Stored design: every customer's tastes computed in one vectorised pass at build time.
    text_dim = int(snap.manifest["text_dim"])
    image_dim = int(snap.manifest["image_dim"])
    n_customers = int(snap.manifest["customers"])
    start = time.perf_counter()
    arts = snap.reader.scroll("articles", limit=10**7, with_vectors=("text", "image"))
    row = {r.payload["article_id"]: i for i, r in enumerate(arts)}
    vecs = {
        name: np.array([r.vectors.get(name) or [0.0] * dim for r in arts], dtype=np.float32)
        for name, dim in (("text", text_dim), ("image", image_dim))
    }
    t_read_all = time.perf_counter() - start
    custs = [load_customer(snap, str(cid)) for cid in sample]
    start = time.perf_counter()
    half_life = settings.models.decay_half_life_days
    for cust in custs:
        idx = np.array([row[a] for a in cust.recent], dtype=np.int64)
        age = np.maximum(snap.as_of_day - np.array(cust.recent_days[: len(idx)]), 0)
        w = (0.5 ** (age / half_life)).astype(np.float32)
        for m in vecs.values():
            t = w[: len(idx)] @ m[idx] if len(idx) else None
            if t is not None:
                t /= max(float(np.linalg.norm(t)), 1e-12)
    per_customer = (time.perf_counter() - start) / len(custs)
    raw_bytes = n_customers * (text_dim + image_dim) * 4
    int8_bytes = n_customers * (text_dim + image_dim)

    ms = lambda xs, q: f"{np.percentile(np.array(xs) * 1000, q):.2f}"  # noqa: E731
    table = Table(title=f"Customer tastes on {args.index} ({len(t_derive):,} customers sampled)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(
        "derived: load customer (needed either way) p50 / p99 ms",
        f"{ms(t_customer, 50)} / {ms(t_customer, 99)}",
    )
    table.add_row(
        "derived: extra per feed request p50 / p99 ms", f"{ms(t_derive, 50)} / {ms(t_derive, 99)}"
    )
    table.add_row("recent purchases read per request (mean)", f"{np.mean(recent_rows):.1f}")
    table.add_row("stored: read every article's vectors once (s)", f"{t_read_all:.1f}")
    table.add_row(
        "stored: compute every customer's tastes (s, scaled from the sample)",
        f"{per_customer * n_customers:.1f}",
    )
    table.add_row("stored: extra float32 on disk (GiB)", f"{raw_bytes / 2**30:.2f}")
    table.add_row("stored: extra int8 in RAM (GiB)", f"{int8_bytes / 2**30:.2f}")
    Console().print(table)
    _plot(t_customer, t_derive, Path(args.index).name)
    snap.reader.close()
    return 0


def _plot(t_customer: list[float], t_derive: list[float], name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    data = [np.array(t_customer) * 1000, np.array(t_derive) * 1000]
    ax.boxplot(data, orientation="horizontal", showfliers=False, whis=(1, 99))
    ax.set_yticks([1, 2], ["load customer\n(either design)", "derive tastes\n(derived only)"])
    ax.set_xlabel("ms per feed request (whiskers p1-p99)")
    ax.set_title(f"Customer tastes derived at request time: {name}")
    fig.tight_layout()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "tastes.png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
