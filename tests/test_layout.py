"""The dependency rule of README.md (Layout), read from the source: every import, including the
ones inside functions and under TYPE_CHECKING, points down the layers, and no two modules
import each other (directly or round a loop)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What each package may import besides itself: `api → ranking → scoring, encoders → core`,
#: `indexer → scoring, encoders, core`, and the evaluation harness above the engine and the indexer.
ALLOWED = {
    "core": set(),
    "scoring": {"core"},
    "encoders": {"core"},
    "ranking": {"scoring", "encoders", "core"},
    "indexer": {"scoring", "encoders", "core"},
    "evaluation": {"ranking", "indexer", "scoring", "encoders", "core"},
    "api": {"ranking", "scoring", "encoders", "core"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every project module ``path`` imports, wherever in the file the import stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from pkg import sub` imports the submodule when there is one.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {m for m in found if m.split(".")[0] in ALLOWED}


def project_graph() -> dict[str, set[str]]:
    paths = [p for pkg in ALLOWED for p in sorted((ROOT / pkg).rglob("*.py"))]
    modules = {module_name(p): p for p in paths}
    return {name: {m for m in imports_of(p) if m in modules} for name, p in modules.items()}


def test_packages_import_only_the_layers_below_them() -> None:
    wrong = [
        f"{src} imports {dst}"
        for src, targets in project_graph().items()
        for dst in sorted(targets)
        if (top := dst.split(".")[0]) != src.split(".")[0] and top not in ALLOWED[src.split(".")[0]]
    ]
    assert wrong == []


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import loop of ``graph`` (a module list that starts and ends alike), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (loop := visit(nxt)):
                return loop
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (loop := visit(start)):
            return loop
    return None


def test_no_module_imports_itself_round_a_loop() -> None:
    graph = project_graph()
    # A package's __init__ is imported on the way to each of its modules: leave that arrow out.
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(f"{m}.")}
    assert find_cycle(graph) is None


@pytest.mark.parametrize(
    ("graph", "loop"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_find_cycle_finds_the_loops_there_are(
    graph: dict[str, set[str]], loop: list[str] | None
) -> None:
    assert find_cycle(graph) == loop


def test_the_rule_catches_an_arrow_that_runs_back_up(tmp_path: Path) -> None:
    bad = tmp_path / "module.py"
    bad.write_text("def f():\n    from api.schemas import Problem\n    return Problem\n")
    assert imports_of(bad) == {"api.schemas", "api.schemas.Problem"}
    assert "api" not in ALLOWED["ranking"] and "api" not in ALLOWED["scoring"]
    assert ALLOWED["core"] == set()
