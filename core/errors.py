"""Domain errors. Only `api/errors.py` turns them into HTTP problems."""

from __future__ import annotations


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
