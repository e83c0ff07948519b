"""The personal feed and trending."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.attribution import served
from api.deps import ActivityDep, OwnerDep, PrefsDep, SalesDep, SnapshotDep
from api.present import article_ids, item, ranked_list, trial
from api.schemas import ArticleList
from api.steer import Steer, steering
from core.catalog import point_id
from core.db import DatabaseUnavailable
from core.errors import InvalidInput
from ranking import browse as browsing
from ranking.feed import feed

router = APIRouter(tags=["recommendations"])


@router.get("/recommendations/{customer_id}", response_model=ArticleList)
def get_recommendations(
    request: Request,
    customer_id: OwnerDep,
    snap: SnapshotDep,
    prefs_store: PrefsDep,
    steer: Annotated[Steer, Depends(steering("feed"))],
    activity: ActivityDep,
    exclude_bought: Annotated[
        bool | None,
        Query(description="leave out what was bought (default: yes, or the experiment's)"),
    ] = None,
) -> ArticleList:
    """The customer's personal feed with the score parts and a reason per item (their own
    token or a service key); their events since the last build count at once."""
    settings, arm = steer.settings, steer.arm
    if exclude_bought is None:
        policy = arm.overlay.exclude_bought if arm is not None else None
        exclude_bought = True if policy is None else policy
    try:
        saved = prefs_store.get(customer_id)
    except DatabaseUnavailable:
        saved = None  # the feed answers from the index while the database is down
    prefs = saved[0] if saved else None
    filters, page = steer.filters, steer.page
    ranked, reasons = feed(
        snap,
        settings,
        customer_id,
        prefs,
        filters,
        page,
        exclude_bought=exclude_bought,
        activity=activity,
    )
    rec_id = served(
        request,
        "feed",
        snap.version,
        article_ids(ranked.records),
        customer_id=customer_id,
        moved=ranked.rules,
        first=page.offset + 1,
        arm=arm,
    )
    return ranked_list(
        ranked,
        settings.shop,
        reasons,
        limit=page.limit,
        offset=page.offset,
        version=snap.version,
        rec_id=rec_id,
        arm=arm,
    )


@router.get("/trending", response_model=ArticleList)
def get_trending(
    request: Request,
    snap: SnapshotDep,
    steer: Annotated[Steer, Depends(steering("trending"))],
    sales: SalesDep,
    window_days: Annotated[int, Query(description="sales window in days: 7 or 30")] = 7,
) -> ArticleList:
    """Top sellers of the last 7 or 30 days, under the filters; purchases logged since the
    last build count at once."""
    settings = steer.settings
    if window_days not in (7, 30):
        raise InvalidInput("window_days", f"must be 7 or 30, got {window_days}")
    logged = sales.in_window(snap.events_seq, window_days)
    live = {point_id(a): n for a, n in logged.items()}
    page = steer.page
    records, total, moved = browsing.trending(
        snap,
        settings,
        steer.filters,
        window_days=window_days,
        limit=page.limit,
        offset=page.offset,
        collapse=page.collapse,
        live=live,
        arrange=page.arrange,
    )
    key = "sales_7d" if window_days == 7 else "sales_30d"
    return ArticleList(
        **trial(steer.arm),
        items=[
            item(
                r,
                settings.shop,
                score=float(r.payload[key]),
                reason=f"{r.payload[key]} sold in the last {window_days} days",
                rules=moved[i] if moved else (),
            )
            for i, r in enumerate(records)
        ],
        total=total,
        limit=page.limit,
        offset=page.offset,
        version=snap.version,
        rec_id=served(
            request,
            "trending",
            snap.version,
            article_ids(records),
            moved=moved,
            first=page.offset + 1,
            arm=steer.arm,
        ),
    )
