"""`python -m indexer generate|validate|build`: the command line of the offline side."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from core.errors import DataFormatError, LookbookError
from core.logging import configure


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m indexer", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write a synthetic world in the H&M format")
    g.add_argument("--out", type=Path, required=True, help="folder to write (created)")
    g.add_argument("--scale", choices=["tiny", "demo", "hm"], default="tiny")
    g.add_argument("--seed", type=int, default=7)
    g.add_argument("--articles", type=int, help="override the scale's article count")
    g.add_argument("--customers", type=int, help="override the scale's customer count")
    g.add_argument("--transactions", type=int, help="override the scale's transaction count")
    g.add_argument("--no-images", action="store_true", help="skip drawing the JPEGs")

    v = sub.add_parser("validate", help="check a data folder and write the rejects file")
    v.add_argument("data", type=Path, help="folder with the three CSVs and images/")
    v.add_argument("--json", action="store_true", help="print one JSON object")
    v.add_argument("--rejects", type=Path, help="rejects CSV (default: DATA/rejects.csv)")

    b = sub.add_parser("build", help="build a new index version and make it current")
    b.add_argument("--data", type=Path, help="data folder (default: LOOKBOOK_DATA_DIR)")
    b.add_argument("--until", type=date.fromisoformat, help="use transactions before DATE")
    b.add_argument("--version", help="version name (default: a timestamp)")
    b.add_argument("--no-publish", action="store_true", help="build but do not switch to it")
    e = sub.add_parser("events", help="read the event log")
    e_sub = e.add_subparsers(dest="events_command", required=True)
    x = e_sub.add_parser("export", help="logged purchases as transactions_train.csv rows")
    x.add_argument("--since", type=date.fromisoformat, help="purchases on or after DATE (UTC)")
    x.add_argument("--out", type=Path, help="file to write (default: standard output)")
    a = sub.add_parser("apply", help="log a feed of catalog changes (CSV or JSON lines)")
    a.add_argument("file", type=Path, help="one change a row: article_id, op, fields")
    a.add_argument("--rejects", type=Path, help="rejects CSV (default: FILE.rejects.csv)")
    a.add_argument("--actor", default="cli", help="who the log says made the changes")
    c = sub.add_parser("compact", help="fold the served catalog changes into the data folder")
    c.add_argument("--data", type=Path, help="data folder (default: LOOKBOOK_DATA_DIR)")
    return p


def _apply(args: argparse.Namespace) -> int:
    from core.settings import get_settings
    from indexer.catalog import apply_file

    summary = apply_file(get_settings(), args.file, args.rejects, args.actor)
    print(summary.describe())
    return 0 if not summary.rejected else 3


def _compact(args: argparse.Namespace) -> int:
    from core.settings import get_settings
    from indexer.catalog import compact

    settings = get_settings()
    print(compact(settings, args.data or settings.data_dir).describe())
    return 0


def _events(args: argparse.Namespace) -> int:
    from core.settings import get_settings
    from indexer.export import export_to

    settings = get_settings()
    n = export_to(settings, args.out, args.since, settings.shop.price_multiplier)
    print(f"{n:,} purchases exported", file=sys.stderr)
    return 0


def _generate(args: argparse.Namespace) -> int:
    from indexer.synthetic.world import SCALES, generate

    n_a, n_c, n_t = SCALES[args.scale]
    summary = generate(
        args.out,
        n_articles=args.articles or n_a,
        n_customers=args.customers or n_c,
        n_transactions=args.transactions or n_t,
        seed=args.seed,
        images=not args.no_images,
    )
    print(summary.describe())
    return 0


def _validate(args: argparse.Namespace) -> int:
    from indexer.dataset.read import validate

    report = validate(args.data, rejects_path=args.rejects)
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        print(report.describe())
    return 0


def _build(args: argparse.Namespace) -> int:
    from core.settings import get_settings
    from indexer.build.pipeline import build

    settings = get_settings()
    summary = build(
        settings,
        data_dir=args.data or settings.data_dir,
        until=args.until,
        version=args.version,
        publish=not args.no_publish,
    )
    print(summary.describe())
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure(json_lines=False)
    handlers = {
        "generate": _generate,
        "validate": _validate,
        "build": _build,
        "events": _events,
        "apply": _apply,
        "compact": _compact,
    }
    try:
        return handlers[args.command](args)
    except DataFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except LookbookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
