"""Merchandising rules through HTTP (issue 23), on both engines (Qdrant Edge, and the server
adapter on qdrant-client's in-memory mode): known answers for pin, bury, hide, filter, dates,
conflicts and unavailable pins; every invalid rule a 422 naming its field; staff only."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.keys import KeyStore
from core.store.server import ServerStore
from tests.api.test_catalog import server_copy
from tests.conftest import scratch_settings

pytestmark = pytest.mark.slow


class Shop:
    def __init__(self, client: TestClient, keys: dict[str, dict[str, str]], arts: pd.DataFrame):
        self.c, self.keys, self.arts = client, keys, arts

    def get(self, url: str, role: str | None = None) -> dict[str, Any]:
        r = self.c.get(url, headers=self.keys[role] if role else None)
        assert r.status_code == 200, (url, r.text)
        return r.json()

    def rule(self, body: dict[str, Any]) -> dict[str, Any]:
        r = self.c.post("/admin/rules", json=body, headers=self.keys["merchandiser"])
        assert r.status_code == 201, r.text
        return r.json()

    def catch_up(self) -> None:
        self.c.app.state.index.catch_up()  # type: ignore[attr-defined]


def _ids(body: dict[str, Any]) -> list[str]:
    return [i["article_id"] for i in body["items"]]


@pytest.fixture(scope="module", params=["edge", "server"])
def shop(
    request: pytest.FixtureRequest,
    tiny_settings: Any,
    tiny_index: Any,
    tiny_world: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Shop]:
    root = tmp_path_factory.mktemp(f"rules-{request.param}")
    if request.param == "edge":
        settings = scratch_settings(tiny_settings, root)
        app = create_app(settings)
    else:
        settings = tiny_settings.model_copy(update={"db_path": root / "lookbook.db"})
        app = create_app(settings, store=ServerStore(server_copy(tiny_settings), settings.qdrant))
    store = KeyStore(settings.db_path)
    keys = {
        role: {"X-API-Key": store.create(role, f"rules-{role}")[1]}
        for role in ("merchandiser", "admin", "service")
    }
    store.close()
    arts = pd.read_csv(tiny_world / "articles.csv", dtype=str)
    with TestClient(app) as client:
        customer = str(pd.read_csv(tiny_world / "customers.csv", dtype=str).customer_id.iloc[0])
        token = client.post("/session", json={"customer_id": customer}).json()["access_token"]
        keys["shopper"] = {"Authorization": f"Bearer {token}"}
        yield Shop(client, keys, arts)


@pytest.fixture(autouse=True)
def _no_rules_left(shop: Shop) -> Iterator[None]:
    yield
    merch = shop.keys["merchandiser"]
    for r in shop.c.get("/admin/rules", headers=merch).json()["rules"]:
        assert shop.c.delete(f"/admin/rules/{r['id']}", headers=merch).status_code == 204


def _outsider(shop: Shop, shown: list[str]) -> str:
    """An available article of a product none of ``shown`` belongs to."""
    codes = set(shop.arts.set_index("article_id").loc[shown, "product_code"])
    trend = _ids(shop.get("/trending?limit=100&window_days=30"))
    return next(
        a
        for a in reversed(trend)
        if shop.arts.set_index("article_id").loc[a, "product_code"] not in codes
    )


def test_a_pin_puts_an_article_at_position_3_of_the_search_for_linen_and_nowhere_else(
    shop: Shop,
) -> None:
    base = shop.get("/search?q=linen&limit=12")
    x = _outsider(shop, _ids(base))
    others = {
        u: _ids(shop.get(u))
        for u in ("/search?q=black+dress&limit=12", "/articles?q=linen&limit=12", "/trending")
    }
    made = shop.rule(
        {
            "name": "Summer linen",
            "scope": {"surfaces": ["search"], "query": {"match": "contains", "text": "Linen"}},
            "action": {"type": "pin", "pins": [{"article_id": x, "position": 3}]},
        }
    )
    after = shop.get("/search?q=linen&limit=12")
    assert _ids(after)[2] == x
    assert [a for a in _ids(after) if a != x] == _ids(base)[:11]
    moved = after["items"][2]
    assert moved["rules"] == [{"id": made["id"], "name": "Summer linen", "action": "pin"}]
    assert moved["reason"].startswith("Pinned by Summer linen")
    assert all(not i["rules"] for i in after["items"] if i["article_id"] != x)
    assert x not in _ids(shop.get("/search?q=linen&limit=12&offset=12"))  # once only
    for url, before in others.items():  # another query, browse, trending: untouched
        assert _ids(shop.get(url)) == before, url


def test_a_bury_of_a_colour_drops_it_below_the_rest_at_minus_1_and_by_0_3_at_minus_0_3(
    shop: Shop,
) -> None:
    url = "/search?q=dress&limit=100&collapse=false"
    off = shop.get(url + "&rules=off", "merchandiser")
    colours = pd.Series([i["colour_group_name"] for i in off["items"]])
    colour = str(colours.value_counts().index[0])
    made = shop.rule(
        {
            "name": "Less " + colour,
            "scope": {"surfaces": ["search"]},
            "action": {"type": "bury", "match": {"colour_group_name": [colour]}, "strength": -1},
        }
    )
    on = shop.get(url)
    kinds = [i["colour_group_name"] == colour for i in on["items"]]
    assert not all(kinds)
    assert kinds == sorted(kinds)  # every item of the colour after every other item
    others = [i["article_id"] for i in off["items"] if i["colour_group_name"] != colour]
    assert _ids(on)[: len(others)] == others  # the rest in their own order, first
    was = {i["article_id"]: i["score"] for i in off["items"]}
    for i in on["items"]:
        if i["colour_group_name"] == colour and i["article_id"] in was:
            assert i["score"] == pytest.approx(was[i["article_id"]] - 1, abs=1e-5)
            assert i["rules"][0]["action"] == "bury"
            assert i["reason"].startswith(f"Buried by Less {colour}")
    body = {**made, "action": {**made["action"], "strength": -0.3}}
    body = {
        k: v
        for k, v in body.items()
        if k not in ("id", "status", "created_at", "updated_at", "created_by", "updated_by")
    }
    r = shop.c.put(f"/admin/rules/{made['id']}", json=body, headers=shop.keys["merchandiser"])
    assert r.status_code == 200, r.text
    on = shop.get(url)
    scores = [i["score"] for i in on["items"]]
    assert scores == sorted(scores, reverse=True)
    shifted = [
        i for i in on["items"] if i["colour_group_name"] == colour and i["article_id"] in was
    ]
    assert shifted
    for i in shifted:
        assert i["score"] == pytest.approx(was[i["article_id"]] - 0.3, abs=1e-5)
    for i in on["items"]:
        if i["colour_group_name"] != colour and i["article_id"] in was:
            assert i["score"] == pytest.approx(was[i["article_id"]], abs=1e-6)


def test_a_hide_on_browse_for_a_department_keeps_the_facets_consistent_with_the_page(
    shop: Shop,
) -> None:
    dept = str(shop.arts.index_group_name.value_counts().index[0])
    other = str(shop.arts.index_group_name.value_counts().index[1])
    url = f"/articles?index_group={dept.replace(' ', '+')}&limit=100"
    off = shop.get(url + "&rules=off", "merchandiser")
    colour_counts = {f["value"]: f["count"] for f in off["facets"]["colour"]}
    colour = max(colour_counts, key=lambda c: colour_counts[c])
    shop.rule(
        {
            "name": "No " + colour + " in " + dept,
            "scope": {"surfaces": ["browse"], "department": [dept]},
            "action": {"type": "hide", "match": {"colour_group_name": [colour]}},
        }
    )
    on = shop.get(url)
    facets = {f["value"]: f["count"] for f in on["facets"]["colour"]}
    assert colour not in facets
    assert all(i["colour_group_name"] != colour for i in on["items"])
    assert on["total"] == off["total"] - colour_counts[colour]
    assert on["total"] == sum(facets.values())
    assert sum(f["count"] for f in on["facets"]["category"]) == on["total"]
    # Another department is not in the rule's scope.
    elsewhere = shop.get(f"/articles?index_group={other.replace(' ', '+')}&limit=100")
    assert colour in {f["value"] for f in elsewhere["facets"]["colour"]}


def test_a_filter_rule_on_trending_keeps_only_its_articles(shop: Shop) -> None:
    before = shop.get("/trending?limit=50&window_days=30")
    groups = pd.Series([i["product_group_name"] for i in before["items"]]).value_counts()
    group = str(groups.index[1])
    shop.rule(
        {
            "name": "Only " + group,
            "scope": {"surfaces": ["trending"]},
            "action": {"type": "filter", "match": {"product_group_name": [group]}},
        }
    )
    after = shop.get("/trending?limit=50&window_days=30")
    assert after["items"] and all(i["product_group_name"] == group for i in after["items"])
    kept = [
        a
        for a, i in zip(_ids(before), before["items"], strict=True)
        if i["product_group_name"] == group
    ]
    assert _ids(after)[: len(kept)] == kept  # the same order among what is kept
    assert after["total"] < before["total"]
    assert _ids(shop.get("/search?q=dress")) == _ids(
        shop.get("/search?q=dress&rules=off", "merchandiser")
    )


def test_a_rule_dated_in_the_future_is_inert_and_starts_on_time_without_a_write(
    shop: Shop,
) -> None:
    url = "/trending?limit=12"
    before = shop.get(url)
    x = _outsider(shop, _ids(before))
    starts = datetime.now(UTC) + timedelta(seconds=1.5)
    made = shop.rule(
        {
            "name": "Launch",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(days=1)).isoformat(),
            "scope": {"surfaces": ["trending"]},
            "action": {"type": "pin", "pins": [{"article_id": x, "position": 1}]},
        }
    )
    assert made["status"] == "scheduled"
    assert _ids(shop.get(url)) == _ids(before)
    assert shop.c.get(url).headers["x-cache"] == "hit"
    time.sleep(max(0.0, (starts - datetime.now(UTC)).total_seconds()) + 0.1)
    r = shop.c.get(url)
    assert r.headers["x-cache"] == "miss"  # the cached answer did not outlive the start
    assert _ids(r.json())[0] == x
    got = shop.get(f"/admin/rules/{made['id']}", "merchandiser")
    assert got["status"] == "active"


def test_conflicting_rules_resolve_by_priority_then_newest_and_hide_beats_pin(
    shop: Shop,
) -> None:
    url = "/articles?limit=12"
    base = _ids(shop.get(url))
    x = _outsider(shop, base)
    y = _outsider(shop, [*base, x])
    strong = shop.rule(
        {
            "name": "Strong",
            "priority": 5,
            "scope": {"surfaces": ["browse"]},
            "action": {"type": "pin", "pins": [{"article_id": x, "position": 1}]},
        }
    )
    shop.rule(
        {
            "name": "Newer",
            "scope": {"surfaces": ["browse"]},
            "action": {"type": "pin", "pins": [{"article_id": y, "position": 1}]},
        }
    )
    got = shop.get(url)
    assert _ids(got)[:2] == [x, y]
    assert got["items"][0]["rules"][0]["id"] == strong["id"]
    shop.rule(
        {
            "name": "Pulled",
            "scope": {"surfaces": ["browse"]},
            "action": {"type": "hide", "match": {"article_ids": [x]}},
        }
    )
    got = _ids(shop.get(url))
    assert got[0] == y and x not in got


def test_a_pinned_article_that_is_unavailable_is_skipped(shop: Shop) -> None:
    url = "/search?q=jacket&limit=12"
    base = _ids(shop.get(url))
    z = _outsider(shop, base)
    shop.rule(
        {
            "name": "Hero jacket",
            "scope": {"surfaces": ["search"]},
            "action": {"type": "pin", "pins": [{"article_id": z, "position": 1}]},
        }
    )
    assert _ids(shop.get(url))[0] == z
    merch = shop.keys["merchandiser"]
    try:
        r = shop.c.patch(f"/admin/articles/{z}", json={"in_stock": False}, headers=merch)
        assert r.status_code == 200, r.text
        shop.catch_up()
        assert _ids(shop.get(url)) == base
    finally:
        shop.c.patch(f"/admin/articles/{z}", json={"in_stock": True}, headers=merch)
        shop.catch_up()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {
                "action": {
                    "type": "boost",
                    "match": {"colour_group_name": ["Plaidish"]},
                    "strength": 0.5,
                }
            },
            "action.match.colour_group_name[0]",
        ),
        (
            {"action": {"type": "pin", "pins": [{"article_id": "0000000001", "position": 1}]}},
            "action.pins[0].article_id",
        ),
        (
            {"action": {"type": "pin", "pins": [{"article_id": "0000000001", "position": 101}]}},
            "action.pin.pins.0.position",
        ),
        ({"starts_at": "2027-01-02T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z"}, "ends_at"),
        ({"scope": {"surfaces": ["search"], "department": ["Nowhere"]}}, "scope.department[0]"),
        ({"scope": {"surfaces": ["elsewhere"]}}, "scope.surfaces.0"),
        (
            {
                "action": {
                    "type": "bury",
                    "match": {"colour_group_name": ["Black"]},
                    "strength": 0.4,
                }
            },
            "action.bury.strength",
        ),
        (
            {
                "action": {
                    "type": "hide",
                    "match": {"article_ids": ["0108775015"], "colour_group_name": ["Black"]},
                }
            },
            "action.hide.match.article_ids",
        ),
    ],
)
def test_an_invalid_rule_is_a_422_naming_the_field_and_nothing_is_stored(
    shop: Shop, change: dict[str, Any], field: str
) -> None:
    body = {
        "name": "Bad",
        "scope": {"surfaces": ["search"]},
        "action": {"type": "hide", "match": {"colour_group_name": ["Black"]}},
        **change,
    }
    merch = shop.keys["merchandiser"]
    r = shop.c.post("/admin/rules", json=body, headers=merch)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()
    assert shop.c.get("/admin/rules", headers=merch).json()["rules"] == []


def test_only_merchandisers_and_admins_write_rules_and_the_audit_trail_names_them(
    shop: Shop,
) -> None:
    body = {
        "name": "Audited",
        "scope": {"surfaces": ["browse"]},
        "action": {"type": "hide", "match": {"colour_group_name": ["Black"]}},
    }
    for headers, status in ((None, 401), (shop.keys["shopper"], 403), (shop.keys["service"], 403)):
        assert shop.c.post("/admin/rules", json=body, headers=headers).status_code == status
        assert shop.c.get("/admin/rules", headers=headers).status_code == status
    made = shop.rule(body)
    assert made["created_by"] == "rules-merchandiser"
    r = shop.c.patch(
        f"/admin/rules/{made['id']}", json={"enabled": False}, headers=shop.keys["admin"]
    )
    assert r.status_code == 200 and r.json()["status"] == "disabled"
    assert r.json()["updated_by"] == "rules-admin"
    audit = shop.get("/admin/audit?limit=50", "admin")["items"]
    assert any(
        a["key_name"] == "rules-merchandiser"
        and a["method"] == "POST"
        and a["path"] == "/admin/rules"
        for a in audit
    )


def test_a_draft_rule_previews_without_being_stored_and_rules_off_is_staff_only(
    shop: Shop,
) -> None:
    url = "/search?q=shirt&limit=12"
    base = _ids(shop.get(url))
    x = _outsider(shop, base)
    draft = {
        "name": "Draft",
        "scope": {"surfaces": ["search"]},
        "action": {"type": "pin", "pins": [{"article_id": x, "position": 1}]},
    }
    preview = url + "&preview_rule=" + json.dumps(draft)
    seen = shop.get(preview, "merchandiser")
    assert _ids(seen)[0] == x and seen["items"][0]["rules"][0]["name"] == "Draft"
    assert _ids(shop.get(url)) == base
    assert shop.get("/admin/rules", "merchandiser")["rules"] == []
    for headers, status in ((None, 401), (shop.keys["shopper"], 403)):
        assert shop.c.get(preview, headers=headers).status_code == status
        assert shop.c.get(url + "&rules=off", headers=headers).status_code == status
    bad = url + "&preview_rule=" + json.dumps({**draft, "priority": 5000})
    r = shop.c.get(bad, headers=shop.keys["merchandiser"])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "preview_rule.priority"
    made = shop.rule(draft)
    assert _ids(shop.get(url))[0] == x
    assert _ids(shop.get(url + "&rules=off", "merchandiser")) == base
    assert (
        shop.c.delete(f"/admin/rules/{made['id']}", headers=shop.keys["merchandiser"]).status_code
        == 204
    )
    assert (
        shop.c.get(f"/admin/rules/{made['id']}", headers=shop.keys["merchandiser"]).status_code
        == 404
    )
    assert _ids(shop.get(url)) == base
