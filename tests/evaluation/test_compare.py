"""`python -m evaluation compare`: worlds side by side, with the learned ranker's gain."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation.report import COMPARED, compare_main


def _result(values: list[float]) -> dict[str, object]:
    methods = {row: {"map12": v} for row, v in zip(COMPARED, values, strict=True)}
    return {"test": {"methods": methods}}


def test_compare_tables_and_plots_each_world(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_result([0.05, 0.04, 0.052, 0.075])))
    b.write_text(json.dumps(_result([0.02, 0.02, 0.021, 0.019])))
    out = tmp_path / "cmp.png"
    assert compare_main([f"demo={a}", f"hm={b}", "--out", str(out)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[2] == "| demo | 0.0500 | 0.0400 | 0.0520 | 0.0750 | +50.0% |"
    assert table[3] == "| hm | 0.0200 | 0.0200 | 0.0210 | 0.0190 | -5.0% |"
    assert out.stat().st_size > 5000
