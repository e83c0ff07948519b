"""Key management and the audit trail: admin keys only (key-authenticated writes are audited
by the middleware); the catalog changes a process set aside: admins and merchandisers."""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from api.auth import Principal
from api.deps import AdminDep, AuditDep, KeysDep, PrincipalDep, SnapshotDep, require_role
from api.errors import AuthError
from api.schemas import (
    AuditItem,
    AuditPage,
    Caller,
    FailedChange,
    FailedChanges,
    KeyCreate,
    KeyCreated,
    KeyInfo,
    KeyList,
)

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/me", response_model=Caller)
def who_am_i(principal: PrincipalDep) -> Caller:
    """Who the credential sent is (the storefront's staff sign-in checks a key with it); 401
    without one."""
    if principal is None:
        raise AuthError(401, "send an API key (X-API-Key) or a bearer token")
    return Caller(
        role=principal.role, key_name=principal.key_name, customer_id=principal.customer_id
    )


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


@router.get("/catalog/failed", response_model=FailedChanges)
def list_failed_changes(
    _: Annotated[Principal, Depends(require_role("admin", "merchandiser"))], snap: SnapshotDep
) -> FailedChanges:
    """The logged catalog changes this process could not apply (a photo gone), oldest first."""
    now = time.monotonic()
    items = [
        FailedChange(
            seq=c.seq,
            article_id=h.article_id,
            op=c.op,
            reason=h.reason,
            attempts=h.attempts,
            failed_since=datetime.fromtimestamp(h.since, UTC),
            next_try_in_s=round(max(h.retry_at - now, 0.0), 1),
        )
        for h in snap.held.values()
        for c in h.changes
    ]
    return FailedChanges(
        process=os.getpid(), catalog_seq=snap.catalog_seq, items=sorted(items, key=lambda i: i.seq)
    )
