"""The live catalog (issue 16): article writes through the HTTP API, on both engines (Qdrant
Edge on a copy of the tiny index, and the server adapter on qdrant-client's in-memory mode),
with known answers: a new article is the top hit for its own unique words, a marked-down one
enters a price filter, an out-of-stock one leaves the feed, similar and trending, a deleted
one is a 404 everywhere; bad input changes nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from qdrant_client import QdrantClient

from api.main import create_app
from core.catalog import point_id
from core.changes import open_changes, put_fields
from core.keys import KeyStore
from core.store.base import CollectionSpec, Point
from core.store.edge import EdgeStore
from core.store.server import ServerStore
from indexer.build.payload import FLOAT_FIELDS, INT_FIELDS, KEYWORD_FIELDS
from tests.conftest import TROUSERS_FAN, copy_index

pytestmark = pytest.mark.slow

#: Words no article of the synthetic world uses.
UNIQUE = "Zorblax quindle"


def server_copy(settings: Any) -> QdrantClient:
    """The tiny index's published version, copied point by point into qdrant-client's
    in-memory mode (the server adapter's test double)."""
    edge = EdgeStore(settings.index_dir / "store")
    version = edge.current_version()
    assert version is not None
    with np.load(settings.index_dir / "models" / version / "ids.npz") as f:
        pids = [point_id(str(a)) for a in f["article_id"]]
    names = ("text", "image", "cf", "cf_cosine")
    reader = edge.open_reader(version, ("articles",))
    try:
        records = reader.retrieve("articles", pids, with_vectors=names)
    finally:
        reader.close()
    dims = {n: len(next(r.vectors[n] for r in records if n in r.vectors)) for n in names}
    client = QdrantClient(":memory:")
    store = ServerStore(client, settings.qdrant)
    writer = store.new_writer(version)
    spec = CollectionSpec(
        vectors=dims,
        dot_vectors=("cf",),
        keyword_fields=KEYWORD_FIELDS,
        float_fields=FLOAT_FIELDS,
        integer_fields=INT_FIELDS,
    )
    writer.create("articles", spec)
    writer.create("customers", CollectionSpec(vectors={"cf": dims["cf"]}, searchable=False))
    points = [Point(r.id, dict(r.vectors), dict(r.payload)) for r in records]
    for lo in range(0, len(points), 256):
        writer.upsert("articles", points[lo : lo + 256])
    writer.finish()
    store.publish(version)
    return client


@pytest.fixture(scope="module", params=["edge", "server"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def live(
    engine: str, tiny_settings: Any, tiny_index: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Any]]:
    """An app with a catalog log of its own, on a copy of the tiny index (the shared one is
    never changed)."""
    root = tmp_path_factory.mktemp(f"catalog-{engine}")
    if engine == "edge":
        settings = tiny_settings.model_copy(
            update={
                "index_dir": copy_index(tiny_settings.index_dir, root / "index"),
                "db_path": root / "lookbook.db",
            }
        )
        app = create_app(settings)
    else:
        settings = tiny_settings.model_copy(update={"db_path": root / "lookbook.db"})
        app = create_app(settings, store=ServerStore(server_copy(tiny_settings), settings.qdrant))
    with TestClient(app) as c:
        yield c, settings


@pytest.fixture(scope="module")
def api(live: tuple[TestClient, Any]) -> TestClient:
    return live[0]


@pytest.fixture(scope="module")
def keys(live: tuple[TestClient, Any]) -> dict[str, dict[str, str]]:
    store = KeyStore(live[1].db_path)
    out = {
        role: {"X-API-Key": store.create(role, f"catalog-{role}")[1]}
        for role in ("service", "merchandiser", "admin")
    }
    store.close()
    return out


@pytest.fixture(scope="module")
def articles(tiny_world: Path) -> pd.DataFrame:
    return pd.read_csv(tiny_world / "articles.csv", dtype=str)


def _fields(row: pd.Series, **changes: Any) -> dict[str, Any]:
    """A PUT body from an articles.csv row (codes only: the names follow from them)."""
    return put_fields(row, **({"price": 19.99} | changes))


def _ids(r: Any) -> list[str]:
    assert r.status_code == 200, r.text
    return [i["article_id"] for i in r.json()["items"]]


def _free_id(articles: pd.DataFrame, n: int) -> str:
    """An article id the catalog does not have."""
    return f"{9_000_000_000 + n:010d}"


def _log_count(settings: Any) -> int:
    log = open_changes(settings.db_path)
    try:
        return log.count()
    finally:
        log.close()


# --- a new article ----------------------------------------------------------------------------


def test_a_new_article_is_found_browsed_and_similar_at_once(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame
) -> None:
    merch = keys["merchandiser"]
    model = articles.iloc[7]
    new_id = _free_id(articles, 1)
    kind = model["product_type_name"]
    facet = api.get(f"/articles?category={kind}&limit=1").json()
    before_count = facet["total"]
    body = _fields(model, prod_name=f"{UNIQUE} {model['prod_name']}")
    r = api.put(f"/admin/articles/{new_id}", json=body, headers=merch)
    assert r.status_code == 200, r.text
    assert r.json()["op"] == "put" and r.json()["seq"] >= 1

    # The top hit for its own unique words, in semantic search and in browse.
    hits = api.get(f"/search?q={UNIQUE}&limit=5", headers=merch).json()["items"]
    assert hits[0]["article_id"] == new_id
    assert hits[0]["parts"]["cf"] is None  # a cold item: no cf until the next build
    assert _ids(api.get(f"/articles?q={UNIQUE}&limit=5"))[0] == new_id
    # Counted in the facets and the filtered total; first among the new arrivals.
    after = api.get(f"/articles?category={kind}&limit=1").json()
    assert after["total"] == before_count + 1
    counts = {f["value"]: f["count"] for f in after["facets"]["category"]}
    old_counts = {f["value"]: f["count"] for f in facet["facets"]["category"]}
    assert counts[kind] == old_counts[kind] + 1
    assert _ids(api.get("/articles?sort=newest&limit=3"))[0] == new_id
    page = api.get(f"/articles/{new_id}").json()
    assert page["prod_name"].startswith(UNIQUE) and page["in_stock"] is True
    assert page["product_type_name"] == kind  # the name followed from the code
    assert page["price"] == 19.99

    # Similar items of the article it was modelled on find it (same words, same type).
    similar = api.get(f"/articles/{model['article_id']}/similar?limit=12&collapse=false")
    assert new_id in _ids(similar)
    own = api.get(f"/articles/{new_id}/similar?limit=5")
    assert own.status_code == 200 and own.json()["items"]


def test_a_photo_gives_a_new_article_its_image_vector(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame, tiny_world: Path
) -> None:
    merch = keys["merchandiser"]
    model = articles.iloc[11]
    new_id = _free_id(articles, 2)
    assert (
        api.put(f"/admin/articles/{new_id}", json=_fields(model), headers=merch).status_code == 200
    )
    assert api.get(f"/articles/{new_id}").json()["has_image"] is False
    photo = tiny_world / "images" / model["article_id"][:3] / f"{model['article_id']}.jpg"
    data = photo.read_bytes()
    r = api.put(
        f"/admin/articles/{new_id}/image",
        files={"file": ("p.jpg", data, "image/jpeg")},
        headers=merch,
    )
    assert r.status_code == 200, r.text
    assert api.get(f"/articles/{new_id}").json()["has_image"] is True
    got = api.get(f"/images/{new_id}.jpg")
    assert got.status_code == 200 and got.content == data
    # Its image vector is the model article's (the same photo, the same encoder).
    items = api.get(f"/articles/{model['article_id']}/similar?limit=20&collapse=false").json()
    mine = next(i for i in items["items"] if i["article_id"] == new_id)
    assert mine["parts"]["image"] == pytest.approx(1.0)
    # A PNG is kept as a JPEG; a file that is not an image is refused, naming the field.
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, "PNG")
    ok = api.put(
        f"/admin/articles/{new_id}/image", files={"file": ("p.png", png.getvalue())}, headers=merch
    )
    assert ok.status_code == 200
    bad = api.put(
        f"/admin/articles/{new_id}/image", files={"file": ("x.jpg", b"not a photo")}, headers=merch
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "file"


# --- price ------------------------------------------------------------------------------------


def test_a_markdown_enters_the_price_filter_it_was_outside(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame
) -> None:
    row = articles.iloc[23]
    aid = row["article_id"]
    price = api.get(f"/articles/{aid}").json()["price"]
    cap = round(price / 2, 2)
    url = f"/articles?max_price={cap}&category={row['product_type_name']}&limit=100"
    before = api.get(url).json()
    assert aid not in [i["article_id"] for i in before["items"]]
    r = api.patch(f"/admin/articles/{aid}", json={"price": cap - 0.01}, headers=keys["service"])
    assert r.status_code == 200, r.text
    after = api.get(url).json()
    assert aid in [i["article_id"] for i in after["items"]]
    assert after["total"] == before["total"] + 1
    assert after["price_range"][0] <= cap - 0.01
    assert api.get(f"/articles/{aid}").json()["price"] == pytest.approx(cap - 0.01)
    cheapest = api.get(f"/articles?category={row['product_type_name']}&sort=price_asc&limit=1")
    assert _ids(cheapest)[0] == aid or after["price_range"][0] < cap - 0.01
    # Other fields are kept.
    assert api.get(f"/articles/{aid}").json()["prod_name"] == row["prod_name"]


# --- stock and visibility -----------------------------------------------------------------------


def _feed(api: TestClient, headers: dict[str, str], customer: str) -> list[str]:
    return _ids(api.get(f"/recommendations/{customer}?limit=50&collapse=false", headers=headers))


def test_out_of_stock_leaves_feed_similar_and_trending_and_comes_back(
    api: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    service = keys["service"]
    top = _feed(api, service, TROUSERS_FAN)[0]
    neighbour = _ids(api.get(f"/articles/{top}/similar?limit=1"))[0]
    similar_url = f"/articles/{neighbour}/similar?limit=50&collapse=false"
    assert top in _ids(api.get(similar_url))
    trending_top = _ids(api.get("/trending?limit=1&collapse=false"))[0]
    browse_total = api.get("/articles?limit=1").json()["total"]

    for aid in {top, trending_top}:
        r = api.patch(f"/admin/articles/{aid}", json={"in_stock": False}, headers=service)
        assert r.status_code == 200, r.text
    assert top not in _ids_all(api, service, top)
    assert top not in _ids(api.get(similar_url))
    assert trending_top not in _ids(api.get("/trending?limit=50&collapse=false"))
    gone = len({top, trending_top})
    assert api.get("/articles?limit=1").json()["total"] == browse_total - gone
    # Its page still opens, and says so.
    page = api.get(f"/articles/{top}")
    assert page.status_code == 200 and page.json()["in_stock"] is False
    # Staff may list it; nobody else may ask to, not even for the URL staff just had cached.
    staff_url = "/articles?include_unavailable=true&limit=1"
    staff = api.get(staff_url, headers=keys["merchandiser"])
    assert staff.json()["total"] == browse_total
    assert api.get(staff_url, headers=keys["merchandiser"]).headers["x-cache"] == "hit"
    anonymous = api.get(staff_url)
    assert anonymous.status_code == 401 and anonymous.headers.get("x-cache") != "hit"

    for aid in {top, trending_top}:
        api.patch(f"/admin/articles/{aid}", json={"in_stock": True}, headers=service)
    assert _feed(api, service, TROUSERS_FAN)[0] == top
    assert top in _ids(api.get(similar_url))
    assert _ids(api.get("/trending?limit=1&collapse=false"))[0] == trending_top


def _ids_all(api: TestClient, headers: dict[str, str], _: str) -> list[str]:
    """The whole feed of the trousers fan (no cache could hide a change: keyed by the log)."""
    return _feed(api, headers, TROUSERS_FAN)


def test_hidden_leaves_search_and_browse(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame
) -> None:
    row = articles.iloc[31]
    aid, q = row["article_id"], row["prod_name"]
    merch = keys["merchandiser"]
    assert aid in _ids(api.get(f"/search?q={q}&limit=20&collapse=false", headers=merch))
    api.patch(f"/admin/articles/{aid}", json={"hidden": True}, headers=merch)
    assert aid not in _ids(api.get(f"/search?q={q}&limit=20&collapse=false", headers=merch))
    assert aid not in _ids(api.get(f"/articles?q={q}&limit=50"))
    staff = api.get(
        f"/search?q={q}&limit=20&collapse=false&include_unavailable=true", headers=merch
    )
    assert aid in _ids(staff)
    assert api.get(f"/articles/{aid}").json()["hidden"] is True
    api.patch(f"/admin/articles/{aid}", json={"hidden": False}, headers=merch)
    assert aid in _ids(api.get(f"/search?q={q}&limit=20&collapse=false", headers=merch))


# --- delete -------------------------------------------------------------------------------------


def test_a_deleted_article_is_a_404_everywhere_and_never_comes_back_from_a_cache(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame
) -> None:
    service = keys["service"]
    row = articles.iloc[41]
    aid = row["article_id"]
    url = f"/articles?q={row['prod_name']}&limit=50"
    assert aid in _ids(api.get(url))
    assert api.get(url).headers["x-cache"] == "hit"
    assert api.delete(f"/admin/articles/{aid}", headers=service).status_code == 200
    assert aid not in _ids(api.get(url))
    assert api.get(f"/articles/{aid}").status_code == 404
    assert api.get(f"/articles/{aid}/similar").status_code == 404
    assert (
        api.patch(f"/admin/articles/{aid}", json={"price": 1}, headers=service).status_code == 404
    )
    assert api.delete(f"/admin/articles/{aid}", headers=service).status_code == 404
    assert aid not in _ids(api.get("/trending?limit=100&collapse=false"))
    event = {"event_id": "e-deleted", "type": "view", "customer_id": TROUSERS_FAN}
    r = api.post("/events", json={"events": [event | {"article_id": aid}]}, headers=service)
    assert r.status_code == 422


# --- bad input, roles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour_group_code": 999}, "colour_group_code"),
        ({"product_type_no": 123456}, "product_type_no"),
        ({"price": -1}, "price"),
        ({"colour_group_name": "Black"}, "colour_group_name"),
        ({"product_code": "12"}, "product_code"),
        ({"shoe_size": 42}, "shoe_size"),
    ],
)
def test_a_bad_change_is_a_422_naming_the_field_and_changes_nothing(
    api: TestClient,
    live: tuple[TestClient, Any],
    keys: dict[str, dict[str, str]],
    articles: pd.DataFrame,
    change: dict[str, Any],
    field: str,
) -> None:
    merch, row = keys["merchandiser"], articles.iloc[51]
    aid = row["article_id"]
    logged = _log_count(live[1])
    before = api.get(f"/articles/{aid}").json()
    for r in (
        api.patch(f"/admin/articles/{aid}", json=change, headers=merch),
        api.put(
            f"/admin/articles/{_free_id(articles, 9)}", json=_fields(row, **change), headers=merch
        ),
    ):
        assert r.status_code == 422, r.text
        assert field in [e["field"] for e in r.json()["errors"]]
    assert _log_count(live[1]) == logged
    assert api.get(f"/articles/{aid}").json() == before
    assert api.get(f"/articles/{_free_id(articles, 9)}").status_code == 404


def test_ids_unknown_articles_and_a_batch(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame
) -> None:
    merch = keys["merchandiser"]
    r = api.patch("/admin/articles/12345", json={"price": 1}, headers=merch)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "article_id"
    r = api.patch(f"/admin/articles/{_free_id(articles, 8)}", json={"price": 1}, headers=merch)
    assert r.status_code == 404
    # A batch is all or nothing, each bad item named by its index.
    a, b = articles.iloc[61]["article_id"], articles.iloc[62]["article_id"]
    items = [{"article_id": a, "price": 5.0}, {"article_id": _free_id(articles, 8), "price": 1}]
    r = api.patch("/admin/articles", json={"items": items}, headers=merch)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "items.1.article_id"
    assert api.get(f"/articles/{a}").json()["price"] != 5.0
    items = [{"article_id": a, "price": 5.0}, {"article_id": b, "in_stock": False}]
    r = api.patch("/admin/articles", json={"items": items}, headers=merch)
    assert r.status_code == 200, r.text
    seqs = r.json()["seqs"]
    assert len(seqs) == 2 and seqs[1] == seqs[0] + 1
    assert api.get(f"/articles/{a}").json()["price"] == 5.0
    assert api.get(f"/articles/{b}").json()["in_stock"] is False
    api.patch(f"/admin/articles/{b}", json={"in_stock": True}, headers=merch)


def test_only_merchandisers_and_services_write_and_each_write_is_audited(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame
) -> None:
    aid = articles.iloc[71]["article_id"]
    url = f"/admin/articles/{aid}"
    assert api.patch(url, json={"price": 3}).status_code == 401
    token = api.post("/session", json={"customer_id": TROUSERS_FAN}).json()["access_token"]
    shopper = {"Authorization": f"Bearer {token}"}
    assert api.patch(url, json={"price": 3}, headers=shopper).status_code == 403
    assert api.patch(url, json={"price": 3}, headers=keys["admin"]).status_code == 403
    assert api.patch(url, json={"price": 3}, headers=keys["merchandiser"]).status_code == 200
    audit = api.get("/admin/audit?limit=5", headers=keys["admin"]).json()["items"]
    assert any(e["path"] == url and e["method"] == "PATCH" and e["status"] == 200 for e in audit)


def test_a_change_that_restates_an_article_as_it_is_touches_nothing_served(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame
) -> None:
    """A stock feed re-states most articles as they are: the log takes it, the engine and the
    columns are left alone (an engine update moves a point out of its indexed segment)."""
    aid = articles.iloc[81]["article_id"]
    price = api.get(f"/articles/{aid}").json()["price"]
    before = api.app.state.index.snapshot()  # type: ignore[attr-defined]
    r = api.patch(
        f"/admin/articles/{aid}", json={"price": price, "in_stock": True}, headers=keys["service"]
    )
    assert r.status_code == 200
    after = api.app.state.index.snapshot()  # type: ignore[attr-defined]
    assert after.catalog_seq == r.json()["seq"] > before.catalog_seq
    assert after.columns is before.columns and after.vectors is before.vectors
