"""Demo sign-in and customers' preferences (the one write path)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path

from api.auth import issue, subject
from api.deps import CacheDep, PrefsDep, SettingsDep, SnapshotDep
from api.errors import AuthError
from api.schemas import (
    CustomerPreferences,
    Preferences,
    SampleCustomer,
    SampleCustomers,
    SessionRequest,
    SessionToken,
)
from core.catalog import point_id
from core.errors import InvalidInput, NotFound
from core.settings import Settings

router = APIRouter(tags=["customers"])
CustomerId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="64-hex customer id")]
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def require_customer(
    customer_id: CustomerId,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> str:
    """The path's customer, only with that customer's own token (401 without, 403 another's)."""
    who = subject(authorization, settings.secret_key)
    if who != customer_id:
        raise AuthError(403, "this token belongs to another customer")
    return customer_id


Owner = Annotated[str, Depends(require_customer)]


@router.post("/session", response_model=SessionToken, tags=["session"])
def create_session(body: SessionRequest, snap: SnapshotDep, settings: SettingsDep) -> SessionToken:
    """Demo sign-in as a known customer id; answers a bearer token."""
    if not _HEX64.match(body.customer_id):
        raise InvalidInput("customer_id", "must be 64 lowercase hexadecimal characters")
    if not snap.reader.retrieve("customers", [point_id(body.customer_id)]):
        raise NotFound("customer", body.customer_id)
    return _token(body.customer_id, settings)


@router.get("/customers/samples", response_model=SampleCustomers)
def get_samples(snap: SnapshotDep) -> SampleCustomers:
    """Customers a demo can sign in as (chosen when the index was built): regular shoppers,
    and one who bought nothing to show the cold start."""
    return SampleCustomers(items=[SampleCustomer(**c) for c in snap.manifest.get("samples", [])])


def _token(customer_id: str, settings: Settings) -> SessionToken:
    token = issue(customer_id, settings.secret_key, settings.token_ttl_s)
    return SessionToken(access_token=token, expires_in=settings.token_ttl_s)


@router.get("/customers/{customer_id}/preferences", response_model=CustomerPreferences)
def get_preferences(customer_id: Owner, prefs: PrefsDep) -> CustomerPreferences:
    """The customer's saved preferences (empty ones if none were saved)."""
    return prefs.get(customer_id) or CustomerPreferences(customer_id=customer_id)


@router.put("/customers/{customer_id}/preferences", response_model=CustomerPreferences)
def put_preferences(
    customer_id: Owner, body: Preferences, prefs: PrefsDep, cache: CacheDep
) -> CustomerPreferences:
    """Save the customer's preferences; the feed reflects them at once."""
    if (
        body.min_price is not None
        and body.max_price is not None
        and body.min_price > body.max_price
    ):
        raise InvalidInput("min_price", "is above max_price")
    saved = prefs.put(customer_id, body)
    cache.drop_customer(customer_id)
    return saved
