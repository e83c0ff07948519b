"""The evaluation report: a markdown table, a JSON file and a bar chart in `reports/`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _table(methods: dict[str, dict[str, float]]) -> list[str]:
    rows = [
        "| method | MAP@12 | recall@12 | coverage | ms / customer |",
        "|---|---:|---:|---:|---:|",
    ]
    ordered = sorted(methods.items(), key=lambda kv: -kv[1]["map12"])
    for name, m in ordered:
        rows.append(
            f"| {name} | {m['map12']:.5f} | {m['recall12']:.4f} | {m['coverage']:.3f} "
            f"| {m['ms_per_customer']:.1f} |"
        )
    return rows


def markdown(result: dict[str, Any]) -> str:
    test, val = result["test"], result["validation"]
    w = result["tuned_weights"]
    scored = (
        f"; {val['customers_scored']:,} of {val['eligible']:,} in the validation week."
        if val
        else " (the test week only: no validation week, no weight search)."
    )
    lines = [
        "# Offline evaluation: MAP@12 on a held-out week",
        "",
        f"Data: `{result['data_dir']}`: {result['articles']:,} articles, "
        f"{result['customers']:,} customers, {result['transactions']:,} transactions.",
        f"Validation week {val_week(result)}; test week {result['test_week'][0]} to "
        f"{result['test_week'][1]}. Each split's index was built by the indexer from the days "
        "before it (`build --until`).",
        f"Customers scored: {test['customers_scored']:,} of {test['eligible']:,} who bought in the "
        f"test week{scored}",
        *(
            [
                f"Weights tuned on the validation week (grid step 0.1): cf {w['cf']:.1f}, "
                f"text {w['text']:.1f}, image {w['image']:.1f}."
            ]
            if w
            else []
        ),
        f"Total run time {result['seconds']:.0f} s.",
        "",
        "## Test week",
        "",
        *_table(test["methods"]),
        "",
        *_ranker(test.get("ranker"), val),
    ]
    if val:
        lines += [
            "## Validation week",
            "",
            *_table(val["methods"]),
            "",
            "Best weights on the validation week:",
            "",
            "| cf | text | image | MAP@12 |",
            "|---:|---:|---:|---:|",
            *[
                f"| {g['weights']['cf']:.1f} | {g['weights']['text']:.1f} | "
                f"{g['weights']['image']:.1f} | {g['map12']:.5f} |"
                for g in val["grid_top"]
            ],
            "",
        ]
    lines += [
        "![MAP@12 per method](evaluation.png)",
        "",
        *_live(test.get("live")),
        *_rule(test.get("rule")),
    ]
    return "\n".join(lines)


def _ranker(meta: dict[str, Any] | None, val: dict[str, Any] | None) -> list[str]:
    """The test index's learned ranker: how it was trained, and what it leans on."""
    if not meta:
        return []
    v = meta["valid"]
    lines = [
        "## The learned ranker",
        "",
        f"Trained by the test week's build on its last week ({meta['customers']:,} customers, "
        f"{meta['rows']:,} candidates, {meta['positives']:,} bought; LightGBM "
        f"{meta['objective']}, {meta['rounds']} rounds) in {meta['train_seconds']:.0f} s. On "
        f"its {v['customers']:,} held-out customers, over the same candidates: MAP@12 "
        f"{v['map12_learned']:.4f} against the blend's {v['map12_blend']:.4f}.",
        "",
        "| feature | share of the gain |",
        "|---|---:|",
        *[
            f"| {f} | {g:.1%} |"
            for f, g in sorted(meta["importance"].items(), key=lambda kv: -kv[1])
            if g > 0
        ],
        "",
    ]
    if val and val.get("best_threshold") is not None:
        lines += [
            f"Rebuy threshold with the best MAP@12 on the validation week: "
            f"{val['best_threshold']:g} (`LOOKBOOK_RANKING__REBUY_THRESHOLD`).",
            "",
        ]
    return lines


def _rule(rule: dict[str, Any] | None) -> list[str]:
    """What a merchandising rule costs: one department boosted on the feed as served."""
    if not rule:
        return []
    return [
        "## What a merchandising rule costs",
        "",
        f"A boost of {rule['strength']:+.1f} for the department {rule['department']} on the feed "
        "as served (the rule adds its strength to the blended score of that department's "
        "articles before the list is ordered):",
        "",
        "| | MAP@12 | the department's share of the top 12 |",
        "|---|---:|---:|",
        f"| without the rule | {rule['map12_without']:.5f} | {rule['share_without']:.1%} |",
        f"| with the rule | {rule['map12_with']:.5f} | {rule['share_with']:.1%} |",
        "",
    ]


def _live(live: dict[str, Any] | None) -> list[str]:
    """The freshness variant: the same index, with and without the replayed events."""
    if not live:
        return []
    return [
        "## What freshness is worth",
        "",
        f"The test week's purchases of {live['replayed'][0]} to {live['replayed'][1]} "
        f"({live['events']:,}) were posted to an event log as purchase events, with no "
        f"rebuild; {live['scored_day']} was then scored from the index built before the week, "
        "as built (static) and with the log applied as the API applies it (live). Customers "
        f"scored: {live['customers_scored']:,} of {live['eligible']:,} who bought that day.",
        "",
        *_table(live["methods"]),
        "",
    ]


def val_week(result: dict[str, Any]) -> str:
    return f"{result['validation_week'][0]} to {result['validation_week'][1]}"


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = sorted(result["test"]["methods"].items(), key=lambda kv: kv[1]["map12"])
    names = [k for k, _ in methods]
    values = [v["map12"] for _, v in methods]
    live = result["test"].get("live")
    fig, axes = plt.subplots(
        2 if live else 1,
        1,
        figsize=(9, 0.45 * len(names) + 1.5 + (2.6 if live else 0)),
        gridspec_kw={"height_ratios": [len(names), 3]} if live else None,
        squeeze=False,
    )
    ax = axes[0][0]
    colours = ["#c8102e" if "blend" in n else "#777777" for n in names]
    ax.barh(names, values, color=colours)
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:.4f}", va="center", fontsize=9)
    ax.set_xlabel("MAP@12 (test week)")
    ax.set_title(f"Lookbook offline evaluation: {Path(result['data_dir']).name}")
    if live:
        _plot_live(axes[1][0], live)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_live(ax: Any, live: dict[str, Any]) -> None:
    """Static against live, for the blend and the feed as served."""
    kinds = ["blend 0.5/0.3/0.2", "as served"]
    for i, mode in enumerate(("static", "live")):
        values = [live["methods"][f"{mode}, {k}"]["map12"] for k in kinds]
        ys = [y + (0.2 if i else -0.2) for y in range(len(kinds))]
        ax.barh(ys, values, height=0.4, color="#c8102e" if i else "#777777", label=mode)
        for y, v in zip(ys, values, strict=True):
            ax.text(v, y, f" {v:.4f}", va="center", fontsize=8)
    ax.set_yticks(range(len(kinds)), kinds)
    ax.set_xlabel(f"MAP@12 on {live['scored_day']}")
    ax.set_title(
        f"What freshness is worth\n({live['replayed'][0]} to {live['replayed'][1]} replayed "
        "as events, no rebuild)",
        fontsize=10,
    )
    top = max(m["map12"] for m in live["methods"].values())
    ax.set_xlim(0, top * 1.35)  # room for the labels and the legend
    ax.legend(loc="center right", fontsize=8)


def write_report(result: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "evaluation.json").write_text(json.dumps(result, indent=2))
    (out_dir / "evaluation.md").write_text(markdown(result))
    plot(result, out_dir / "evaluation.png")


#: The rows `compare` sets side by side, in this order.
COMPARED = (
    "blend 0.5/0.3/0.2",
    "blend as served, everything bought left out",
    "blend as served (rebuys kept, variants collapsed)",
    "learned ranker as served",
)


def compare(results: dict[str, dict[str, Any]], path: Path) -> str:
    """Several worlds' evaluations side by side: MAP@12 on each test week of the blend, the feed
    as served before and after the rebuy threshold, and the learned ranker; a plot at ``path``
    and a Markdown table (returned), with the learned ranker's gain over the blend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    worlds = list(results)
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(COMPARED)
    colours = ("#777777", "#bbbbbb", "#e8a0a8", "#c8102e")
    for i, (row, colour) in enumerate(zip(COMPARED, colours, strict=True)):
        values = [results[w]["test"]["methods"][row]["map12"] for w in worlds]
        xs = [x + (i - (len(COMPARED) - 1) / 2) * width for x in range(len(worlds))]
        ax.bar(xs, values, width, color=colour, label=row)
        for x, v in zip(xs, values, strict=True):
            ax.text(x, v, f"{v:.3f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(worlds)), worlds)
    ax.set_ylabel("MAP@12 (test week)")
    ax.set_title(f"The feed's rankers on {len(worlds)} worlds")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    lines = [
        "| world | " + " | ".join(COMPARED) + " | learned vs blend |",
        "|---|" + "---:|" * (len(COMPARED) + 1),
    ]
    for w in worlds:
        m = results[w]["test"]["methods"]
        gain = m[COMPARED[-1]]["map12"] / m[COMPARED[0]]["map12"] - 1
        cells = " | ".join(f"{m[r]['map12']:.4f}" for r in COMPARED)
        lines.append(f"| {w} | {cells} | {gain:+.1%} |")
    return "\n".join(lines)


def compare_main(argv: list[str]) -> int:
    """`python -m evaluation compare NAME=evaluation.json ... --out plot.png`."""
    import argparse
    import json

    p = argparse.ArgumentParser(prog="python -m evaluation compare", description=compare.__doc__)
    p.add_argument("runs", nargs="+", help="NAME=path/to/evaluation.json")
    p.add_argument("--out", type=Path, required=True, help="the plot to write (.png)")
    args = p.parse_args(argv)
    results = {}
    for run in args.runs:
        name, _, file = run.partition("=")
        if not file:
            p.error(f"{run}: expected NAME=path/to/evaluation.json")
        results[name] = json.loads(Path(file).read_text())
    print(compare(results, args.out))
    return 0
