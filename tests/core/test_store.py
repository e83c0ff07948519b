"""The store contract, run against both engines and checked against numpy brute force."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Literal

import numpy as np
import pytest
from qdrant_client import QdrantClient

from core.settings import QdrantSettings
from core.store.base import (
    AnyOf,
    Filter,
    Match,
    Range,
    Store,
    StoreReader,
    VectorQuery,
)
from core.store.edge import EdgeStore
from core.store.server import ServerStore
from tests.core.conftest import World, brute_mask, brute_top, build_version, query_vector

# qdrant-client's local mode warns that it ignores payload indexes and search params.
pytestmark = pytest.mark.filterwarnings("ignore:.*(Payload indexes|Local mode):UserWarning")

FILTERS: dict[str, Filter | None] = {
    "none": None,
    "match-any": Filter(must=(Match("colour_group_name", ("Black", "Red")),)),
    "range": Filter(must=(Range("price", gte=0.03, lte=0.08),)),
    "open-range": Filter(must=(Range("sales_7d", gte=6),)),
    "any-of": Filter(
        must=(
            AnyOf(
                (
                    Match("product_type_name", ("Dress",)),
                    Match("product_group_name", ("Garment Upper body",)),
                )
            ),
        )
    ),
    "any-of-mixed": Filter(
        must=(AnyOf((Match("colour_group_name", ("White",)), Range("price", gte=0.1))),)
    ),
    "and-exclude": Filter(
        must=(Match("colour_group_name", ("Blue", "Beige")), Range("price", lte=0.06)),
        exclude_ids=tuple(range(1000, 1080)),
    ),
    "exclude-only": Filter(exclude_ids=tuple(range(1000, 1150))),
}


@pytest.fixture(scope="module", params=["edge", "server"])
def reader(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, world: World
) -> Iterator[StoreReader]:
    """One published version per engine, shared by the read-only tests of this module."""
    client = QdrantClient(":memory:")
    store: Store = (
        EdgeStore(tmp_path_factory.mktemp("edge") / "store")
        if request.param == "edge"
        else ServerStore(client, QdrantSettings())
    )
    build_version(store, "v1", world)
    store.publish("v1")
    r = store.open_reader()
    yield r
    r.close()
    client.close()


@pytest.mark.parametrize("name", list(FILTERS))
def test_search_count_and_facets_equal_brute_force(
    reader: StoreReader, world: World, name: str
) -> None:
    flt = FILTERS[name]
    for seed, using in enumerate(("text", "image", "cf")):
        q = query_vector(using, seed)
        hits = reader.search("articles", VectorQuery(using, q.tolist(), 12), flt)
        expected = brute_top(world, using, q, flt, 12)
        assert [h.id for h in hits] == [i for i, _ in expected], using
        assert [h.score for h in hits] == pytest.approx([s for _, s in expected], abs=1e-4)
        mask = brute_mask(world, flt)
        by_id = {int(pid): i for i, pid in enumerate(world.ids)}
        assert all(mask[by_id[h.id]] for h in hits)
        assert all(h.payload == world.payloads[by_id[h.id]] for h in hits)
    mask = brute_mask(world, flt)
    assert reader.count("articles", flt) == int(mask.sum())
    for key in ("colour_group_name", "product_type_name"):
        expected_facet = Counter(p[key] for p, m in zip(world.payloads, mask, strict=True) if m)
        assert reader.facet("articles", key, flt) == dict(expected_facet)


def test_facet_limit_keeps_the_largest_counts(reader: StoreReader, world: World) -> None:
    top = reader.facet("articles", "colour_group_name", limit=2)
    counts = Counter(p["colour_group_name"] for p in world.payloads)
    assert len(top) == 2
    assert sorted(top.values(), reverse=True) == sorted(counts.values(), reverse=True)[:2]


@pytest.mark.parametrize(
    ("key", "direction", "flt_name"),
    [
        ("price", "desc", "none"),
        ("price", "asc", "none"),
        ("sales_7d", "desc", "any-of"),
        ("price", "asc", "and-exclude"),
    ],
)
def test_scroll_orders_by_field_then_id_and_pages_without_overlap(
    reader: StoreReader,
    world: World,
    key: str,
    direction: Literal["asc", "desc"],
    flt_name: str,
) -> None:
    flt = FILTERS[flt_name]
    mask = brute_mask(world, flt)
    sign = -1 if direction == "desc" else 1
    rows = [
        (sign * p[key], int(pid))
        for pid, p, m in zip(world.ids, world.payloads, mask, strict=True)
        if m
    ]
    expected = [pid for _, pid in sorted(rows)]
    got: list[int] = []
    for offset in range(0, len(expected) + 7, 7):
        page = reader.scroll("articles", flt, order_by=(key, direction), limit=7, offset=offset)
        assert len(page) == min(7, max(0, len(expected) - offset))
        got.extend(r.id for r in page)
    assert got == expected


def test_scroll_by_id_pages(reader: StoreReader, world: World) -> None:
    flt = FILTERS["match-any"]
    expected = [int(pid) for pid, m in zip(world.ids, brute_mask(world, flt), strict=True) if m]
    pages = [reader.scroll("articles", flt, limit=10, offset=o) for o in range(0, 200, 10)]
    assert [r.id for page in pages for r in page] == expected
    first = reader.scroll("articles", limit=3, with_vectors=("cf",))
    assert [r.id for r in first] == [1000, 1001, 1002]
    assert first[0].vectors["cf"] == pytest.approx(world.vectors["cf"][0].tolist(), abs=1e-6)


def test_retrieve_keeps_order_and_returns_only_present_vectors(
    reader: StoreReader, world: World
) -> None:
    # 1005 has no image vector (every 5th article); 99 does not exist.
    got = reader.retrieve("articles", [1012, 1005, 99, 1003], with_vectors=("image", "text"))
    assert [r.id for r in got] == [1012, 1005, 1003]
    assert set(got[0].vectors) == {"image", "text"}
    assert set(got[1].vectors) == {"text"}
    text = world.vectors["text"][12]
    assert got[0].vectors["text"] == pytest.approx(text / np.linalg.norm(text), abs=1e-5)
    assert got[2].payload == world.payloads[3]
    assert reader.retrieve("articles", [1003])[0].vectors == {}
    assert reader.retrieve("customers", [5003])[0].payload == {"club": "ACTIVE"}


@pytest.mark.parametrize("flt_name", ["none", "any-of", "and-exclude"])
def test_candidates_are_the_union_of_each_prefetch(
    reader: StoreReader, world: World, flt_name: str
) -> None:
    flt = FILTERS[flt_name]
    limits = {"text": 10, "image": 5, "cf": 8}
    queries = [
        VectorQuery(u, query_vector(u, 7 + i).tolist(), k)
        for i, (u, k) in enumerate(limits.items())
    ]
    got = reader.candidates("articles", queries, flt)
    expected = {
        pid
        for q in queries
        for pid, _ in brute_top(world, q.using, np.array(q.vector), flt, q.limit)
    }
    assert len(got) == len(set(got))
    assert set(got) == expected
