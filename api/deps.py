"""Typed dependencies: objects built once in the lifespan, reached through `request.app.state`.

The ones that only read the request or the app's state are ``async``: FastAPI runs a plain
``def`` dependency in its thread pool, a thread hop per dependency and request. `get_snapshot`
stays ``def``: switching to a newly published version opens it, which blocks."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request

from api.auth import Principal
from api.cache import ResponseCache
from api.errors import AuthError
from api.middleware import PRINCIPAL, Access
from core.audit import AuditLog
from core.db import DatabaseUnavailable
from core.events import Activity, EventLog
from core.keys import KeyStore
from core.preferences import PreferenceStore
from core.sales import PurchaseCounts
from core.settings import Settings
from ranking.index import LiveIndex, Snapshot
from ranking.request import Page

log = logging.getLogger(__name__)
MAX_OFFSET = 1000


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_snapshot(request: Request) -> Snapshot:
    live: LiveIndex = request.app.state.index
    return live.snapshot()


async def get_cache(request: Request) -> ResponseCache:
    cache: ResponseCache = request.app.state.cache
    return cache


async def get_prefs(request: Request) -> PreferenceStore:
    prefs: PreferenceStore = request.app.state.prefs
    return prefs


async def get_page(
    limit: Annotated[int, Query(ge=1, le=100)] = 12,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    collapse: Annotated[bool, Query(description="one article per product_code")] = True,
) -> Page:
    return Page(limit=limit, offset=offset, collapse=collapse)


def _principal(request: Request) -> Principal | None:
    principal: Principal | None = request.scope.get(PRINCIPAL)
    return principal


async def get_principal(request: Request) -> Principal | None:
    """The caller the middleware authenticated (None: no credential was sent); it leaves the
    answer in the scope of every request it lets through."""
    return _principal(request)


async def optional_customer(request: Request) -> str | None:
    """The signed-in shopper's customer id when a valid token is sent, else None."""
    principal = _principal(request)
    return principal.customer_id if principal is not None else None


async def require_owner(
    request: Request,
    customer_id: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="64-hex customer id")],
) -> str:
    """The path's customer, only for that customer's token or a service key: 401 without a
    credential, 403 with anyone else's."""
    principal = _principal(request)
    if principal is None:
        raise AuthError(401, "sign in: this is a customer's personal data")
    if not principal.may_act_for(customer_id):
        raise AuthError(403, "only this customer's own token or a service key may read this")
    return customer_id


#: Every query parameter that only some roles may send, and those roles: filled by
#: `role_gated` as the routes load, so docs and tests find them all in one place.
ROLE_GATED: dict[str, tuple[str, ...]] = {}


def role_gated(param: str, *roles: str) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """`require_role` for the query parameter ``param``, registered in `ROLE_GATED`."""
    ROLE_GATED[param] = roles
    return require_role(*roles)


def require_role(*roles: str) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A dependency that admits API keys of ``roles`` only (401 without, 403 another role)."""

    async def check(request: Request) -> Principal:
        principal = _principal(request)
        if principal is None:
            raise AuthError(401, f"an API key with the role {' or '.join(roles)} is required")
        if principal.role not in roles:
            raise AuthError(403, f"the role {principal.role} may not do this")
        return principal

    return check


async def get_events(request: Request) -> EventLog:
    events: EventLog = request.app.state.events
    return events


async def get_sales(request: Request) -> PurchaseCounts:
    sales: PurchaseCounts = request.app.state.sales
    return sales


def _activity(request: Request, snap: Snapshot, customer_id: str) -> Activity:
    """What ``customer_id`` did since ``snap``'s version was built, from the event log."""
    events: EventLog = request.app.state.events
    settings: Settings = request.app.state.settings
    try:
        return events.activity(customer_id, snap.events_seq, settings.live.views_kept)
    except DatabaseUnavailable:
        # A read answers from the index alone while the database is down (the middleware
        # does not cache it): what was bought or viewed since the build is left out.
        log.warning("the event log is unavailable: serving %s without live events", customer_id)
        return Activity()


def customer_activity(
    customer_id: Annotated[str, Depends(require_owner)],
    request: Request,
    snap: Annotated[Snapshot, Depends(get_snapshot)],
) -> Activity:
    """What the path's customer did since the served version was built (owner only)."""
    return _activity(request, snap, customer_id)


def signed_in_activity(
    request: Request, snap: Annotated[Snapshot, Depends(get_snapshot)]
) -> Activity | None:
    """What the signed-in shopper did since the served version was built (None: no shopper)."""
    principal = _principal(request)
    if principal is None or principal.customer_id is None:
        return None
    return _activity(request, snap, principal.customer_id)


async def get_keys(request: Request) -> KeyStore:
    keys: KeyStore = request.app.state.keys
    return keys


async def get_audit(request: Request) -> AuditLog:
    access: Access = request.app.state.access
    return access.audit


SettingsDep = Annotated[Settings, Depends(get_settings)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
CacheDep = Annotated[ResponseCache, Depends(get_cache)]
PrefsDep = Annotated[PreferenceStore, Depends(get_prefs)]
PageDep = Annotated[Page, Depends(get_page)]
OptionalCustomerDep = Annotated[str | None, Depends(optional_customer)]
OwnerDep = Annotated[str, Depends(require_owner)]
PrincipalDep = Annotated[Principal | None, Depends(get_principal)]
EventsDep = Annotated[EventLog, Depends(get_events)]
SalesDep = Annotated[PurchaseCounts, Depends(get_sales)]
ActivityDep = Annotated[Activity, Depends(customer_activity)]
ShopperActivityDep = Annotated[Activity | None, Depends(signed_in_activity)]
AdminDep = Annotated[Principal, Depends(require_role("admin"))]
KeysDep = Annotated[KeyStore, Depends(get_keys)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
