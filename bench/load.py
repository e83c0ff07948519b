"""Benchmark of reading and validating a data folder: rows, wall time per file, peak memory.

Each world is loaded by `indexer.dataset.load` in a fresh child process, so the peak RSS
(``ru_maxrss``) is that world's alone. Image workers are children of that child: their peak is
reported apart.

    python bench/load.py [--data /tmp/lookbook-bench/hm --data data/demo] [--no-verify-images]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PARTS = ("articles.csv", "images", "customers.csv", "transactions_train.csv")
CSV_PARTS = ("articles.csv", "customers.csv", "transactions_train.csv")
HM_WORLD = Path("/tmp/lookbook-bench/hm")
DEMO_WORLDS = (Path("/tmp/lookbook-bench/demo"), ROOT / "data" / "demo")  # first one found


@dataclass(frozen=True)
class WorldResult:
    world: str
    rows: dict[str, int]  # per part; for images: articles looked up
    rejected: dict[str, int]  # per part; for images: unreadable
    seconds: dict[str, float]
    wall_s: float
    peak_self_mib: float
    peak_child_mib: float


def _one(data: Path, verify_images: bool) -> WorldResult:
    """Load one world in this process and measure it (the child's side)."""
    from indexer.dataset.read import load

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ds = load(data, Path(tmp) / "rejects.csv", check_images=verify_images)
        wall = time.perf_counter() - start
    report = ds.report
    images = report.images
    rows = {name: c.rows for name, c in report.files.items()}
    rejected = {name: c.rejected for name, c in report.files.items()}
    rows["images"] = images.found + images.missing + images.unreadable
    rejected["images"] = images.unreadable
    return WorldResult(
        world=str(data),
        rows=rows,
        rejected=rejected,
        seconds=dict(report.seconds),
        wall_s=wall,
        # ru_maxrss is in KiB on Linux; children = the image verification workers.
        peak_self_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        peak_child_mib=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    )


def _table(results: list[WorldResult], verify_images: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    images = "opened and verified" if verify_images else "presence only"
    table = Table(title=f"indexer.dataset.load (images: {images})")
    for col in ("world", "part", "rows", "rejected", "seconds", "rows/s"):
        table.add_column(col, justify="left" if col in ("world", "part") else "right")
    for r in results:
        for part in PARTS:
            s = r.seconds[part]
            rate = f"{r.rows[part] / s:,.0f}" if s > 0 else "-"
            cells = (f"{r.rows[part]:,}", f"{r.rejected[part]:,}", f"{s:.2f}", rate)
            table.add_row(Path(r.world).name, part, *cells)
        table.add_row("", "total", "", "", f"{r.wall_s:.2f}", "", end_section=True)
    memory = Table(title="peak memory (ru_maxrss)")
    for col in ("world", "loader MiB", "image workers MiB"):
        memory.add_column(col, justify="left" if col == "world" else "right")
    for r in results:
        memory.add_row(r.world, f"{r.peak_self_mib:,.0f}", f"{r.peak_child_mib:,.0f}")
    console = Console(width=max(Console().width, 100))
    console.print(table)
    console.print(memory)


def _plot(results: list[WorldResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, mem) = plt.subplots(1, 2, figsize=(10, 3.5), gridspec_kw={"width_ratios": [3, 1]})
    names = [Path(r.world).name for r in results]
    left = [0.0] * len(results)
    for part in CSV_PARTS:
        widths = [r.seconds[part] for r in results]
        ax.barh(names, widths, left=left, label=part)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    # Images are opened by worker processes while customers and transactions are read.
    ax.barh(
        [f"{n} images" for n in names],
        [r.seconds["images"] for r in results],
        left=[r.seconds["articles.csv"] for r in results],
        label="images (in parallel)",
        color="grey",
    )
    ax.set_xlabel("seconds")
    ax.set_title("load + validate, time per part")
    ax.legend(loc="lower right", fontsize=8)
    mem.barh(names, [r.peak_self_mib / 1024 for r in results], color="tab:blue")
    mem.set_xlabel("GiB")
    mem.set_title("peak RSS of the loader")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def _default_worlds() -> list[Path]:
    """The H&M-size world and one demo world, those that exist."""
    demo = [w for w in DEMO_WORLDS if (w / "articles.csv").is_file()][:1]
    return [w for w in (HM_WORLD, *demo) if (w / "articles.csv").is_file()]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, action="append", help="a world folder (repeatable)")
    p.add_argument("--no-verify-images", action="store_true", help="only check images exist")
    p.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # child mode: JSON on stdout
    args = p.parse_args()
    verify = not args.no_verify_images
    if args.one:
        print(json.dumps(asdict(_one(args.one, verify))))
        return 0
    worlds = args.data or _default_worlds()
    if not worlds:
        print("no world found: generate one (bench/generate.py) or pass --data", file=sys.stderr)
        return 1
    results = []
    for world in worlds:
        cmd = [sys.executable, __file__, "--one", str(world)]
        cmd += [] if verify else ["--no-verify-images"]
        done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        results.append(WorldResult(**json.loads(done.stdout.strip().splitlines()[-1])))
    _table(results, verify)
    png = ROOT / "bench" / "out" / "load.png"
    _plot(results, png)
    print(f"plot: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
