"""Domain errors. Only `api/errors.py` turns them into HTTP problems."""

from __future__ import annotations

from typing import Any


class LookbookError(Exception):
    """Base of every error Lookbook raises on purpose."""


class DataFormatError(LookbookError):
    """An input file cannot be read at all: missing, empty or with a wrong header."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class InvalidInput(LookbookError):
    """A caller's input is wrong; `field` names what was wrong (``others``: more fields that
    were wrong in the same input, each with its problem)."""

    def __init__(self, field: str, problem: str, others: tuple[tuple[str, str], ...] = ()) -> None:
        self.errors = [(field, problem), *others]
        super().__init__("; ".join(f"{f}: {p}" for f, p in self.errors))
        self.field = field
        self.problem = problem

    @classmethod
    def of(cls, problems: list[tuple[str, str]]) -> InvalidInput:
        """One error naming every ``(field, problem)`` (at least one)."""
        return cls(problems[0][0], problems[0][1], tuple(problems[1:]))


def pydantic_problems(exc: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A pydantic ``ValidationError`` as ``(field, problem)`` pairs, each field its dotted
    location under ``prefix`` ("body" when it has none)."""
    head = [prefix] if prefix else []
    return [
        (".".join([*head, *(str(p) for p in e["loc"])]) or "body", str(e["msg"]))
        for e in exc.errors()
    ]


class NotFound(LookbookError):
    """A named thing (article, customer, index version) does not exist."""

    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"{what} {key!r} not found")
        self.what = what
        self.key = key


class IndexNotReady(LookbookError):
    """No complete index version is available to serve from."""


class StoreUnavailable(LookbookError):
    """The vector store cannot be reached (server down, timeout)."""


class BuildError(LookbookError):
    """An index build cannot go on; the current version is left untouched."""


class NonFiniteFactors(BuildError):
    """A trained model produced NaN or infinite factors."""
