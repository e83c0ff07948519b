"""Experiments on simulated shoppers (issue 25): `python -m evaluation experiment --data DIR
--api URL --service-key K --staff-key M` starts an experiment on the running API, drives it
with the simulated shoppers of `evaluation.simulate` (whose tastes are known), reads the
experiment's results and stops it; ``--runs N`` repeats that with a new experiment (a new
split) and new shoppers' seeds each time.

Without ``--variants`` the experiment is an A/A test (two variants with the shop's settings):
a sound test reports a significant difference at p < 0.05 in about 5% of the runs, whatever
the sample. With ``--variants FILE`` (the JSON body of ``POST /admin/experiments``; its dates
are replaced by now and a day later) it is that A/B test. Printed: per run, the visitors per
variant, each metric's p-value against the control and the verdict; how many runs were
significant; saved as JSON and a plot.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from evaluation.simulate import simulate

SURFACES = ["feed", "search"]
METRICS = ("click_through", "add_to_cart", "conversion", "revenue_per_visitor")


def aa(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "surfaces": SURFACES,
        "variants": [{"name": "A", "share": 0.5}, {"name": "B", "share": 0.5}],
    }


def run_once(
    api: str,
    data: Path,
    body: dict[str, Any],
    visitors: int,
    service_key: str,
    staff_key: str,
    seed: int,
) -> dict[str, Any]:
    """One experiment: started, driven by ``visitors`` shoppers, read, stopped."""
    staff = {"X-API-Key": staff_key}
    now = datetime.now(UTC)
    body = body | {
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    }
    with httpx.Client(base_url=api, timeout=60) as client:
        r = client.post("/admin/experiments", json=body, headers=staff)
        r.raise_for_status()
        xid = r.json()["id"]
        try:
            simulate(api, data, visitors, service_key, seed)
            time.sleep(0.5)  # the API writes impressions every 0.2 s
            res = client.get(f"/admin/experiments/{xid}/results", headers=staff)
            res.raise_for_status()
            return dict(res.json())
        finally:
            client.post(f"/admin/experiments/{xid}/stop", headers=staff).raise_for_status()


def summary(results: list[dict[str, Any]], alpha: float = 0.05) -> dict[str, Any]:
    """Per metric, the p-values of the first non-control variant and how many are < alpha."""
    out: dict[str, Any] = {}
    for metric in METRICS:
        ps = []
        for res in results:
            d = res["variants"][1]["versus_control"].get(metric)
            ps.append(None if d is None else d["p_value"])
        out[metric] = {
            "p_values": ps,
            "significant": sum(1 for p in ps if p is not None and p < alpha),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evaluation experiment", description=__doc__)
    p.add_argument("--data", type=Path, required=True, help="the world (with truth/tastes.csv)")
    p.add_argument("--api", default="http://127.0.0.1:8000")
    p.add_argument("--visitors", type=int, default=5000, help="simulated shoppers per run")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--variants", type=Path, help="an experiment's JSON (default: an A/A test)")
    p.add_argument("--service-key", required=True, help="posts the events (as the shop's server)")
    p.add_argument("--staff-key", required=True, help="starts, reads and stops the experiments")
    p.add_argument("--seed", type=int, default=1, help="the first run's shoppers' seed")
    p.add_argument("--out", type=Path, default=Path("reports") / "experiment.json")
    args = p.parse_args(argv)
    console = Console()
    given = json.loads(args.variants.read_text()) if args.variants else None
    kind = "A/B" if given else "A/A"
    runs: list[dict[str, Any]] = []
    started = time.perf_counter()
    for k in range(args.runs):
        body = dict(given) if given else aa(f"A/A run {k + 1}")
        body["name"] = f"{body['name']} (simulated, run {k + 1})"
        runs.append(
            run_once(
                args.api,
                args.data,
                body,
                args.visitors,
                args.service_key,
                args.staff_key,
                args.seed + k,
            )
        )
        console.print(f"run {k + 1}/{args.runs}: {runs[-1]['verdict']}")
    took = time.perf_counter() - started
    table = Table(
        title=f"{kind}: {args.runs} run(s) of {args.visitors:,} simulated shoppers in {took:.0f} s"
    )
    for col in ("run", "visitors", *METRICS, "verdict"):
        table.add_column(col, justify="left" if col in ("run", "verdict") else "right")
    for k, res in enumerate(runs, 1):
        vs = res["variants"]
        cells = []
        for metric in METRICS:
            d = vs[1]["versus_control"].get(metric)
            cells.append("–" if d is None else f"{d['relative'] or 0:+.1%} p={d['p_value']:.3f}")
        visitors = " / ".join(f"{v['name']} {v['visitors']}" for v in vs)
        table.add_row(str(k), visitors, *cells, res["verdict"])
    console.print(table)
    sums = summary(runs)
    for metric, s in sums.items():
        console.print(f"{metric}: {s['significant']} of {args.runs} runs significant at p < 0.05")
    report = {
        "kind": kind,
        "visitors": args.visitors,
        "runs": args.runs,
        "seconds": round(took, 1),
        "summary": sums,
        "results": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    _plot(report, args.out.with_suffix(".png"))
    console.print(f"saved {args.out} and {args.out.with_suffix('.png')}")
    return 0


def _plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for metric, s in report["summary"].items():
        ps = sorted(p for p in s["p_values"] if p is not None)
        axes[0].plot(
            range(1, len(ps) + 1), ps, "o-", ms=3, label=f"{metric} ({s['significant']} < 0.05)"
        )
    axes[0].axhline(0.05, color="grey", ls="--", lw=1)
    axes[0].set(
        title=f"{report['kind']}: p-values of B against A, sorted ({report['runs']} runs)",
        xlabel="run (sorted by p)",
        ylabel="p",
    )
    axes[0].legend(fontsize=8)
    last = report["results"][-1]["variants"]
    names = [v["name"] for v in last]
    conv = [v["metrics"]["conversion"] for v in last]
    axes[1].errorbar(
        names,
        [c["value"] or 0 for c in conv],
        yerr=[
            [(c["value"] or 0) - (c["low"] or 0) for c in conv],
            [(c["high"] or 0) - (c["value"] or 0) for c in conv],
        ],
        fmt="o",
        capsize=6,
    )
    axes[1].set(title="conversion per visitor, last run (95% interval)", ylabel="share of visitors")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
