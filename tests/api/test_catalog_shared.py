"""The live catalog on a shared Qdrant server (issue 21): several API processes on one
collection each apply the change log to their own columns and vectors, whatever the engine
already holds (the first one to apply a change writes it to the engine; the others find it
there). Two app instances on one qdrant-client in-memory instance stand for two replicas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.changes import put_fields
from core.keys import KeyStore
from core.store.server import ServerStore
from tests.api.test_catalog import server_copy

pytestmark = pytest.mark.slow


def _facet(body: dict[str, Any], key: str = "category") -> dict[str, int]:
    return {f["value"]: f["count"] for f in body["facets"][key]}


def _ids(body: dict[str, Any]) -> list[str]:
    return [i["article_id"] for i in body["items"]]


def test_every_replica_on_one_server_serves_a_price_a_stock_change_and_a_new_article(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    settings = tiny_settings.model_copy(update={"db_path": tmp_path / "lookbook.db"})
    client = server_copy(tiny_settings)
    keys = KeyStore(settings.db_path)
    merch = {"X-API-Key": keys.create("merchandiser", "shared-merch")[1]}
    keys.close()
    articles = pd.read_csv(tiny_world / "articles.csv", dtype=str)
    kinds = articles.product_type_name.value_counts().index
    gone_kind, new_kind, cheap_kind = kinds[0], kinds[1], kinds[2]
    gone = articles[articles.product_type_name == gone_kind].iloc[0]["article_id"]
    model = articles[articles.product_type_name == new_kind].iloc[0]
    cheap = articles[articles.product_type_name == cheap_kind].iloc[0]["article_id"]
    new_id = "9000000777"

    apps = [create_app(settings, store=ServerStore(client, settings.qdrant)) for _ in range(2)]
    with TestClient(apps[0]) as one, TestClient(apps[1]) as two:
        replicas = (one, two)
        price = one.get(f"/articles/{cheap}").json()["price"]
        cap = round(price / 2, 2)
        cheap_url = f"/articles?max_price={cap}&category={cheap_kind}&limit=100"
        # Both serve the version before any change.
        before = {
            id(c): (c.get("/articles?limit=1").json(), c.get(cheap_url).json()) for c in replicas
        }
        assert all(cheap not in _ids(b[1]) for b in before.values())

        # The changes go through the first replica, which writes them to the shared engine.
        body = put_fields(model, prod_name="Shared Quindle", price=19.99)
        assert one.put(f"/admin/articles/{new_id}", json=body, headers=merch).status_code == 200
        r = one.patch(f"/admin/articles/{cheap}", json={"price": cap - 0.01}, headers=merch)
        assert r.status_code == 200
        r = one.patch(f"/admin/articles/{gone}", json={"in_stock": False}, headers=merch)
        assert r.status_code == 200
        seq = r.json()["seq"]

        for c in replicas:
            snap = c.app.state.index.catch_up()  # type: ignore[attr-defined]
            assert snap.catalog_seq == seq
            browse, cheap_page = c.get("/articles?limit=1").json(), c.get(cheap_url).json()
            old_browse, old_cheap = before[id(c)]
            # The markdown entered the price filter: listed and counted.
            assert cheap in _ids(cheap_page)
            assert cheap_page["total"] == old_cheap["total"] + 1
            assert cheap_page["price_range"][0] <= cap - 0.01
            # Out of stock: one fewer of its kind; the new article: one more of its kind.
            facets, old_facets = _facet(browse), _facet(old_browse)
            assert facets[gone_kind] == old_facets[gone_kind] - 1
            assert facets[new_kind] == old_facets[new_kind] + 1
            assert browse["total"] == old_browse["total"]  # one gone, one new
            gone_page = c.get(f"/articles?category={gone_kind}&limit=100").json()
            assert gone not in _ids(gone_page)
            assert gone_page["total"] == old_facets[gone_kind] - 1
            # The new article leads the new arrivals and is found by its own words.
            assert _ids(c.get("/articles?sort=newest&limit=3").json())[0] == new_id
            assert _ids(c.get("/articles?q=Shared Quindle&limit=3").json())[0] == new_id


def _written(change: Any) -> list[int]:
    ids = change.ids if hasattr(change, "ids") else [p.id for p in change.points]
    return [int(i) for i in ids]


def test_a_shared_engine_is_written_once_by_one_applier_and_a_dead_one_is_taken_over(
    tiny_settings: Any,
    tiny_index: Any,
    tiny_world: Path,
    tmp_path: Path,
    pg_cluster: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 22: two processes (two LiveIndex on one server collection, one PostgreSQL change
    log) catch up at once: each changed point is written to the engine once, not once per
    process. Then an applier dies after writing half of a run: the other completes it."""
    import threading

    from core.catalog import point_id
    from core.changes import open_changes
    from core.store.base import SetPayload
    from core.store.server_reader import ServerReader
    from ranking.index import LiveIndex
    from tests.conftest import pg_database

    url = pg_database(pg_cluster)
    settings = tiny_settings.model_copy(
        update={"db_path": tmp_path / "lookbook.db", "database_url": url}
    )
    client = server_copy(tiny_settings)
    writes: list[int] = []
    real_apply = ServerReader.apply

    def counted(self: Any, collection: str, changes: Any) -> None:
        for c in changes:
            writes.extend(_written(c))
        real_apply(self, collection, changes)

    monkeypatch.setattr(ServerReader, "apply", counted)
    log = open_changes(url)
    indexes = [
        LiveIndex(settings, ServerStore(client, settings.qdrant), open_changes(url))
        for _ in range(2)
    ]
    articles = pd.read_csv(tiny_world / "articles.csv", dtype=str).article_id[200:220].tolist()
    try:
        for index in indexes:
            index.snapshot()
        log.append([(a, "patch", {"price": 30.0 + i}) for i, a in enumerate(articles[:10])], "m")
        threads = [threading.Thread(target=index.catch_up) for index in indexes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(writes) == sorted(point_id(a) for a in articles[:10])  # once each
        for index in indexes:
            snap = index.catch_up()
            prices = [snap.columns.payload_of(point_id(a))["price"] for a in articles[:10]]
            assert prices == [pytest.approx((30.0 + i) / 1000) for i in range(10)]

        # The first applier writes half of the next run, then dies (its lock goes with it).
        writes.clear()

        def dies_half_way(self: Any, collection: str, changes: Any) -> None:
            first = {point_id(a) for a in articles[10:15]}
            half = [
                SetPayload(tuple(i for i in c.ids if i in first), c.payload)
                for c in changes
                if isinstance(c, SetPayload) and first & set(c.ids)
            ]
            assert half, changes
            counted(self, collection, half)
            raise SystemExit("killed mid-apply")

        log.append([(a, "patch", {"in_stock": False}) for a in articles[10:]], "m")
        monkeypatch.setattr(ServerReader, "apply", dies_half_way)
        with pytest.raises(SystemExit):
            indexes[0].catch_up()
        monkeypatch.setattr(ServerReader, "apply", counted)
        snap = indexes[1].catch_up()  # takes over: writes only what is missing
        assert sorted(writes) == sorted(point_id(a) for a in articles[10:])
        stored = snap.reader.retrieve("articles", [point_id(a) for a in articles[10:]])
        assert {r.payload["availability"] for r in stored} == {"unavailable"}
    finally:
        for index in indexes:
            index.close()
        log.close()
