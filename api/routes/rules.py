"""Merchandising rules (`/admin/rules`): merchandiser or admin keys; every write is audited by
the middleware under the caller's key name, durable before the answer, and applied by every
API process within `core.documents.POLL_S`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request, Response
from pydantic import ValidationError

from api.auth import Principal
from api.deps import SnapshotDep, require_role
from api.steer import check_catalog
from core.errors import InvalidInput, pydantic_problems
from core.rules import Rule, RuleIn, RuleList, RuleStore

router = APIRouter(prefix="/admin/rules", tags=["rules"])
Staff = Annotated[Principal, Depends(require_role("merchandiser", "admin"))]
RuleId = Annotated[int, Path(ge=1, le=2**53)]
#: What PATCH may not change: the fields the store keeps.
KEPT = ("id", "status", "created_at", "updated_at", "created_by", "updated_by")


def _store(request: Request) -> RuleStore:
    store: RuleStore = request.app.state.rules
    return store


Store = Annotated[RuleStore, Depends(_store)]


@router.get("", response_model=RuleList)
def list_rules(_: Staff, store: Store) -> RuleList:
    """Every rule, oldest first, each with its status now (active, scheduled, expired,
    disabled)."""
    return RuleList(rules=store.all())


@router.post("", response_model=Rule, status_code=201)
def create_rule(body: RuleIn, who: Staff, store: Store, snap: SnapshotDep) -> Rule:
    """A new rule; every value and article it names must be the catalog's (422 naming the
    field otherwise, and nothing is stored)."""
    check_catalog(body, snap)
    return store.create(body, who.key_name)


@router.get("/{rule_id}", response_model=Rule)
def get_rule(rule_id: RuleId, _: Staff, store: Store) -> Rule:
    return store.get(rule_id)


@router.put("/{rule_id}", response_model=Rule)
def replace_rule(
    rule_id: RuleId, body: RuleIn, who: Staff, store: Store, snap: SnapshotDep
) -> Rule:
    """Replace a rule whole."""
    store.get(rule_id)  # 404 before 422: the rule must exist
    check_catalog(body, snap)
    return store.replace(rule_id, body, who.key_name)


@router.patch("/{rule_id}", response_model=Rule)
def patch_rule(
    rule_id: RuleId,
    who: Staff,
    store: Store,
    snap: SnapshotDep,
    changes: Annotated[
        dict[str, Any],
        Body(description="top-level fields of the rule to replace (e.g. enabled, ends_at)"),
    ],
) -> Rule:
    """Change some of a rule's top-level fields (``scope`` and ``action`` are replaced whole)."""
    current = store.get(rule_id)
    for name in changes:
        if name in KEPT:
            raise InvalidInput(name, "is kept by the store and cannot be changed")
    merged = {**current.model_dump(mode="json", exclude=set(KEPT)), **changes}
    try:
        body = RuleIn.model_validate(merged)
    except ValidationError as exc:
        raise InvalidInput.of(pydantic_problems(exc)) from None
    check_catalog(body, snap)
    return store.replace(rule_id, body, who.key_name)


@router.delete("/{rule_id}", status_code=204)
def delete_rule(rule_id: RuleId, _: Staff, store: Store) -> Response:
    store.delete(rule_id)
    return Response(status_code=204)
