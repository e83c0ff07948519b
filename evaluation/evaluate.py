"""`python -m evaluation --data DIR`: MAP@12 on a held-out week, as the H&M competition.

The last 7 days of transactions are the test week, the 7 days before them the validation
week. For each split a real index is built by the indexer from the days before it (`build
--until`, into a temporary folder), and every sampled customer who bought in the held-out
week gets 12 articles through the serving path: the ranking engine's personal feed, as the
API calls it (`ranking.feed.feed_pool` + `ranking.pool.page_of`). Blend weights are tuned by a
grid search on the validation week and scored once on the test week.

What freshness is worth: the test week's first six days of purchases are replayed into an
event log (as the API logs them, no rebuild) and the seventh day is scored from the index built
before the week, with and without the log applied (`evaluation.methods.live_replay`).

The harness sits above the engine and the indexer (it builds indexes and ranks from them);
neither imports it. The heavy parts are imported inside the functions that need them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from core.logging import configure
from evaluation.methods import Split, iso_day, run_split

if TYPE_CHECKING:
    from core.experiments import Overlay
from evaluation.report import write_report

log = logging.getLogger(__name__)
#: The freshness variant replays the test week's first days as events and scores the next.
LIVE_DAYS = 6


def split_days(last_day: int) -> tuple[int, int]:
    """(validation start, test start) as days since epoch: two 7-day weeks ending at last_day."""
    test_start = last_day - 6
    return test_start - 7, test_start


def evaluate(
    data_dir: Path,
    out_dir: Path,
    sample: int | None,
    seed: int,
    variants: dict[str, Overlay] | None = None,
    *,
    test_only: bool = False,
    keep: Path | None = None,
) -> dict[str, object]:
    from core.settings import get_settings
    from indexer.dataset.read import load

    started = time.perf_counter()
    settings = get_settings()
    ds = load(
        data_dir, Path(tempfile.gettempdir()) / "lookbook-eval-rejects.csv", check_images=False
    )
    last = int(ds.transactions.day.max())
    val_start, test_start = split_days(last)
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    folder = (
        tempfile.TemporaryDirectory(prefix="lookbook-eval-")
        if keep is None
        else contextlib.nullcontext(tempfile.mkdtemp(prefix="lookbook-eval-", dir=keep))
    )
    with folder as tmp:
        if keep is not None:
            log.info("the indexes are built under %s (kept)", tmp)
        val = (
            None
            if test_only
            else run_split(
                Split("validation", val_start, test_start - 1),
                ds,
                data_dir,
                settings,
                Path(tmp),
                sample=min(sample or 10**9, 2000),
                seed=seed,
                tune=True,
                variants=variants,
            )
        )
        test = run_split(
            Split("test", test_start, last),
            ds,
            data_dir,
            settings,
            Path(tmp),
            sample=sample,
            seed=seed,
            tuned=val.best_weights if val else None,
            live_days=0 if test_only else LIVE_DAYS,
            variants=variants,
        )
    result: dict[str, object] = {
        "data_dir": str(data_dir),
        "articles": len(ds.articles),
        "customers": len(ds.customers),
        "transactions": len(ds.transactions.day),
        "validation_week": [iso_day(val_start), iso_day(test_start - 1)],
        "test_week": [iso_day(test_start), iso_day(last)],
        "validation": val.as_json() if val else None,
        "test": test.as_json(),
        "tuned_weights": val.best_weights if val else None,
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_report(result, out_dir)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__)
    p.add_argument("--data", type=Path, required=True, help="data folder in the H&M format")
    p.add_argument("--out", type=Path, default=Path("reports"), help="where the report goes")
    p.add_argument("--sample", type=int, help="evaluate N random eligible customers")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--variants",
        type=Path,
        help="an experiment (the JSON body of POST /admin/experiments): each variant's served "
        "feed is scored too, to screen it before it goes live",
    )
    p.add_argument(
        "--test-only",
        action="store_true",
        help="only the test week (one build, no weight search, no freshness replay): for an "
        "H&M-size catalog",
    )
    p.add_argument(
        "--keep",
        type=Path,
        help="build the split indexes in a folder under this one and keep them (benchmarks)",
    )
    args = p.parse_args(argv)
    configure()
    variants = None
    if args.variants is not None:
        from pydantic import ValidationError

        from core.experiments import ExperimentIn
        from evaluation.methods import variant_rows

        try:
            experiment = ExperimentIn.model_validate_json(args.variants.read_text())
        except (OSError, ValidationError) as exc:
            p.error(f"--variants {args.variants}: {exc}")
        variants = variant_rows(experiment)
    result = evaluate(
        args.data,
        args.out,
        args.sample,
        args.seed,
        variants,
        test_only=args.test_only,
        keep=args.keep,
    )
    Console().print((args.out / "evaluation.md").read_text())
    print(json.dumps({"seconds": result["seconds"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
