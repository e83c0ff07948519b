"""Insights (`GET /admin/insights`): what shoppers did with the lists the API served
(`core.insights`), per surface and day; merchandiser or admin keys."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from api.auth import Principal
from api.deps import require_role
from core.attribution import SURFACES
from core.errors import InvalidInput
from core.insights import EPOCH_DAY, WINDOW_DAYS, insights
from core.rollup import as_of, refresh, rolled_up

router = APIRouter(prefix="/admin", tags=["insights"])
Staff = Annotated[Principal, Depends(require_role("merchandiser", "admin"))]
MAX_DAYS = 366


class RateOut(BaseModel):
    """``k`` of ``n`` lists, with the 95% Wilson interval (null without any list)."""

    k: int
    n: int
    value: float | None
    low: float | None
    high: float | None


class MeanOut(BaseModel):
    value: float | None
    low: float | None
    high: float | None


class SurfaceDayOut(BaseModel):
    surface: str
    day: date | None = Field(description="null: the whole range")
    lists: int
    click_through: RateOut
    add_to_cart: RateOut
    conversion: RateOut
    revenue: float = Field(description="attributed purchases, shop currency")
    revenue_per_list: MeanOut


class PositionOut(BaseModel):
    position: int
    click_through: RateOut


class QueryOut(BaseModel):
    query: str
    lists: int
    click_through: RateOut


class RuleOut(BaseModel):
    """The items a merchandising rule moved, and how often they were opened from their list."""

    id: int
    name: str | None = Field(description="null: the rule was deleted since")
    lists: int
    click_through: RateOut = Field(description="items opened / items the rule moved")


class InsightsOut(BaseModel):
    start: datetime
    end: datetime
    as_of: datetime | None = Field(
        description="when the daily roll-up these figures come from was last brought up to "
        "date (null: computed from the impressions just now, for another window_days)"
    )
    window_days: int = Field(description="a purchase counts for a list within this many days")
    surfaces: list[SurfaceDayOut]
    days: list[SurfaceDayOut]
    by_position: list[PositionOut]
    top_queries: list[QueryOut]
    no_click_queries: list[QueryOut]
    rules: list[RuleOut]


def _days(d: date) -> int:
    """Days since 1970."""
    return (d - EPOCH_DAY).days


def _day(d: int | None) -> date | None:
    return None if d is None else EPOCH_DAY + timedelta(days=d)


def _surface_day(row: Any) -> SurfaceDayOut:
    data = asdict(row)
    data["day"] = _day(row.day)
    return SurfaceDayOut.model_validate(data)


@router.get("/insights", response_model=InsightsOut)
def get_insights(
    request: Request,
    _: Staff,
    start: Annotated[date | None, Query(alias="from", description="first day (UTC)")] = None,
    end: Annotated[date | None, Query(alias="to", description="last day (UTC), included")] = None,
    surface: Annotated[Literal[SURFACES] | None, Query()] = None,  # type: ignore[valid-type]
    window_days: Annotated[int, Query(ge=1, le=30)] = WINDOW_DAYS,
    fresh: Annotated[
        bool, Query(description="bring the daily roll-up up to date first (seconds on a big log)")
    ] = False,
) -> InsightsOut:
    """Per surface and day: lists served, click-through, add-to-cart and conversion rates, with
    95% intervals, attributed revenue; click-through by position; top and no-click queries.
    Default: the last 7 days. Read from the daily roll-up (`core.rollup`, brought up to date
    every ``insights_refresh_s`` by one API process), or from the impressions for a
    ``window_days`` other than the default."""
    today = datetime.now(UTC).date()
    last = end or today
    first = start or last - timedelta(days=6)
    if first > last:
        raise InvalidInput("from", f"{first} is after to {last}")
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput("to", f"at most {MAX_DAYS} days at once")
    db = request.app.state.attribution.log.db
    if window_days == WINDOW_DAYS:
        if fresh or as_of(db) is None:
            refresh(db)
        found = rolled_up(db, _days(first), _days(last), surface=surface)
    else:
        a = datetime.combine(first, datetime.min.time(), UTC).timestamp()
        b = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC).timestamp()
        found = insights(db, a, b, surface=surface, window_days=window_days)
    names = {r.id: r.name for r in request.app.state.rules.all()} if found.rules else {}
    return InsightsOut(
        start=datetime.fromtimestamp(found.start, UTC),
        end=datetime.fromtimestamp(found.end, UTC),
        as_of=None if found.as_of is None else datetime.fromtimestamp(found.as_of, UTC),
        window_days=window_days,
        surfaces=[_surface_day(r) for r in found.surfaces],
        days=[_surface_day(r) for r in found.days],
        by_position=[
            PositionOut(position=p, click_through=RateOut(**asdict(r)))
            for p, r in found.by_position
        ],
        top_queries=[QueryOut.model_validate(asdict(q)) for q in found.top_queries],
        no_click_queries=[QueryOut.model_validate(asdict(q)) for q in found.no_click_queries],
        rules=[
            RuleOut(
                id=r.rule_id,
                name=names.get(r.rule_id),
                lists=r.lists,
                click_through=RateOut(**asdict(r.click_through)),
            )
            for r in found.rules
        ],
    )
