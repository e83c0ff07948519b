"""The list filters as query parameters: a FastAPI dependency that reads them into the ranking
engine's `ListFilters`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from pydantic import StringConstraints

from api.deps import role_gated
from core.errors import InvalidInput
from ranking.request import ListFilters

MAX_VALUES = 20
Value = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Values = Annotated[
    list[Value] | None,
    Query(max_length=MAX_VALUES, description="repeat the parameter for several values"),
]
Price = Annotated[float | None, Query(ge=0, le=1_000_000, description="shop currency")]


#: The roles that may list out-of-stock and hidden articles.
STAFF = ("merchandiser", "service", "admin")
_staff = role_gated("include_unavailable", *STAFF)


async def list_filters(
    request: Request,
    category: Values = None,
    colour: Values = None,
    index_group: Values = None,
    min_price: Price = None,
    max_price: Price = None,
    include_unavailable: Annotated[
        bool, Query(description="out-of-stock and hidden articles too (staff keys only)")
    ] = False,
) -> ListFilters:
    """FastAPI dependency reading the filter query parameters (async: no thread hop)."""
    if include_unavailable:
        await _staff(request)
    if min_price is not None and max_price is not None and min_price > max_price:
        raise InvalidInput("min_price", f"{min_price} is above max_price {max_price}")
    return ListFilters(
        category=tuple(category or ()),
        colour=tuple(colour or ()),
        index_group=tuple(index_group or ()),
        min_price=min_price,
        max_price=max_price,
        include_unavailable=include_unavailable,
    )
