"""Exact re-scoring inside the engine, slim payloads, and the server adapter's cluster settings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from qdrant_client import QdrantClient

from core.settings import QdrantSettings
from core.store.base import Store, VectorQuery
from core.store.server import ServerStore
from tests.core.conftest import World, build_version, query_vector


@pytest.mark.parametrize("using", ["text", "image", "cf"])
def test_score_ids_is_exact_cosine_or_dot(store: Store, world: World, using: str) -> None:
    build_version(store, "v1", world)
    reader = store.open_reader("v1")
    q = query_vector(using, seed=9)
    ids = [int(i) for i in world.ids[::3]]
    scores = reader.score_ids("articles", VectorQuery(using, q.tolist(), 1), ids)
    for i, pid in enumerate(world.ids):
        if int(pid) not in ids:
            continue
        if using == "image" and not world.has_image[i]:
            assert int(pid) not in scores  # no vector, no score
            continue
        v = world.vectors[using][i].astype(np.float64)
        expected = v @ q if using == "cf" else v @ q / (np.linalg.norm(v) * np.linalg.norm(q))
        assert scores[int(pid)] == pytest.approx(expected, rel=1e-4, abs=1e-5)
    assert reader.score_ids("articles", VectorQuery(using, q.tolist(), 1), []) == {}
    reader.close()


def test_score_ids_many_answers_each_query_as_score_ids_does(store: Store, world: World) -> None:
    build_version(store, "v1", world)
    reader = store.open_reader("v1")
    ids = [int(i) for i in world.ids[::2]]
    queries = [VectorQuery(u, query_vector(u, seed=3).tolist(), 1) for u in ("text", "cf", "image")]
    batch = reader.score_ids_many("articles", queries, ids)
    assert len(batch) == 3
    for q, scores in zip(queries, batch, strict=True):
        single = reader.score_ids("articles", q, ids)
        assert scores.keys() == single.keys()
        for pid, score in single.items():
            assert scores[pid] == pytest.approx(score, rel=1e-6, abs=1e-7)
    assert reader.score_ids_many("articles", queries, []) == [{}, {}, {}]
    reader.close()


def test_retrieve_can_return_only_some_payload_fields(store: Store, world: World) -> None:
    build_version(store, "v1", world)
    reader = store.open_reader("v1")
    [rec] = reader.retrieve("articles", [int(world.ids[0])], payload_fields=["product_type_name"])
    assert rec.payload == {"product_type_name": world.payloads[0]["product_type_name"]}
    reader.close()


class Recording:
    """The real in-memory client, with the arguments of each call written down."""

    def __init__(self, client: QdrantClient) -> None:
        self.client = client
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            return attr(*args, **kwargs)

        return call


def test_server_collections_carry_the_cluster_settings(world: World) -> None:
    client = Recording(QdrantClient(":memory:"))
    settings = QdrantSettings(shard_number=6, replication_factor=2, write_consistency_factor=2)
    store = ServerStore(client, settings)  # type: ignore[arg-type]
    build_version(store, "v1", world)
    # The articles and customers collections (a small marker collection has no vectors).
    creates = [kw for n, kw in client.calls if n == "create_collection" and kw["vectors_config"]]
    assert len(creates) == 2
    for kw in creates:
        assert (kw["shard_number"], kw["replication_factor"], kw["write_consistency_factor"]) == (
            6,
            2,
            2,
        )
    upserts = [kw for name, kw in client.calls if name == "upsert"]
    assert upserts and all(kw.get("wait") is True for kw in upserts)
    params = client.client.get_collection("articles__v1").config.params
    assert str(params.vectors["cf"].distance) in ("Distance.DOT", "Dot")  # type: ignore[index]
    assert str(params.vectors["text"].distance) in ("Distance.COSINE", "Cosine")  # type: ignore[index]


def test_server_publish_is_one_alias_update_and_keeps_old_collections(world: World) -> None:
    client = Recording(QdrantClient(":memory:"))
    store = ServerStore(client, QdrantSettings())  # type: ignore[arg-type]
    build_version(store, "v1", world)
    store.publish("v1")
    build_version(store, "v2", world)
    client.calls.clear()
    store.publish("v2")
    updates = [kw for name, kw in client.calls if name == "update_collection_aliases"]
    assert len(updates) == 1
    aliases = {a.alias_name: a.collection_name for a in client.client.get_aliases().aliases}
    assert aliases == {"articles": "articles__v2", "customers": "customers__v2"}
    names = {c.name for c in client.client.get_collections().collections}
    assert {"articles__v1", "customers__v1", "articles__v2", "customers__v2"} <= names
