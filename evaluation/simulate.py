"""Simulated shoppers (issue 24): `python -m evaluation simulate --data DIR --api URL
--visitors N --service-key K --staff-key M` drives a running API over HTTP with shoppers of a
synthetic world whose hidden tastes the generator wrote beside the data (`truth/tastes.csv`,
which the indexer never reads), and checks the API's insights against what they did.

Each visitor is a customer of the world. They open Home's "For you" (the feed) or search for
one of their favourite lines in one of their favourite colours, then scan the list top-down (a
cascade model): they look at position p with probability ``GAMMA``^(p-1), and open the first
item they look at with probability ``attraction`` (its line, colour and pattern against their
taste, with noise), and stop there. An opened item goes to the bag with probability ``P_CART``,
and a bagged one is bought with probability ``P_BUY``. Every event goes through the real API
with the list's ``rec_id`` and the position, with a service key (as the shop's server posts
them).

Because the model is known, the simulator also says what click-through and conversion it
implies for the lists it saw (the mean over lists of the model's probabilities). Printed: per
surface, the simulator's tally, the model's rate, and the insights' rate with its 95% interval
(is each inside it?), and click-through by position against the cascade's; saved as a plot.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from rich.console import Console
from rich.progress import track
from rich.table import Table

from indexer.synthetic.world import TRUTH

#: The cascade: the chance of looking at the next position.
GAMMA = 0.8
P_CART = 0.4
P_BUY = 0.5
LIMIT = 12


@dataclass
class Taste:
    lines: set[tuple[str, str]]
    colours: list[str]
    appearance: str


@dataclass
class Tally:
    lists: int = 0
    clicks: int = 0
    carts: int = 0
    purchases: int = 0
    implied_click: float = 0.0  # Σ over lists of the model's P(click)
    by_position: list[int] = field(default_factory=lambda: [0] * LIMIT)
    implied_position: list[float] = field(default_factory=lambda: [0.0] * LIMIT)
    shown_at: list[int] = field(default_factory=lambda: [0] * LIMIT)


def load_tastes(data: Path) -> dict[str, Taste]:
    path = data / TRUTH
    if not path.exists():
        raise SystemExit(
            f"{path} is missing: simulated shoppers need the world's hidden tastes. Generate the "
            "world again with this version (`python -m indexer generate`), which writes them."
        )
    frame = pd.read_csv(path, dtype=str)
    out = {}
    for row in frame.itertuples(index=False):
        lines = {tuple(x.split("|", 1)) for x in str(row.fav_lines).split(";")}
        out[str(row.customer_id)] = Taste(
            lines=lines,  # type: ignore[arg-type]
            colours=str(row.fav_colours).split(";"),
            appearance=str(row.fav_appearance),
        )
    return out


def attraction(item: dict[str, Any], taste: Taste, noise: float) -> float:
    """How likely the shopper opens an item they look at: their line counts most, then their
    colours, then their pattern; ``noise`` in [0, 1) shifts it a little."""
    a = 0.04
    if (item.get("index_name"), item.get("product_type_name")) in taste.lines:
        a += 0.30
    if item.get("colour_group_name") in taste.colours:
        a += 0.20
    if item.get("graphical_appearance_name") == taste.appearance:
        a += 0.08
    return min(0.9, a * (0.8 + 0.4 * noise))


def cascade(attractions: list[float]) -> list[float]:
    """P(the click is at position p) under the cascade: look with GAMMA^(p-1), stop at the
    first click."""
    out, passed = [], 1.0  # passed: no click at any earlier position
    for p, a in enumerate(attractions):
        out.append((GAMMA**p) * passed * a)
        passed *= 1 - a
    return out


def simulate(
    api: str,
    data: Path,
    visitors: int,
    service_key: str,
    seed: int = 1,
) -> dict[str, Tally]:
    rng = random.Random(seed)
    tastes = load_tastes(data)
    customers = sorted(tastes)
    tallies: dict[str, Tally] = {}
    service = {"X-API-Key": service_key}
    with httpx.Client(base_url=api, timeout=30) as client:
        for _ in track(range(visitors), description="simulated shoppers"):
            cid = rng.choice(customers)
            taste = tastes[cid]
            if rng.random() < 0.5:
                surface = "feed"
                r = client.get(f"/recommendations/{cid}", params={"limit": LIMIT}, headers=service)
            else:
                surface = "search"
                _index, ptype = rng.choice(sorted(taste.lines))
                q = f"{rng.choice(taste.colours)} {ptype}".lower()
                # As the storefront's anonymous visitor (its cookie): the same id, so an
                # experiment keeps the shopper in one variant on both surfaces.
                r = client.get(
                    "/search",
                    params={"q": q, "limit": LIMIT},
                    headers=service | {"X-Visitor-Id": cid},
                )
            r.raise_for_status()
            body = r.json()
            items, rec = body["items"], body["rec_id"]
            t = tallies.setdefault(surface, Tally())
            t.lists += 1
            attr = [attraction(i, taste, rng.random()) for i in items]
            model = cascade(attr)
            t.implied_click += sum(model)
            for p, m in enumerate(model[:LIMIT]):
                t.implied_position[p] += m
                t.shown_at[p] += 1
            clicked = None
            for p, a in enumerate(attr):
                if p > 0 and rng.random() >= GAMMA:
                    break  # stopped looking: position p is reached with GAMMA^p
                if rng.random() < a:
                    clicked = p
                    break
            if clicked is None:
                continue
            events = [_event("view", cid, items[clicked], rec, clicked + 1)]
            t.clicks += 1
            t.by_position[clicked] += 1
            if rng.random() < P_CART:
                events.append(_event("add_to_cart", cid, items[clicked], rec, clicked + 1))
                t.carts += 1
                if rng.random() < P_BUY:
                    events.append(_event("purchase", cid, items[clicked], rec, clicked + 1))
                    t.purchases += 1
            client.post("/events", json={"events": events}, headers=service).raise_for_status()
    return tallies


def _event(kind: str, cid: str, item: dict[str, Any], rec: str, position: int) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "type": kind,
        "customer_id": cid,
        "article_id": item["article_id"],
        "rec_id": rec,
        "position": position,
    }


def compare(tallies: dict[str, Tally], insights: dict[str, Any]) -> list[dict[str, Any]]:
    """Per surface: the simulator's tally, the model's rate and the insights' with its
    interval (click-through, conversion)."""
    by = {s["surface"]: s for s in insights["surfaces"]}
    rows = []
    for surface, t in sorted(tallies.items()):
        got = by.get(surface)
        for metric, tally, implied in (
            ("click_through", t.clicks, t.implied_click / t.lists),
            ("conversion", t.purchases, t.implied_click * P_CART * P_BUY / t.lists),
        ):
            none: dict[str, Any] = {"k": 0, "n": 0, "value": None, "low": None, "high": None}
            rate: dict[str, Any] = got[metric] if got else none
            low, high = rate["low"], rate["high"]
            inside = low is not None and high is not None and low <= implied <= high
            rows.append(
                {
                    "surface": surface,
                    "metric": metric,
                    "lists": t.lists,
                    "simulated": tally / t.lists,
                    "model": implied,
                    "insights": rate["value"],
                    "low": rate["low"],
                    "high": rate["high"],
                    "insights_k": rate["k"],
                    "simulated_k": tally,
                    "model_inside": inside,
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evaluation simulate", description=__doc__)
    p.add_argument("--data", type=Path, required=True, help="the world (with truth/tastes.csv)")
    p.add_argument("--api", default="http://127.0.0.1:8000")
    p.add_argument("--visitors", type=int, default=5000)
    p.add_argument("--service-key", required=True, help="posts the events (as the shop's server)")
    p.add_argument("--staff-key", required=True, help="reads /admin/insights")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path("reports") / "simulate.json")
    args = p.parse_args(argv)
    console = Console()
    start = time.perf_counter()
    tallies = simulate(args.api, args.data, args.visitors, args.service_key, args.seed)
    time.sleep(0.5)  # the API writes impressions every 0.2 s
    insights = httpx.get(
        f"{args.api}/admin/insights?fresh=true", headers={"X-API-Key": args.staff_key}, timeout=60
    ).json()
    rows = compare(tallies, insights)
    table = Table(
        title=f"{args.visitors:,} simulated shoppers in {time.perf_counter() - start:.0f} s"
    )
    for col in (
        "surface",
        "metric",
        "lists",
        "simulated",
        "model",
        "insights (95% CI)",
        "model inside",
    ):
        table.add_column(col, justify="left" if col in ("surface", "metric") else "right")
    for r in rows:
        ci = "–" if r["low"] is None else f"{r['insights']:.4f} ({r['low']:.4f}–{r['high']:.4f})"
        table.add_row(
            r["surface"],
            r["metric"],
            f"{r['lists']:,}",
            f"{r['simulated']:.4f}",
            f"{r['model']:.4f}",
            ci,
            "yes" if r["model_inside"] else "NO",
        )
    console.print(table)
    positions = _positions(tallies, insights)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"visitors": args.visitors, "rows": rows, "positions": positions}
    args.out.write_text(json.dumps(report, indent=1))
    _plot(report, args.out.with_suffix(".png"))
    console.print(f"saved {args.out} and {args.out.with_suffix('.png')}")
    return 0


def _positions(tallies: dict[str, Tally], insights: dict[str, Any]) -> list[dict[str, Any]]:
    """Click-through by position, all surfaces: the cascade's and the insights'."""
    out = []
    for p in range(LIMIT):
        shown = sum(t.shown_at[p] for t in tallies.values())
        model = sum(t.implied_position[p] for t in tallies.values()) / max(shown, 1)
        got = insights["by_position"][p]["click_through"]
        out.append(
            {"position": p + 1, "model": model, **{k: got[k] for k in ("value", "low", "high")}}
        )
    return out


def _plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    rows = [r for r in report["rows"] if r["insights"] is not None]
    labels = [f"{r['surface']}\n{r['metric'].replace('_', ' ')}" for r in rows]
    x = range(len(rows))
    axes[0].errorbar(
        x,
        [r["insights"] for r in rows],
        yerr=[[r["insights"] - r["low"] for r in rows], [r["high"] - r["insights"] for r in rows]],
        fmt="o",
        capsize=4,
        label="insights, 95% CI",
    )
    axes[0].plot(x, [r["model"] for r in rows], "x", ms=10, label="the model's rate")
    axes[0].set_xticks(list(x), labels)
    axes[0].set(title="Insights against the simulated shoppers' model")
    axes[0].legend()
    pos = report["positions"]
    axes[1].plot([p["position"] for p in pos], [p["model"] for p in pos], "x-", label="cascade")
    axes[1].errorbar(
        [p["position"] for p in pos],
        [p["value"] or 0 for p in pos],
        yerr=[
            [(p["value"] or 0) - (p["low"] or 0) for p in pos],
            [(p["high"] or 0) - (p["value"] or 0) for p in pos],
        ],
        fmt="o",
        capsize=3,
        label="insights, 95% CI",
    )
    axes[1].set(title="Click-through by position", xlabel="position")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
