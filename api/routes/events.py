"""Shoppers' events: appended to the durable log, applied to the customer's next request."""

from __future__ import annotations

import time

import numpy as np
from fastapi import APIRouter, Request

from api.attribution import Attribution
from api.deps import EventsDep, PrincipalDep, SettingsDep, SnapshotDep
from api.errors import AuthError
from api.schemas import EventBatch, EventsAccepted
from core.catalog import point_id
from core.errors import InvalidInput
from core.events import Event

router = APIRouter(tags=["events"])
#: How far in the future an event's ``ts`` may be (clock skew between shop and API).
FUTURE_S = 300.0


@router.post("/events", response_model=EventsAccepted)
def post_events(
    body: EventBatch,
    principal: PrincipalDep,
    snap: SnapshotDep,
    settings: SettingsDep,
    log: EventsDep,
    request: Request,
) -> EventsAccepted:
    """Log a batch of up to 500 events (a shopper's token: only their own views and
    add-to-carts; a service key: any customer's events, purchases included, as the shop's
    server posts them after an order). All or nothing: one bad event rejects the batch with a
    422 naming each bad event's index and field. A retried `event_id` counts as a duplicate.
    The answer comes once the events are durable; the customer's next feed reflects them."""
    if principal is None:
        raise AuthError(401, "sign in, or send a service key, to post events")
    attribution: Attribution = request.app.state.attribution
    if principal.customer_id is None and principal.role != "service":
        raise AuthError(403, f"the role {principal.role} may not post shoppers' events")
    events = body.events
    if principal.customer_id is not None:
        others = [i for i, e in enumerate(events) if e.customer_id != principal.customer_id]
        if others:
            raise AuthError(
                403, f"events {others[:10]} are another customer's: a token posts its own only"
            )
        bought = [i for i, e in enumerate(events) if e.type == "purchase"]
        if bought:
            fields = ", ".join(f"events.{i}.type" for i in bought[:10])
            more = f" and {len(bought) - 10} more" if len(bought) > 10 else ""
            raise AuthError(
                403,
                f"{fields}{more}: a shopper's token posts views and add_to_cart only; "
                "purchases come from the shop's server, with a service key",
            )
    now = time.time()
    rows = snap.columns.rows(np.array([point_id(e.article_id) for e in events], dtype=np.int64))
    errors: list[tuple[str, str]] = []
    ids = attribution.ids
    for i, (e, row) in enumerate(zip(events, rows, strict=True)):
        if row < 0:
            errors.append((f"events.{i}.article_id", f"{e.article_id} is not in the catalog"))
        if e.rec_id is not None and ids.parse(e.rec_id) is None:
            errors.append(
                (f"events.{i}.rec_id", "is not the rec_id of a list this shop's API served")
            )
        if e.position is not None and e.rec_id is None:
            errors.append((f"events.{i}.position", "needs the rec_id of its list"))
        if e.ts is not None and e.ts.timestamp() > now + FUTURE_S:
            errors.append((f"events.{i}.ts", "is more than 5 minutes in the future"))
    if errors:
        raise InvalidInput.of(errors)
    prices = snap.columns.numbers("price", rows) * settings.shop.price_multiplier
    logged = [
        Event(
            event_id=e.event_id,
            type=e.type,
            customer_id=e.customer_id,
            article_id=e.article_id,
            ts=e.ts.timestamp() if e.ts is not None else now,
            price=(
                e.price
                if e.price is not None
                else (round(float(p), 2) if e.type == "purchase" and p == p else None)
            ),
            sales_channel_id=e.sales_channel_id or (2 if e.type == "purchase" else None),
            rec_id=e.rec_id,
            position=e.position,
        )
        for e, p in zip(events, prices, strict=True)
    ]
    accepted, duplicates = log.append(logged)
    return EventsAccepted(accepted=accepted, duplicates=duplicates)
