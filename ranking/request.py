"""What a ranking request asks for: the list filters, their store filter, and the page."""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.changes import UNAVAILABLE
from core.store.base import AnyOf, Condition, Filter, Match, Range
from ranking.rules import Arrange, Restrict

HALF_CENT = 0.005
#: Out of stock or hidden (the live catalog).
UNAVAILABLE_MATCH = Match("availability", (UNAVAILABLE,))


@dataclass(frozen=True)
class ListFilters:
    """`category` matches product_type_name or product_group_name; values are OR-ed."""

    category: tuple[str, ...] = ()
    colour: tuple[str, ...] = ()
    index_group: tuple[str, ...] = ()
    min_price: float | None = None
    max_price: float | None = None
    #: Out-of-stock and hidden articles too (merchandisers and services only).
    include_unavailable: bool = False
    #: What the merchandising rules of the request hide or filter (`ranking.rules`).
    rules: Restrict | None = None

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
        return (
            self.category,
            self.colour,
            self.index_group,
            self.min_price,
            self.max_price,
            self.include_unavailable,
            self.rules,
        )


@dataclass
class Page:
    """Which slice of a ranked list to answer; ``collapse`` keeps one article per product."""

    limit: int = 12
    offset: int = 0
    collapse: bool = True
    #: The boosts and pins of the request's merchandising rules (`ranking.rules`).
    arrange: Arrange | None = None


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
    # Out of stock or hidden (the live catalog): left out of every list a shopper sees.
    must_not = () if f.include_unavailable else (UNAVAILABLE_MATCH,)
    r = f.rules
    if r is None:
        return Filter(must=tuple(must), exclude_ids=exclude_ids, must_not=must_not)
    return Filter(
        must=(*must, *r.must),
        exclude_ids=(*exclude_ids, *r.exclude_ids),
        must_not=must_not,
        only_ids=r.only_ids,
        none_of=r.none_of,
    )
