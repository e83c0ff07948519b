"""Index build benchmark: per-stage wall time and peak memory for a data folder.

    python bench/index.py --data data/demo --index /tmp/lookbook-bench/index-demo

Runs a real `indexer.build.build` in this process; after each stage it samples the process's
peak RSS so far (`ru_maxrss`, children included). Prints a table and saves bench/out/index-*.png.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.logging import configure  # noqa: E402
from core.settings import Settings  # noqa: E402
from indexer.build.pipeline import build  # noqa: E402


def peak_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--index", type=Path, required=True, help="LOOKBOOK_INDEX_DIR for the build")
    args = p.parse_args()
    configure()
    peaks: dict[str, float] = {}
    start = time.perf_counter()
    summary = build(
        Settings(index_dir=args.index, db_path=args.index / "bench.db"),
        data_dir=args.data,
        after_stage=lambda name: peaks.__setitem__(name, peak_mib()),
    )
    total = time.perf_counter() - start
    table = Table(
        title=f"Index build: {args.data} ({summary.articles:,} articles, "
        f"{summary.customers:,} customers, {summary.transactions:,} transactions)"
    )
    for col in ("stage", "wall s", "share", "peak RSS so far (MiB)"):
        table.add_column(col, justify="left" if col == "stage" else "right")
    for stage, seconds in summary.stage_seconds.items():
        table.add_row(
            stage, f"{seconds:.1f}", f"{seconds / total:.0%}", f"{peaks.get(stage, 0):,.0f}"
        )
    table.add_row("total", f"{total:.1f}", "100%", f"{peak_mib():,.0f}")
    Console().print(table)
    _plot(summary.stage_seconds, args.data.name)
    return 0


def _plot(stages: dict[str, float], name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.barh(list(stages), list(stages.values()), color="#555")
    ax.set_xlabel("seconds")
    ax.set_title(f"Index build stages: {name}")
    fig.tight_layout()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / f"index-{name}.png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
