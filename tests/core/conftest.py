"""Store fixtures: a small world with known vectors and payloads, and both engines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qdrant_client import QdrantClient

from core.settings import QdrantSettings
from core.store.base import CollectionSpec, Filter, Match, Point, Range, Store
from core.store.edge import EdgeStore
from core.store.server import ServerStore

COLOURS = ("Black", "White", "Blue", "Red", "Beige")
TYPES = ("Vest top", "Trousers", "Sweater", "Dress")
GROUPS = {"Vest top": "Garment Upper body", "Sweater": "Garment Upper body"}
DIMS = {"text": 8, "image": 6, "cf": 4}
ARTICLE_SPEC = CollectionSpec(
    vectors=DIMS,
    dot_vectors=("cf",),
    keyword_fields=("colour_group_name", "product_type_name", "product_group_name"),
    float_fields=("price",),
    integer_fields=("sales_7d",),
    datetime_fields=("first_sale",),
)
CUSTOMER_SPEC = CollectionSpec(vectors={"cf": 4}, dot_vectors=("cf",), keyword_fields=("club",))


@dataclass
class World:
    """200 articles (every 5th without an image vector) and 20 customers, ids 1000+i."""

    ids: np.ndarray
    vectors: dict[str, np.ndarray]
    has_image: np.ndarray
    payloads: list[dict[str, Any]]
    customers: list[Point]

    def points(self) -> list[Point]:
        out = []
        for i, pid in enumerate(self.ids):
            vecs = {n: v[i].tolist() for n, v in self.vectors.items()}
            if not self.has_image[i]:
                del vecs["image"]
            out.append(Point(int(pid), vecs, self.payloads[i]))
        return out


def make_world(n: int = 200, seed: int = 3) -> World:
    rng = np.random.default_rng(seed)
    vectors = {name: rng.normal(size=(n, d)).astype(np.float32) for name, d in DIMS.items()}
    payloads = []
    for i in range(n):
        ptype = TYPES[i % len(TYPES)]
        payloads.append(
            {
                "article_id": f"{i:010d}",
                "colour_group_name": COLOURS[(i * 7) % len(COLOURS)],
                "product_type_name": ptype,
                "product_group_name": GROUPS.get(ptype, "Garment Lower body"),
                # Few distinct prices and sales counts: long runs of ties for ordering tests.
                "price": round(0.01 * (i % 13), 2),
                "sales_7d": (i * 5) % 9,
                "first_sale": f"2020-0{1 + i % 9}-15T00:00:00Z",
            }
        )
    customers = [
        Point(
            5000 + c, {"cf": rng.normal(size=4).tolist()}, {"club": "ACTIVE" if c % 2 else "LEFT"}
        )
        for c in range(20)
    ]
    ids = np.arange(1000, 1000 + n)
    return World(ids, vectors, np.arange(n) % 5 != 0, payloads, customers)


# --- the meaning of a query, by brute force ------------------------------------------------------


def holds(cond: Any, payload: dict[str, Any]) -> bool:
    if isinstance(cond, Match):
        return payload.get(cond.key) in cond.values
    if isinstance(cond, Range):
        value: Any = payload.get(cond.key)
        return (cond.gte is None or value >= cond.gte) and (cond.lte is None or value <= cond.lte)
    return any(holds(c, payload) for c in cond.conditions)


def brute_mask(world: World, flt: Filter | None) -> np.ndarray:
    """The domain filter's meaning, evaluated in Python."""
    if flt is None:
        return np.ones(len(world.ids), dtype=bool)
    excluded = set(flt.exclude_ids)
    return np.array(
        [
            int(pid) not in excluded and all(holds(c, p) for c in flt.must)
            for pid, p in zip(world.ids, world.payloads, strict=True)
        ]
    )


def brute_top(
    world: World, using: str, query: np.ndarray, flt: Filter | None, k: int
) -> list[tuple[int, float]]:
    vecs = world.vectors[using].astype(np.float64)
    q = query.astype(np.float64)
    if using != "cf":  # cosine everywhere but the dot-product CF vectors
        vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
        q = q / np.linalg.norm(q)
    scores = vecs @ q
    mask = brute_mask(world, flt) & (world.has_image if using == "image" else True)
    order = [i for i in np.argsort(-scores, kind="stable") if mask[i]][:k]
    return [(int(world.ids[i]), float(scores[i])) for i in order]


def query_vector(using: str, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=DIMS[using]).astype(np.float32)


@pytest.fixture(scope="session")
def world() -> World:
    return make_world()


def build_version(store: Store, version: str, world: World, *, finish: bool = True) -> None:
    writer = store.new_writer(version)
    writer.create("articles", ARTICLE_SPEC)
    writer.create("customers", CUSTOMER_SPEC)
    points = world.points()
    for start in range(0, len(points), 64):  # several batches, as the indexer sends them
        writer.upsert("articles", points[start : start + 64])
    writer.upsert("customers", world.customers)
    if finish:
        assert writer.finish() == {"articles": len(points), "customers": len(world.customers)}


@pytest.fixture(params=["edge", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each engine: Edge in a temporary folder, the server adapter over
    qdrant-client's in-memory mode."""
    if request.param == "edge":
        yield EdgeStore(tmp_path / "store")
        return
    client = QdrantClient(":memory:")
    s = ServerStore(client, QdrantSettings())
    yield s
    client.close()
