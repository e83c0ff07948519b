"""Attribution through HTTP (issue 24): every ranked list has a rec_id of its own, a cached
answer served again too; an event carrying a list's rec_id and position is attributed to it in
the insights; an unknown or altered rec_id, or a position without one, is a 422."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.main import create_app
from core.keys import KeyStore
from tests.conftest import scratch_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shop(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    settings = scratch_settings(tiny_settings, tmp_path_factory.mktemp("attribution"))
    # The roll-up is refreshed by the tests' own requests only (fresh=true), never by the
    # periodic one in the middle of a test.
    live = settings.live.model_copy(update={"insights_refresh_s": 3600.0})
    settings = settings.model_copy(update={"live": live})
    store = KeyStore(settings.db_path)
    keys = {r: {"X-API-Key": store.create(r, f"att-{r}")[1]} for r in ("service", "merchandiser")}
    store.close()
    sales = pd.read_csv(tiny_world / "transactions_train.csv", dtype=str)
    customer = str(sales.customer_id.value_counts().index[0])
    with TestClient(create_app(settings)) as client:
        yield client, keys, customer


def _lists(client: TestClient, keys: dict[str, dict[str, str]], customer: str) -> list[Any]:
    article = client.get("/trending").json()["items"][0]["article_id"]
    service = keys["service"]
    photo = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(photo, format="JPEG")
    answers = [
        client.get(f"/recommendations/{customer}", headers=service),
        client.get("/trending"),
        client.get(f"/articles/{article}/similar"),
        client.get(f"/articles/{article}/similar?other_groups=true"),
        client.get("/search?q=black+dress"),
        client.get("/articles?category=Trousers"),
        client.get(f"/customers/{customer}/buy-again", headers=service),
        client.post("/search/image", files={"file": ("p.jpg", photo.getvalue(), "image/jpeg")}),
    ]
    for r in answers:
        assert r.status_code == 200, r.text
    return answers


def test_every_ranked_list_has_a_rec_id_of_its_own_even_from_the_cache(shop: Any) -> None:
    client, keys, customer = shop
    first = _lists(client, keys, customer)
    again = _lists(client, keys, customer)
    ids = [r.json()["rec_id"] for r in first + again]
    assert all(ids) and len(set(ids)) == len(ids)
    surfaces = [i.split(".")[0] for i in ids[: len(first)]]
    assert surfaces == [
        "feed",
        "trending",
        "similar",
        "similar",
        "search",
        "browse",
        "buyagain",
        "photo",
    ]
    # The second trending answer came from the cache, with a rec_id of its own.
    assert again[1].headers["x-cache"] == "hit"
    parse = client.app.state.attribution.ids.parse  # type: ignore[attr-defined]
    assert all(parse(i) is not None for i in ids)
    # Every answer, cached or not, is an impression of its own, with its items in order.
    log = client.app.state.attribution.log  # type: ignore[attr-defined]
    log.flush()
    rows = log.db.rows("SELECT rec_id, surface, n FROM impressions")
    recorded = {r[0]: (r[1], r[2]) for r in rows}
    for r, rec in zip(first + again, ids, strict=True):
        assert recorded[rec] == (rec.split(".")[0], len(r.json()["items"]))


def test_an_event_with_a_list_s_rec_id_and_position_is_attributed_to_it(shop: Any) -> None:
    client, keys, customer = shop
    body = client.get("/search?q=linen+shirt").json()
    rec, item = body["rec_id"], body["items"][2]
    client.app.state.attribution.log.flush()  # type: ignore[attr-defined]
    before = client.get(
        "/admin/insights?surface=search&fresh=true", headers=keys["merchandiser"]
    ).json()
    event = {
        "event_id": uuid.uuid4().hex,
        "type": "view",
        "customer_id": customer,
        "article_id": item["article_id"],
        "rec_id": rec,
        "position": 3,
    }
    r = client.post("/events", json={"events": [event]}, headers=keys["service"])
    assert r.json() == {"accepted": 1, "duplicates": 0}
    # Read from the roll-up as of its last refresh, until the next one or one asked for.
    stale = client.get("/admin/insights?surface=search", headers=keys["merchandiser"]).json()
    assert stale == before and before["as_of"] is not None
    after = client.get(
        "/admin/insights?surface=search&fresh=true", headers=keys["merchandiser"]
    ).json()
    assert after["as_of"] > before["as_of"]
    (was,), (now,) = before["surfaces"], after["surfaces"]
    assert now["click_through"]["k"] == was["click_through"]["k"] + 1
    assert now["lists"] == was["lists"]
    assert after["by_position"][2]["click_through"]["k"] == (
        before["by_position"][2]["click_through"]["k"] + 1
    )
    assert "linen shirt" in [q["query"] for q in after["top_queries"]]
    # Only staff read insights.
    assert client.get("/admin/insights").status_code == 401
    assert client.get("/admin/insights", headers=keys["service"]).status_code == 403


@pytest.mark.parametrize("change", ["unknown", "altered", "position alone"])
def test_an_unknown_or_altered_rec_id_is_a_422_naming_the_field(shop: Any, change: str) -> None:
    client, keys, customer = shop
    rec = client.get("/trending").json()["rec_id"]
    article = client.get("/trending").json()["items"][0]["article_id"]
    event: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "type": "view",
        "customer_id": customer,
        "article_id": article,
        "position": 1,
    }
    if change == "unknown":
        event["rec_id"] = "trending.v1.-.abc.0123456789ab.0123456789abcdef"
    elif change == "altered":
        event["rec_id"] = rec.replace("trending", "browse", 1)
    field = "events.0.position" if change == "position alone" else "events.0.rec_id"
    r = client.post("/events", json={"events": [event]}, headers=keys["service"])
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]


def test_an_anonymous_visitor_s_id_is_recorded_and_a_bad_one_is_not(shop: Any) -> None:
    client, keys, customer = shop
    log = client.app.state.attribution.log  # type: ignore[attr-defined]
    good = client.get("/trending?limit=3", headers={"X-Visitor-Id": "visitor_0123abcd"})
    bad = client.get("/trending?limit=3", headers={"X-Visitor-Id": "<script>"})
    feed = client.get(
        f"/recommendations/{customer}?limit=3",
        headers={**keys["service"], "X-Visitor-Id": "visitor_0123abcd"},
    )
    log.flush()
    rows = dict(
        (r[0], (r[1], r[2]))
        for r in log.db.rows("SELECT rec_id, visitor_id, customer_id FROM impressions")
    )
    assert rows[good.json()["rec_id"]] == ("visitor_0123abcd", None)
    assert rows[bad.json()["rec_id"]] == (None, None)
    # A customer's list is theirs: the visitor id is not kept beside it.
    assert rows[feed.json()["rec_id"]] == (None, customer)


def test_the_items_a_rule_moved_have_their_own_click_through(shop: Any) -> None:
    client, keys, customer = shop
    merch = keys["merchandiser"]
    trend = client.get("/trending?limit=30&window_days=30").json()["items"]
    pinned = trend[-1]["article_id"]
    rule = {
        "name": "Hero",
        "scope": {"surfaces": ["trending"]},
        "action": {"type": "pin", "pins": [{"article_id": pinned, "position": 1}]},
    }
    made = client.post("/admin/rules", json=rule, headers=merch).json()
    try:
        body = client.get("/trending?limit=5").json()
        assert body["items"][0]["article_id"] == pinned
        event = {
            "event_id": uuid.uuid4().hex,
            "type": "view",
            "customer_id": customer,
            "article_id": pinned,
            "rec_id": body["rec_id"],
            "position": 1,
        }
        assert (
            client.post("/events", json={"events": [event]}, headers=keys["service"]).json()[
                "accepted"
            ]
            == 1
        )
        client.app.state.attribution.log.flush()  # type: ignore[attr-defined]
        found = client.get("/admin/insights?surface=trending&fresh=true", headers=merch).json()[
            "rules"
        ]
        (row,) = [r for r in found if r["id"] == made["id"]]
        assert row["name"] == "Hero" and row["lists"] == 1
        assert (row["click_through"]["k"], row["click_through"]["n"]) == (1, 1)
    finally:
        client.delete(f"/admin/rules/{made['id']}", headers=merch)
