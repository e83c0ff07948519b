"""The merchandising rules of a request (`ranking.rules`), as FastAPI dependencies: which
rules apply to this surface and request now, a draft rule to preview (``preview_rule``), or
none (``rules=off``); and the check of a rule against the catalog it names."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any

import numpy as np
from fastapi import Depends, FastAPI, Query, Request
from pydantic import ValidationError

from api.deps import ROLE_GATED, PageDep, SnapshotDep, _principal
from api.errors import AuthError
from api.experiment import arm_of
from api.filters import list_filters
from api.visitor import VISITOR_HEADER, visitor_of
from core.catalog import point_id
from core.errors import InvalidInput, pydantic_problems
from core.experiments import Arm
from core.rules import Attributes, PinAction, RuleIn, Surface
from core.settings import Settings
from ranking.index import Snapshot
from ranking.request import ListFilters, Page
from ranking.rules import Context, Ref, RuleBook

#: Who may see a list without the rules or with a draft: staff, and the back ends that
#: serve them (a service key may already read every list).
STAFF = ("merchandiser", "admin", "service")
ROLE_GATED["rules"] = STAFF
ROLE_GATED["preview_rule"] = STAFF
#: A draft rule's JSON, at most (a URL parameter).
MAX_DRAFT = 8_000

_books_lock = threading.Lock()


def rule_book(app: FastAPI) -> RuleBook | None:
    """This process's compiled rules (None before the state is open): compiled again when
    the store reloaded them."""
    store = getattr(app.state, "rules", None)
    if store is None:
        return None
    generation, rules = store.current()
    book: RuleBook | None = getattr(app.state, "rule_book", None)
    if book is None or book.generation != generation:
        with _books_lock:
            book = getattr(app.state, "rule_book", None)
            if book is None or book.generation != generation:
                multiplier = app.state.settings.shop.price_multiplier
                book = RuleBook(rules, generation, multiplier)
                app.state.rule_book = book
    return book


@dataclass
class Steer:
    """The request's filters and page with its rules in them, the rules that applied, and the
    experiment's variant the request is in with the settings it ranks by (the shop's, with the
    variant's overlay)."""

    filters: ListFilters
    page: Page
    settings: Settings
    applied: tuple[Ref, ...] = ()
    arm: Arm | None = None


def _staff_only(request: Request, param: str) -> None:
    principal = _principal(request)
    if principal is None:
        raise AuthError(401, f"{param}: an API key with the role merchandiser is required")
    if principal.role not in STAFF:
        raise AuthError(403, f"{param}: the role {principal.role} may not send it")


def draft_of(raw: str, snap: Snapshot) -> RuleIn:
    """``preview_rule``'s JSON as a rule, checked as a saved one would be."""
    try:
        draft = RuleIn.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidInput.of(pydantic_problems(exc, "preview_rule")) from None
    check_catalog(draft, snap, prefix="preview_rule.")
    return draft


def steering(surface: Surface) -> Callable[..., Steer]:
    """The dependency of one surface's route."""

    def steer(
        request: Request,
        snap: SnapshotDep,
        filters: Annotated[ListFilters, Depends(list_filters)],
        page: PageDep,
        rules: Annotated[
            bool,
            Query(description="rules=off: the list without the merchandising rules (staff)"),
        ] = True,
        preview_rule: Annotated[
            str | None,
            Query(
                max_length=MAX_DRAFT,
                description="a rule (the JSON body of POST /admin/rules) applied as if saved, "
                "to preview it (staff)",
            ),
        ] = None,
    ) -> Steer:
        if not rules:
            _staff_only(request, "rules")
        draft = None
        if preview_rule is not None:
            _staff_only(request, "preview_rule")
            draft = draft_of(preview_rule, snap)
        principal = _principal(request)
        who = request.path_params.get("customer_id") if surface == "feed" else None
        who = who or (principal.customer_id if principal else None)
        arm = arm_of(request.app, surface, who or visitor_of(request.headers.get(VISITOR_HEADER)))
        settings: Settings = request.app.state.settings
        if arm is not None:
            settings = arm.overlay.apply(settings)
            if arm.overlay.rules is False:
                rules = False
        book = rule_book(request.app)
        if book is None:
            return Steer(filters, page, settings, arm=arm)
        q = request.query_params.get("q")
        ctx = Context(
            surface=surface,
            query=q if surface in ("search", "browse") else None,
            categories=filters.category,
            departments=filters.index_group,
            source_article=request.path_params.get("article_id"),
        )
        found = book.resolve(ctx, draft=draft, enabled=rules)
        if found is None:
            return Steer(filters, page, settings, arm=arm)
        return Steer(
            replace(filters, rules=found.restrict),
            replace(page, arrange=found.arrange),
            settings,
            found.applied,
            arm,
        )

    return steer


# --- a rule against the catalog -----------------------------------------------------------------

#: Attribute fields whose values must be the catalog's own.
KEYWORD_ATTRIBUTES = (
    "product_type_name",
    "product_group_name",
    "colour_group_name",
    "department_name",
    "index_group_name",
    "section_name",
)


def check_catalog(rule: RuleIn, snap: Snapshot, prefix: str = "") -> None:
    """Every value a rule names is one of the catalog's, every article exists: else a 422
    naming each field that is not (nothing is stored)."""
    columns = snap.columns
    errors: list[tuple[str, str]] = []

    def known(field: str, key: str, values: list[str]) -> None:
        for i, v in enumerate(values):
            if not columns.has_value(key, v):
                errors.append((f"{prefix}{field}[{i}]", f"{v!r} is not a {key} of the catalog"))

    def articles(field: str, ids: list[str], *, listed: bool = True) -> None:
        if not ids:
            return
        rows = columns.rows(np.array([point_id(a) for a in ids], dtype=np.int64))
        for i, (a, r) in enumerate(zip(ids, rows.tolist(), strict=True)):
            if r < 0:
                where = f"{prefix}{field}[{i}]" if listed else f"{prefix}{field}"
                errors.append((where, f"article {a} is not in the catalog"))

    scope = rule.scope
    for i, v in enumerate(scope.category):
        if not (
            columns.has_value("product_type_name", v) or columns.has_value("product_group_name", v)
        ):
            errors.append((f"{prefix}scope.category[{i}]", f"{v!r} is not a product type or group"))
    known("scope.department", "index_group_name", scope.department)
    articles("scope.source_article", scope.source_article)
    action: Any = rule.action
    if isinstance(action, PinAction):
        for i, pin in enumerate(action.pins):
            articles(f"action.pins[{i}].article_id", [pin.article_id], listed=False)
    else:
        match: Attributes = action.match
        for key in KEYWORD_ATTRIBUTES:
            known(f"action.match.{key}", key, getattr(match, key))
        articles("action.match.article_ids", match.article_ids)
    if errors:
        raise InvalidInput.of(errors)
