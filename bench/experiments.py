"""What experiments add to an uncached request (issue 25; goal ≤ 0.2 ms):

    python bench/experiments.py

Per request, the API looks up the process's experiments (`ExperimentStore.current`, a look at
the shared version at most every 0.25 s), finds the covering experiment and the asker's
variant (`ExperimentBook.arm`: a SHA-256 of experiment and visitor placed on the shares),
overlays the variant's settings (`Overlay.apply`), and keys the cache by the experiments'
mark and the variant. Measured on a SQLite state holding ``--experiments`` experiments (one
running on the surface, 4 variants, the rest ended), each step and all together, in µs.

Prints a table, saves bench/out/experiments.json and bench/out/experiments.png.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"


def _time(fn: Any, n: int) -> dict[str, float]:
    took = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        took.append(time.perf_counter() - t)
    took.sort()
    return {"p50_us": 1e6 * took[n // 2], "p99_us": 1e6 * took[int(n * 0.99)]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--experiments", type=int, default=50)
    p.add_argument("--requests", type=int, default=50_000)
    p.add_argument("--out", type=Path, default=OUT / "experiments.json")
    args = p.parse_args()
    from core.experiments import ExperimentBook, ExperimentStore
    from core.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="lookbook-experiments-"))
    console = Console()
    try:
        store = ExperimentStore(tmp / "lookbook.db")
        now = datetime.now(UTC)
        for k in range(args.experiments - 1):  # ended ones, a day each
            start = now - timedelta(days=2 * (k + 2))
            store.start(_body(f"old {k}", start, start + timedelta(days=1), 2), "bench")
        store.start(_body("running", now - timedelta(hours=1), now + timedelta(days=7), 4), "bench")
        settings = Settings()
        generation, found = store.current()
        book = ExperimentBook(found, generation)
        who = [f"visitor-{i:08d}" for i in range(args.requests)]

        def whole(i: int) -> None:
            g, xs = store.current()
            b = book if g == book.generation else ExperimentBook(xs, g)
            b.mark()
            arm = b.arm("feed", who[i])
            if arm is not None:
                arm.overlay.apply(settings)

        arms = [book.arm("feed", w) for w in who[:1000]]
        steps = {
            "the store's current experiments": _time(lambda i: store.current(), args.requests),
            "the cache mark": _time(lambda i: book.mark(), args.requests),
            "the variant (hash and shares)": _time(
                lambda i: book.arm("feed", who[i]), args.requests
            ),
            "the overlay on the settings": _time(
                lambda i: arms[i % 1000].overlay.apply(settings),  # type: ignore[union-attr]
                args.requests,
            ),
            "all together, per request": _time(whole, args.requests),
        }
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report = {"experiments": args.experiments, "requests": args.requests, "steps": steps}
    t = Table(title=f"Experiments per request ({args.experiments} stored, 1 running, 4 variants)")
    for col in ("step", "µs p50", "µs p99"):
        t.add_column(col, justify="left" if col == "step" else "right")
    for name, s in steps.items():
        t.add_row(name, f"{s['p50_us']:.1f}", f"{s['p99_us']:.1f}")
    console.print(t)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    _plot(report, args.out.with_suffix(".png"))
    console.print(f"saved {args.out} and {args.out.with_suffix('.png')}")
    return 0


def _body(name: str, start: datetime, end: datetime, n: int) -> Any:
    from core.experiments import ExperimentIn

    variants: list[dict[str, Any]] = [{"name": "A", "share": 1 / n}]
    for k in range(1, n):
        variants.append(
            {
                "name": chr(65 + k),
                "share": 1 / n,
                "overlay": {"weights": {"cf": 0.5, "text": 0.1 * k, "image": 0.2}},
            }
        )
    variants[-1]["share"] = 1 - sum(v["share"] for v in variants[:-1])
    return ExperimentIn.model_validate(
        {
            "name": name,
            "surfaces": ["feed", "search"],
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
            "variants": variants,
        }
    )


def _plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = report["steps"]
    fig, ax = plt.subplots(figsize=(9, 3.6))
    names = list(steps)
    ax.barh(names, [steps[n]["p50_us"] for n in names], label="p50")
    ax.plot([steps[n]["p99_us"] for n in names], names, "k|", ms=14, label="p99")
    ax.axvline(200, color="grey", ls="--", lw=1, label="goal 200 µs")
    ax.set(xlabel="µs per request", title="What experiments add to an uncached request")
    ax.invert_yaxis()
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
