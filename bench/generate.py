"""Benchmark of the synthetic world generator: wall time, peak memory and size on disk.

Each scale runs in a fresh child process (so one scale's peak memory is not another's), which
reports its own peak RSS and that of its image workers through ``resource.getrusage``.

    python bench/generate.py --scales demo,hm --out /tmp/lookbook-bench
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _size_mb(folder: Path) -> tuple[float, int]:
    """Megabytes of the files under ``folder`` and how many files there are."""
    total, files = 0, 0
    for dirpath, _, names in os.walk(folder):
        for name in names:
            total += (Path(dirpath) / name).stat().st_size
            files += 1
    return total / 1e6, files


def _one(scale: str, out: Path, seed: int) -> dict[str, object]:
    """Generate one scale in this process and measure it (the child's side)."""
    from indexer.synthetic.world import SCALES, generate

    n_a, n_c, n_t = SCALES[scale]
    start = time.perf_counter()
    summary = generate(out, n_articles=n_a, n_customers=n_c, n_transactions=n_t, seed=seed)
    wall = time.perf_counter() - start
    mb, files = _size_mb(out)
    # ru_maxrss is in KiB on Linux; children = the image pool's workers.
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "scale": scale,
        "articles": summary.n_articles,
        "customers": summary.n_customers,
        "transactions": summary.n_transactions,
        "images": summary.n_images,
        "wall_s": wall,
        "steps": summary.seconds,
        "peak_self_mib": self_kib / 1024,
        "peak_child_mib": child_kib / 1024,
        "disk_mb": mb,
        "files": files,
    }


def _table(results: list[dict[str, object]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="python -m indexer generate (seed 7)")
    for col in ("scale", "articles", "customers", "transactions", "images", "wall s",
                "peak RSS MiB self", "peak RSS MiB child", "MB on disk"):  # fmt: skip
        table.add_column(col, justify="left" if col == "scale" else "right")
    steps = Table(title="seconds per step")
    step_names = list(dict.fromkeys(k for r in results for k in _steps(r)))
    for col in ("scale", *step_names):
        steps.add_column(col, justify="left" if col == "scale" else "right")
    for r in results:
        table.add_row(
            str(r["scale"]),
            f"{r['articles']:,}",
            f"{r['customers']:,}",
            f"{r['transactions']:,}",
            f"{r['images']:,}",
            f"{r['wall_s']:.1f}",
            f"{r['peak_self_mib']:,.0f}",
            f"{r['peak_child_mib']:,.0f}",
            f"{r['disk_mb']:,.0f}",
        )
        steps.add_row(str(r["scale"]), *(f"{_steps(r).get(k, 0.0):.1f}" for k in step_names))
    console = Console(width=max(Console().width, 120))
    console.print(table)
    console.print(steps)
    console.print(
        "peak RSS child: the largest of the image workers; Linux starts a child's peak at "
        "its parent's size when it forks, so it is an upper bound"
    )


def _steps(result: dict[str, object]) -> dict[str, float]:
    steps = result["steps"]
    assert isinstance(steps, dict)
    return {str(k): float(v) for k, v in steps.items()}


def _plot(results: list[dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    names = [str(r["scale"]) for r in results]
    left = [0.0] * len(results)
    step_names = list(dict.fromkeys(k for r in results for k in _steps(r)))
    for step in step_names:
        widths = [_steps(r).get(step, 0.0) for r in results]
        ax.barh(names, widths, left=left, label=step)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_xlabel("seconds")
    ax.set_title("synthetic world generation, time per step")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scales", default="demo,hm", help="comma-separated: tiny, demo, hm")
    p.add_argument("--out", type=Path, default=Path("/tmp/lookbook-bench"))
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--one", help=argparse.SUPPRESS)  # child mode: one scale, JSON on stdout
    args = p.parse_args()
    if args.one:
        print(json.dumps(_one(args.one, args.out / args.one, args.seed)))
        return 0
    results = []
    for scale in args.scales.split(","):
        cmd = [sys.executable, __file__, "--one", scale, "--out", str(args.out)]
        cmd += ["--seed", str(args.seed)]
        done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    _table(results)
    png = ROOT / "bench" / "out" / "generate.png"
    _plot(results, png)
    print(f"plot: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
