"""Key management and the audit trail: admin keys only (key-authenticated writes are audited
by the middleware)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.deps import AdminDep, AuditDep, KeysDep
from api.schemas import AuditItem, AuditPage, KeyCreate, KeyCreated, KeyInfo, KeyList

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/keys", response_model=KeyList)
def list_keys(_: AdminDep, keys: KeysDep) -> KeyList:
    """Every key with its role, revoked ones included (never the keys themselves)."""
    return KeyList(items=[KeyInfo(**asdict(k)) for k in keys.list()])


@router.post("/keys", response_model=KeyCreated, status_code=201)
def create_key(body: KeyCreate, _: AdminDep, keys: KeysDep) -> KeyCreated:
    """A new key; the answer is the only place the key is ever shown."""
    record, key = keys.create(body.role, body.name)
    return KeyCreated(**asdict(record), key=key)


@router.delete("/keys/{name}", status_code=204)
def revoke_key(name: Annotated[str, Path(max_length=64)], _: AdminDep, keys: KeysDep) -> Response:
    """Revoke a key at once for every API process."""
    keys.revoke(name)
    return Response(status_code=204)


@router.get("/audit", response_model=AuditPage)
def get_audit(
    _: AdminDep,
    audit: AuditDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[int | None, Query(ge=1, description="next_before of the last page")] = None,
) -> AuditPage:
    """Key-authenticated writes, newest first."""
    entries = audit.page(limit=limit, before=before)
    more = len(entries) == limit and entries[-1].id > 1
    return AuditPage(
        items=[AuditItem(**asdict(e)) for e in entries],
        next_before=entries[-1].id if more else None,
    )
