"""List filters shared by every list endpoint, and their translation to a store `Filter`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import Query
from pydantic import StringConstraints

from core.errors import InvalidInput
from core.store.base import AnyOf, Condition, Filter, Match, Range

MAX_VALUES = 20
HALF_CENT = 0.005
Value = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Values = Annotated[
    list[Value] | None,
    Query(max_length=MAX_VALUES, description="repeat the parameter for several values"),
]
Price = Annotated[float | None, Query(ge=0, le=1_000_000, description="shop currency")]


@dataclass(frozen=True)
class ListFilters:
    """`category` matches product_type_name or product_group_name; values are OR-ed."""

    category: tuple[str, ...] = ()
    colour: tuple[str, ...] = ()
    index_group: tuple[str, ...] = ()
    min_price: float | None = None
    max_price: float | None = None

    def without(self, name: str) -> ListFilters:
        """The same filters with one dropped (facet counts under the *other* filters)."""
        if name in ("min_price", "max_price", "price"):
            return replace(self, min_price=None, max_price=None)
        if name == "category":
            return replace(self, category=())
        if name == "colour":
            return replace(self, colour=())
        if name == "index_group":
            return replace(self, index_group=())
        raise ValueError(f"unknown filter {name!r}")

    def cache_key(self) -> tuple[object, ...]:
        return (self.category, self.colour, self.index_group, self.min_price, self.max_price)


def list_filters(
    category: Values = None,
    colour: Values = None,
    index_group: Values = None,
    min_price: Price = None,
    max_price: Price = None,
) -> ListFilters:
    """FastAPI dependency reading the filter query parameters."""
    if min_price is not None and max_price is not None and min_price > max_price:
        raise InvalidInput("min_price", f"{min_price} is above max_price {max_price}")
    return ListFilters(
        category=tuple(category or ()),
        colour=tuple(colour or ()),
        index_group=tuple(index_group or ()),
        min_price=min_price,
        max_price=max_price,
    )


def to_store(
    f: ListFilters,
    multiplier: float,
    *,
    exclude_ids: tuple[int, ...] = (),
    extra: tuple[Condition, ...] = (),
) -> Filter:
    """The store filter; shop prices are divided by the multiplier to match stored prices."""
    must: list[Condition] = list(extra)
    if f.category:
        must.append(
            AnyOf((Match("product_type_name", f.category), Match("product_group_name", f.category)))
        )
    if f.colour:
        must.append(Match("colour_group_name", f.colour))
    if f.index_group:
        must.append(Match("index_group_name", f.index_group))
    if f.min_price is not None or f.max_price is not None:
        # Bounds apply to the shown price (rounded to cents): half a cent of tolerance.
        lo = None if f.min_price is None else (f.min_price - HALF_CENT) / multiplier
        hi = None if f.max_price is None else (f.max_price + HALF_CENT - 1e-9) / multiplier
        must.append(Range("price", gte=lo, lte=hi))
    return Filter(must=tuple(must), exclude_ids=exclude_ids)
