"""Live changes applied to a served version, on both engines: what the live catalog builds on.
Each answer afterwards is what a build of the changed catalog would give (brute force)."""

from __future__ import annotations

import numpy as np

from core.store.base import Delete, Filter, Point, Range, SetPayload, Store, Upsert, VectorQuery
from tests.core.conftest import DIMS, World, brute_mask, build_version


def test_upsert_set_payload_and_delete_are_served_at_once(store: Store, world: World) -> None:
    build_version(store, "v1", world)
    store.publish("v1")
    reader = store.open_reader()
    try:
        new_id = 9999
        rng = np.random.default_rng(99)
        vectors = {n: rng.normal(size=d).tolist() for n, d in DIMS.items()}
        payload = {**world.payloads[0], "article_id": "0000009999", "price": 0.5}
        cheap, gone = int(world.ids[1]), int(world.ids[2])
        reader.apply(
            "articles",
            [
                Upsert((Point(new_id, vectors, payload),)),
                SetPayload((cheap,), {"price": 0.001}),
                Delete((gone,)),
            ],
        )
        # The new article is its own nearest neighbour, and counts in filters and totals.
        hits = reader.search("articles", VectorQuery("text", vectors["text"], 3))
        assert hits[0].id == new_id
        assert reader.count("articles") == len(world.ids)  # one in, one out
        dear = Filter(must=(Range("price", gte=0.45),))
        assert new_id in {r.id for r in reader.scroll("articles", dear, limit=500)}
        # The price change moves the article into a range it was outside, and nothing else.
        low = Filter(must=(Range("price", lte=0.005),))
        expected = {
            int(i) for i in world.ids[brute_mask(world, low)] if int(i) not in (gone, cheap)
        }
        assert {r.id for r in reader.scroll("articles", low, limit=500)} == expected | {cheap}
        kept = reader.retrieve("articles", [cheap])[0].payload
        assert kept["price"] == 0.001
        assert kept["colour_group_name"] == world.payloads[1]["colour_group_name"]  # kept
        # The deleted article is gone from look-ups, searches and counts.
        assert reader.retrieve("articles", [gone]) == []
        query = world.vectors["text"][2].tolist()
        assert gone not in {h.id for h in reader.search("articles", VectorQuery("text", query, 10))}
    finally:
        reader.close()
