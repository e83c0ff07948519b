"""Price and stock set on a served version are held by the reader, not written to the engine
(`core.store.hot`), on both engines: every read answers the live values as a build of the
changed catalog would (brute force over the live payloads), and the engine's points stay in
their indexed segments (nothing journaled, nothing for a re-index to do)."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from core.store.base import (
    AnyOf,
    Delete,
    Filter,
    Match,
    Point,
    Range,
    SetPayload,
    Store,
    StoreReader,
    Upsert,
    VectorQuery,
)
from tests.core.conftest import ARTICLE_SPEC, DIMS, World, brute_top, build_version, query_vector

UNAVAILABLE = Match("availability", ("unavailable",))
Check = Callable[[dict[str, Any]], bool]


def _live_changes(world: World) -> tuple[list[SetPayload], list[dict[str, Any]]]:
    """A stock feed's day: 40 re-priced, 25 out of stock, 6 of those back in stock, 3 hidden;
    the changes and the payloads they leave."""
    live = copy.deepcopy(world.payloads)
    rng = np.random.default_rng(5)
    changes: list[SetPayload] = []
    index = {int(pid): i for i, pid in enumerate(world.ids)}

    def put(pid: int, fields: dict[str, Any]) -> None:
        changes.append(SetPayload((pid,), fields))
        live[index[pid]].update(fields)

    picked = [int(p) for p in rng.choice(world.ids, size=60, replace=False)]
    for pid in picked[:40]:
        put(pid, {"price": round(float(rng.uniform(0.0, 0.2)), 3)})
    for pid in picked[20:45]:  # some re-priced too
        put(pid, {"in_stock": False, "availability": "unavailable"})
    for pid in picked[20:26]:
        put(pid, {"in_stock": True, "availability": "available"})
    for pid in picked[50:53]:
        put(pid, {"hidden": True, "availability": "unavailable"})
    return changes, live


def _available(p: dict[str, Any]) -> bool:
    return p.get("availability") != "unavailable"


#: (filter, its meaning over a live payload)
CASES: list[tuple[Filter, Check]] = [
    (Filter(must=(Range("price", lte=0.05),)), lambda p: p["price"] <= 0.05),
    (Filter(must=(Range("price", gte=0.08, lte=0.15),)), lambda p: 0.08 <= p["price"] <= 0.15),
    (Filter(must_not=(UNAVAILABLE,)), _available),
    (
        Filter(must=(Match("colour_group_name", ("Black", "Red")),), must_not=(UNAVAILABLE,)),
        lambda p: p["colour_group_name"] in ("Black", "Red") and _available(p),
    ),
    (
        Filter(must=(AnyOf((Range("price", gte=0.11), Match("product_type_name", ("Dress",)))),)),
        lambda p: p["price"] >= 0.11 or p["product_type_name"] == "Dress",
    ),
    (
        Filter(none_of=((Range("price", lte=0.06), Match("colour_group_name", ("Blue",))),)),
        lambda p: not (p["price"] <= 0.06 and p["colour_group_name"] == "Blue"),
    ),
]


def _expected(world: World, live: list[dict[str, Any]], check: Check) -> set[int]:
    return {int(pid) for pid, p in zip(world.ids, live, strict=True) if check(p)}


@pytest.fixture
def changed(store: Store, world: World) -> tuple[StoreReader, list[dict[str, Any]]]:
    # The live catalog's availability is indexed, as the indexer's articles are.
    spec = dataclasses.replace(
        ARTICLE_SPEC, keyword_fields=(*ARTICLE_SPEC.keyword_fields, "availability")
    )
    build_version(store, "v1", world, spec=spec)
    store.publish("v1")
    reader = store.open_reader()
    changes, live = _live_changes(world)
    for start in range(0, len(changes), 7):  # several applies, as the catalog makes them
        reader.apply("articles", changes[start : start + 7])
    return reader, live


def test_a_price_and_stock_change_writes_nothing_to_the_engine(
    changed: tuple[StoreReader, list[dict[str, Any]]], world: World
) -> None:
    reader, live = changed
    try:
        if hasattr(reader, "journal"):  # Edge: nothing for a fresh copy to re-apply
            assert reader.journal == [] and reader.written == 0
        got = reader.retrieve("articles", [int(p) for p in world.ids])
        assert [r.payload for r in got] == live
        prices = reader.retrieve("articles", [int(world.ids[3])], payload_fields=["price"])
        assert prices[0].payload == {"price": live[3]["price"]}
    finally:
        reader.close()


@pytest.mark.parametrize("case", range(len(CASES)))
def test_filters_counts_and_searches_answer_the_live_values(
    changed: tuple[StoreReader, list[dict[str, Any]]], world: World, case: int
) -> None:
    reader, live = changed
    flt, check = CASES[case]
    try:
        want = _expected(world, live, check)
        assert {r.id for r in reader.scroll("articles", flt, limit=500)} == want
        assert reader.count("articles", flt) == len(want)
        now = dataclasses.replace(world, payloads=live)
        for using in DIMS:
            query = query_vector(using, seed=11 + case)
            hits = reader.search("articles", VectorQuery(using, query.tolist(), 10), flt)
            assert [h.id for h in hits] == [
                i for i, _ in brute_top(now, using, query, None, 500) if i in want
            ][:10]
            assert all(h.payload == live[h.id - 1000] for h in hits)
        queries = [VectorQuery(u, query_vector(u, seed=3).tolist(), 15) for u in DIMS]
        found = reader.candidates("articles", queries, flt)
        assert found and set(found) <= want
    finally:
        reader.close()


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_pages_ordered_by_price_follow_the_live_prices(
    changed: tuple[StoreReader, list[dict[str, Any]]], world: World, direction: str
) -> None:
    reader, live = changed
    flt = Filter(must_not=(UNAVAILABLE,))
    try:
        sign = 1 if direction == "asc" else -1
        want = sorted(
            (
                (sign * p["price"], int(pid))
                for pid, p in zip(world.ids, live, strict=True)
                if _available(p)
            ),
        )
        pages: list[int] = []
        for offset in range(0, len(want), 9):
            page = reader.scroll(
                "articles",
                flt,
                order_by=("price", direction),
                limit=9,
                offset=offset,  # type: ignore[arg-type]
            )
            assert all(r.payload == live[r.id - 1000] for r in page)
            pages += [r.id for r in page]
        assert pages == [pid for _, pid in want]
    finally:
        reader.close()


def test_a_facet_of_a_hot_field_counts_the_live_values(
    changed: tuple[StoreReader, list[dict[str, Any]]], world: World
) -> None:
    reader, live = changed
    flt = Filter(must=(Match("product_type_name", ("Dress", "Sweater")),))
    try:
        want: dict[str, int] = {}
        for p in live:
            if p["product_type_name"] in ("Dress", "Sweater") and "availability" in p:
                want[p["availability"]] = want.get(p["availability"], 0) + 1
        assert reader.facet("articles", "availability", flt) == want
    finally:
        reader.close()


def test_an_upsert_or_delete_after_a_held_change_is_the_engines_again(
    changed: tuple[StoreReader, list[dict[str, Any]]], world: World
) -> None:
    reader, live = changed
    held = [i for i, p in enumerate(live) if p != world.payloads[i]]
    put, gone = int(world.ids[held[0]]), int(world.ids[held[1]])
    try:
        payload = {**world.payloads[held[0]], "price": 0.5, "availability": "available"}
        vectors = {n: v[held[0]].tolist() for n, v in world.vectors.items()}
        reader.apply("articles", [Upsert((Point(put, vectors, payload),)), Delete((gone,))])
        assert reader.retrieve("articles", [put])[0].payload == payload
        assert reader.retrieve("articles", [gone]) == []
        dear = Filter(must=(Range("price", gte=0.45),))
        assert [r.id for r in reader.scroll("articles", dear, limit=50)] == [put]
        # A later price change of the upserted article is held again.
        reader.apply("articles", [SetPayload((put,), {"price": 0.01})])
        assert reader.scroll("articles", dear, limit=50) == []
        assert reader.retrieve("articles", [put])[0].payload["price"] == 0.01
    finally:
        reader.close()
