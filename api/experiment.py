"""The experiment and variant of a request (`core.experiments`): which surface a path answers,
who the request keeps in a variant (the customer, else the anonymous visitor), and this
process's compiled experiments."""

from __future__ import annotations

import threading

from fastapi import FastAPI

from core.experiments import Arm, ExperimentBook

_books_lock = threading.Lock()


def surface_of(path: str) -> str | None:
    """The experiment surface a cacheable path answers (None: one no experiment covers)."""
    if path.startswith("/recommendations/"):
        return "feed"
    if path == "/trending":
        return "trending"
    if path == "/search":
        return "search"
    if path == "/articles":
        return "browse"
    if path.startswith("/articles/") and path.endswith("/similar"):
        return "similar"
    return None


def experiment_book(app: FastAPI) -> ExperimentBook | None:
    """This process's compiled experiments (None before the state is open), compiled again
    when the store reloaded them."""
    store = getattr(app.state, "experiments", None)
    if store is None:
        return None
    generation, experiments = store.current()
    book: ExperimentBook | None = getattr(app.state, "experiment_book", None)
    if book is None or book.generation != generation:
        with _books_lock:
            book = getattr(app.state, "experiment_book", None)
            if book is None or book.generation != generation:
                book = ExperimentBook(experiments, generation)
                app.state.experiment_book = book
    return book


def arm_of(app: FastAPI, surface: str | None, who: str | None) -> Arm | None:
    """The variant ``who`` is in on ``surface`` now (None: none)."""
    if surface is None or who is None:
        return None
    book = experiment_book(app)
    return book.arm(surface, who) if book is not None else None
