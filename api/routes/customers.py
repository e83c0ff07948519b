"""Demo sign-in, sample customers and customers' preferences (owner or service key only)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request

from api.attribution import served
from api.auth import issue
from api.deps import ActivityDep, CacheDep, OwnerDep, PageDep, PrefsDep, SettingsDep, SnapshotDep
from api.present import item
from api.schemas import (
    ArticleList,
    CustomerPreferences,
    PreferencesUpdate,
    SampleCustomer,
    SampleCustomers,
    SessionRequest,
    SessionToken,
)
from core.catalog import point_id
from core.errors import InvalidInput, NotFound
from core.settings import Settings
from ranking import personal
from ranking.index import Snapshot

router = APIRouter(tags=["customers"])
#: Only in the demo sign-in mode (`LOOKBOOK_AUTH__MODE=demo`); `oidc` has no such route.
session_router = APIRouter(tags=["session"])
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@session_router.post("/session", response_model=SessionToken)
def create_session(body: SessionRequest, snap: SnapshotDep, settings: SettingsDep) -> SessionToken:
    """Demo sign-in as a known customer id; answers a bearer token."""
    if not _HEX64.match(body.customer_id):
        raise InvalidInput("customer_id", "must be 64 lowercase hexadecimal characters")
    if snap.customers is not None:
        known = body.customer_id in snap.customers
    else:
        known = bool(snap.reader.retrieve("customers", [point_id(body.customer_id)]))
    if not known:
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
def get_preferences(customer_id: OwnerDep, prefs: PrefsDep) -> CustomerPreferences:
    """The customer's saved preferences (empty ones if none were saved)."""
    saved = prefs.get(customer_id)
    if saved is None:
        return CustomerPreferences(customer_id=customer_id)
    body, updated_at = saved
    return CustomerPreferences(**body.model_dump(), customer_id=customer_id, updated_at=updated_at)


@router.put("/customers/{customer_id}/preferences", response_model=CustomerPreferences)
def put_preferences(
    customer_id: OwnerDep, body: PreferencesUpdate, prefs: PrefsDep, cache: CacheDep
) -> CustomerPreferences:
    """Save the customer's preferences; the feed reflects them at once. The body may be what
    `GET` answered (`customer_id` must then be the path's; `updated_at` is ignored)."""
    if body.customer_id is not None and body.customer_id != customer_id:
        raise InvalidInput(
            "customer_id", "is not the customer of the path; leave it out or send the same id"
        )
    if (
        body.min_price is not None
        and body.max_price is not None
        and body.min_price > body.max_price
    ):
        raise InvalidInput("min_price", "is above max_price")
    wanted = body.preferences()
    updated_at = prefs.put(customer_id, wanted)
    cache.drop_customer(customer_id)
    return CustomerPreferences(
        **wanted.model_dump(), customer_id=customer_id, updated_at=updated_at
    )


@router.get("/customers/{customer_id}/recently-viewed", response_model=ArticleList)
def get_recently_viewed(
    customer_id: OwnerDep,
    snap: SnapshotDep,
    settings: SettingsDep,
    activity: ActivityDep,
    page: PageDep,
) -> ArticleList:
    """What the customer viewed or put in the bag lately, newest first (owner only)."""
    row = personal.recently_viewed(snap, activity, page.limit, page.offset)
    return _row_list(row, snap, settings, page.limit, page.offset)


@router.get("/customers/{customer_id}/buy-again", response_model=ArticleList)
def get_buy_again(
    request: Request,
    customer_id: OwnerDep,
    snap: SnapshotDep,
    settings: SettingsDep,
    activity: ActivityDep,
    page: PageDep,
) -> ArticleList:
    """Articles the customer bought that people buy again (basics, socks, underwear), ranked
    by the customer's own repeats and the article's share of repeat buyers (owner only)."""
    row = personal.buy_again(snap, customer_id, activity, page.limit, page.offset)
    out = _row_list(row, snap, settings, page.limit, page.offset)
    ids = [i.article_id for i in out.items]
    out.rec_id = served(request, "buyagain", snap.version, ids, customer_id=customer_id)
    return out


def _row_list(
    row: personal.Row, snap: Snapshot, settings: Settings, limit: int, offset: int
) -> ArticleList:
    return ArticleList(
        items=[
            item(r, settings.shop, score=s, reason=why)
            for r, s, why in zip(row.records, row.scores, row.reasons, strict=True)
        ],
        total=row.total,
        limit=limit,
        offset=offset,
        version=snap.version,
    )
