"""What merchandising rules cost a request (issue 23): 0, 100 and 1,000 active rules, most of
them not matching the request, in one run.

    python bench/rules.py --index /path/to/index --data /path/to/data     # H&M size
    python bench/rules.py --index var/e2e/index --data var/e2e/data --requests 50   # smoke

In this process, on the published version (opened read-only: no other process may hold it).
The rules are drawn at random from the catalog, as a shop's would be: a scope on a search word
(40 %), a category (30 %), a source article (20 %) or none (2 % of the first 100 and 0.3 % of the
rest), on one to three surfaces; actions boost or bury a colour or a product type (45 %), hide
a colour (20 %), pin an article at position 1-12 (30 %) or filter to a product group (5 %, never
unconditional). Each request (search by a catalog word, browse a category, similar items,
trending, a feed) is answered with each rule count in turn, interleaved (drift falls on all
alike), from `RuleBook.resolve` to the ranked page. Reported per rule count: the resolve step
alone (µs), the request (ms, p50 and p90) and the request's extra over no rules (the median of
the paired differences, ms); and how many rules applied to a request. Prints a table, saves
bench/out/rules.json and bench/out/rules.png.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
COUNTS = (0, 100, 1000)
SURFACES = ("feed", "trending", "similar", "search", "browse")


def make_rules(arts: pd.DataFrame, n: int, rng: random.Random) -> list[Any]:
    """``n`` rules as a shop might write them (see the module's text)."""
    from core.rules import Rule

    words = sorted(
        {
            w
            for name in arts.prod_name.dropna()
            for w in str(name).lower().split()
            if w.isalpha() and len(w) > 3
        }
    )
    types = sorted(arts.product_type_name.dropna().unique())
    colours = sorted(arts.colour_group_name.dropna().unique())
    groups = sorted(arts.product_group_name.dropna().unique())
    ids = arts.article_id.tolist()
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        r = rng.random()
        always = rng.random() < (0.02 if i < 100 else 0.003)
        scope: dict[str, Any] = {"surfaces": rng.sample(SURFACES, rng.randint(1, 3))}
        if not always:
            if r < 0.4:
                scope["query"] = {"match": "contains", "text": rng.choice(words)}
            elif r < 0.7:
                scope["category"] = [rng.choice(types)]
            else:
                scope["source_article"] = [rng.choice(ids)]
        a = rng.random()
        if a < 0.45:
            key, values = rng.choice((("colour_group_name", colours), ("product_type_name", types)))
            strength = rng.choice((-1, -0.5, -0.2, 0.2, 0.5, 1))
            action: dict[str, Any] = {
                "type": "boost" if strength > 0 else "bury",
                "match": {key: [rng.choice(values)]},
                "strength": strength,
            }
        elif a < 0.65:
            action = {"type": "hide", "match": {"colour_group_name": [rng.choice(colours)]}}
        elif a < 0.95 or always:
            pin = {"article_id": rng.choice(ids), "position": rng.randint(1, 12)}
            action = {"type": "pin", "pins": [pin]}
        else:
            action = {"type": "filter", "match": {"product_group_name": [rng.choice(groups)]}}
        out.append(
            Rule(
                id=i + 1,
                name=f"rule {i + 1}",
                priority=rng.randint(-5, 5),
                scope=scope,
                action=action,
                status="active",
                created_at=now,
                updated_at=now,
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--index", type=Path, default=ROOT / "var" / "bench" / "index")
    p.add_argument("--data", type=Path, default=ROOT / "data" / "demo")
    p.add_argument("--requests", type=int, default=300, help="per surface and rule count")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--out", type=Path, default=OUT / "rules.json")
    args = p.parse_args(argv)

    from core.changes import open_changes
    from core.settings import Settings
    from core.store import open_store
    from ranking import browse as browsing
    from ranking.feed import feed
    from ranking.index import LiveIndex
    from ranking.request import ListFilters, Page
    from ranking.rules import Context, RuleBook
    from ranking.search import search
    from ranking.similar import similar

    console = Console()
    import tempfile

    state = Path(tempfile.mkdtemp(prefix="lookbook-rules-bench-"))  # no log of ours is read
    settings = Settings(index_dir=args.index, data_dir=args.data, db_path=state / "x.db")
    changes = open_changes(settings)
    live = LiveIndex(settings, open_store(settings), changes)
    t0 = time.perf_counter()
    snap = live.snapshot()
    console.print(f"index {snap.version} opened in {time.perf_counter() - t0:.1f} s")
    arts = pd.read_csv(args.data / "articles.csv", dtype=str)
    rng = random.Random(args.seed)
    multiplier = settings.shop.price_multiplier
    books = {
        n: RuleBook(make_rules(arts, n, random.Random(args.seed + n)), 1, multiplier)
        for n in COUNTS
    }
    customers = pd.read_csv(args.data / "customers.csv", dtype=str, usecols=["customer_id"])
    words = [str(w) for w in arts.prod_name.dropna().sample(200, random_state=1)]
    types = arts.product_type_name.value_counts().index[:30].tolist()
    sample_ids = arts.article_id.sample(200, random_state=2).tolist()
    sample_customers = customers.customer_id.sample(200, random_state=3).tolist()

    def request(surface: str, book: RuleBook, r: random.Random) -> tuple[float, float, int]:
        """One request: (resolve seconds, total seconds, rules applied)."""
        filters, page = ListFilters(), Page(limit=12)
        q = src = None
        if surface == "search":
            q = r.choice(words)
        elif surface == "browse":
            filters = ListFilters(category=(r.choice(types),))
        elif surface == "similar":
            src = r.choice(sample_ids)
        start = time.perf_counter()
        ctx = Context(surface, query=q, categories=filters.category, source_article=src)
        st = book.resolve(ctx)
        resolved = time.perf_counter()
        if st is not None:
            filters = replace(filters, rules=st.restrict)
            page = replace(page, arrange=st.arrange)
        if surface == "search":
            search(snap, settings, filters, page, text=snap.embed_text(q or ""))
        elif surface == "browse":
            browsing.browse(
                snap,
                settings,
                filters,
                q_vec=None,
                sort="relevance",
                limit=24,
                offset=0,
                arrange=page.arrange,
            )
        elif surface == "similar":
            similar(snap, settings, src or "", filters, page)
        elif surface == "trending":
            browsing.trending(
                snap,
                settings,
                filters,
                window_days=7,
                limit=12,
                offset=0,
                collapse=True,
                arrange=page.arrange,
            )
        else:
            feed(snap, settings, r.choice(sample_customers), None, filters, page)
        done = time.perf_counter()
        return resolved - start, done - start, len(st.applied) if st else 0

    results: dict[str, dict[int, dict[str, list[float]]]] = {}
    for surface in SURFACES:
        for n in COUNTS:  # warm-up: the masks and the text model
            for i in range(5):
                request(surface, books[n], random.Random(i))
        per: dict[int, dict[str, list[float]]] = {
            n: {"resolve": [], "total": [], "applied": []} for n in COUNTS
        }
        for i in range(args.requests):
            order = list(COUNTS)
            rng.shuffle(order)
            for n in order:
                took, spent, k = request(surface, books[n], random.Random(i))  # same request
                per[n]["resolve"].append(took)
                per[n]["total"].append(spent)
                per[n]["applied"].append(k)
        results[surface] = per
        console.print(f"{surface}: done")

    table = Table(title=f"Rules per request, {snap.version} ({len(snap.columns):,} articles)")
    for col in (
        "surface",
        "rules",
        "applied (mean)",
        "resolve µs p50",
        "resolve µs p99",
        "request ms p50",
        "request ms p90",
        "extra ms (median of pairs)",
    ):
        table.add_column(col, justify="left" if col == "surface" else "right")
    report: dict[str, Any] = {"version": snap.version, "articles": len(snap.columns), "rows": []}
    for surface, per in results.items():
        for n in COUNTS:
            res = sorted(per[n]["resolve"])
            tot = sorted(per[n]["total"])
            extra = statistics.median(
                a - b for a, b in zip(per[n]["total"], per[0]["total"], strict=True)
            )
            row = {
                "surface": surface,
                "rules": n,
                "applied": statistics.mean(per[n]["applied"]),
                "resolve_us_p50": 1e6 * res[len(res) // 2],
                "resolve_us_p99": 1e6 * res[int(len(res) * 0.99)],
                "request_ms_p50": 1e3 * tot[len(tot) // 2],
                "request_ms_p90": 1e3 * tot[int(len(tot) * 0.9)],
                "extra_ms": 1e3 * extra,
            }
            report["rows"].append(row)
            table.add_row(
                surface,
                f"{n:,}",
                f"{row['applied']:.1f}",
                f"{row['resolve_us_p50']:.1f}",
                f"{row['resolve_us_p99']:.1f}",
                f"{row['request_ms_p50']:.2f}",
                f"{row['request_ms_p90']:.2f}",
                f"{row['extra_ms']:+.3f}",
            )
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    _plot(report, args.out.with_suffix(".png"))
    console.print(f"saved {args.out} and {args.out.with_suffix('.png')}")
    live.close()
    import shutil

    shutil.rmtree(state, ignore_errors=True)
    return 0


def _plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    rows = pd.DataFrame(report["rows"])
    for surface, g in rows.groupby("surface"):
        axes[0].plot(g.rules, g.resolve_us_p50, "o-", label=surface)
        axes[1].plot(g.rules, g.extra_ms, "o-", label=surface)
    axes[0].set(title="resolve step, µs (p50)", xlabel="active rules", xscale="symlog")
    axes[1].set(title="extra per request over no rules, ms", xlabel="active rules", xscale="symlog")
    axes[1].axhline(0.5, color="grey", ls="--", lw=1, label="goal 0.5 ms")
    for ax in axes:
        ax.legend()
    fig.suptitle(f"Merchandising rules at {report['articles']:,} articles")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
