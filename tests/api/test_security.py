"""Sign-in, preferences ownership, token tampering and expiry, bounds and malformed input."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.auth import issue
from tests.conftest import TROUSERS_FAN

pytestmark = pytest.mark.slow
PROBLEM = "https://lookbook.dev/problems/"


def _problem(r: Any, status: int, kind: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["type"] == PROBLEM + kind
    assert body["status"] == status
    return body


@pytest.fixture(scope="module")
def other_customer(tiny_world: Any) -> str:
    return (tiny_world / "customers.csv").read_text().splitlines()[1].split(",")[0]


def _auth(client: TestClient, customer_id: str) -> dict[str, str]:
    r = client.post("/session", json={"customer_id": customer_id})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_session_for_unknown_customer_is_404(client: TestClient) -> None:
    _problem(client.post("/session", json={"customer_id": "e" * 64}), 404, "not-found")


def test_session_rejects_bad_id_and_extra_fields(client: TestClient) -> None:
    body = _problem(client.post("/session", json={"customer_id": "xyz"}), 422, "invalid-input")
    assert body["errors"][0]["field"] == "customer_id"
    r = client.post("/session", json={"customer_id": TROUSERS_FAN, "admin": True})
    assert _problem(r, 422, "invalid-input")["errors"][0]["field"] == "admin"


def test_preferences_need_a_token(client: TestClient) -> None:
    _problem(client.get(f"/customers/{TROUSERS_FAN}/preferences"), 401, "unauthorized")
    r = client.put(f"/customers/{TROUSERS_FAN}/preferences", json={"style": "x"})
    _problem(r, 401, "unauthorized")


def test_another_customers_token_is_403_and_changes_nothing(
    client: TestClient, other_customer: str
) -> None:
    mine = _auth(client, TROUSERS_FAN)
    theirs = _auth(client, other_customer)
    saved = client.put(
        f"/customers/{other_customer}/preferences", json={"style": "quiet linen"}, headers=theirs
    )
    assert saved.status_code == 200
    r = client.put(
        f"/customers/{other_customer}/preferences", json={"style": "hijacked"}, headers=mine
    )
    _problem(r, 403, "forbidden")
    _problem(client.get(f"/customers/{other_customer}/preferences", headers=mine), 403, "forbidden")
    after = client.get(f"/customers/{other_customer}/preferences", headers=theirs).json()
    assert after["style"] == "quiet linen"


def test_expired_and_tampered_tokens_are_401(client: TestClient, tiny_settings: Any) -> None:
    url = f"/customers/{TROUSERS_FAN}/preferences"
    expired = issue(TROUSERS_FAN, tiny_settings.secret_key, 60, now=1_000_000)
    body = _problem(
        client.get(url, headers={"Authorization": f"Bearer {expired}"}), 401, "unauthorized"
    )
    assert "expired" in body["detail"]
    good = _auth(client, TROUSERS_FAN)["Authorization"]
    head, payload, sig = good.split(" ")[1].split(".")
    forged = issue(TROUSERS_FAN, "another-secret-of-at-least-32-characters!", 600)
    for token in (f"{head}.{payload}.{sig[:-2]}AA", forged, "not-a-jwt"):
        _problem(client.get(url, headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized")
    _problem(client.get(url, headers={"Authorization": "Basic abc"}), 401, "unauthorized")


def test_preferences_round_trip_and_unknown_fields(client: TestClient) -> None:
    h = _auth(client, TROUSERS_FAN)
    url = f"/customers/{TROUSERS_FAN}/preferences"
    prefs = {
        "favourite_categories": ["Dress"],
        "favourite_colours": ["Red"],
        "min_price": 10,
        "max_price": 90,
        "style": "flowing summer dresses",
    }
    assert client.put(url, json=prefs, headers=h).status_code == 200
    got = client.get(url, headers=h).json()
    assert {k: got[k] for k in prefs} == prefs
    body = _problem(client.put(url, json={**prefs, "vip": True}, headers=h), 422, "invalid-input")
    assert body["errors"][0]["field"] == "vip"
    bad = {**prefs, "min_price": 100, "max_price": 5}
    _problem(client.put(url, json=bad, headers=h), 422, "invalid-input")
    long_style = {"style": "x" * 301}
    _problem(client.put(url, json=long_style, headers=h), 422, "invalid-input")
    assert client.put(url, json={}, headers=h).status_code == 200


def test_preferences_read_edit_write_back(client: TestClient) -> None:
    """A client GETs the preferences, changes one field and PUTs the same JSON back."""
    h = _auth(client, TROUSERS_FAN)
    url = f"/customers/{TROUSERS_FAN}/preferences"
    first = {"favourite_colours": ["Black"], "style": "sharp tailoring"}
    assert client.put(url, json=first, headers=h).status_code == 200
    got = client.get(url, headers=h).json()
    assert got["customer_id"] == TROUSERS_FAN and got["updated_at"]
    edited = {**got, "style": "relaxed linen"}
    r = client.put(url, json=edited, headers=h)
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["style"] == "relaxed linen" and saved["favourite_colours"] == ["Black"]
    assert saved["customer_id"] == TROUSERS_FAN and saved["updated_at"] >= got["updated_at"]
    assert client.get(url, headers=h).json() == saved
    client.put(url, json={}, headers=h)


def test_preferences_body_for_another_customer_is_refused(client: TestClient) -> None:
    h = _auth(client, TROUSERS_FAN)
    url = f"/customers/{TROUSERS_FAN}/preferences"
    before = client.get(url, headers=h).json()
    body = {**before, "customer_id": "c" * 64, "style": "not saved"}
    problem = _problem(client.put(url, json=body, headers=h), 422, "invalid-input")
    assert problem["errors"][0]["field"] == "customer_id"
    assert "path" in problem["errors"][0]["message"]
    assert client.get(url, headers=h).json() == before


def test_preferences_change_the_feed_at_once(client: TestClient) -> None:
    h = _auth(client, TROUSERS_FAN)
    url = f"/recommendations/{TROUSERS_FAN}?limit=12"
    client.put(f"/customers/{TROUSERS_FAN}/preferences", json={}, headers=h)
    before = client.get(url, headers=h).json()["items"]
    prefs = {"favourite_categories": ["Dress"], "style": "flowing summer dress"}
    client.put(f"/customers/{TROUSERS_FAN}/preferences", json=prefs, headers=h)
    after = client.get(url, headers=h)
    assert after.headers["x-cache"] == "miss"
    dresses = [i for i in after.json()["items"] if i["product_type_name"] == "Dress"]
    assert len(dresses) > sum(i["product_type_name"] == "Dress" for i in before)
    assert all(i["boost"] > 0 for i in dresses)
    client.put(f"/customers/{TROUSERS_FAN}/preferences", json={}, headers=h)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/articles?limit=101", "limit"),
        ("/articles?limit=0", "limit"),
        ("/articles?offset=-1", "offset"),
        ("/articles?offset=100000", "offset"),
        ("/articles?min_price=abc", "min_price"),
        ("/articles?min_price=50&max_price=10", "min_price"),
        ("/articles?sort=cheapest", "sort"),
        ("/search?q=" + "a" * 501, "q"),
        ("/search", "q"),
        ("/trending?window_days=3", "window_days"),
        ("/articles/123/similar", "article_id"),
        ("/recommendations/not-hex", "customer_id"),
    ],
)
def test_bad_parameters_name_the_field(client: TestClient, url: str, field: str) -> None:
    body = _problem(client.get(url), 422, "invalid-input")
    assert body["errors"][0]["field"] == field, body


def test_unknown_article_is_404(client: TestClient) -> None:
    _problem(client.get("/articles/0999999999"), 404, "not-found")
    _problem(client.get("/articles/0999999999/similar"), 404, "not-found")
    _problem(client.get("/nowhere"), 404, "not-found")


def _png(size: tuple[int, int] = (64, 64)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (20, 20, 20)).save(buf, "PNG")
    return buf.getvalue()


def test_photo_upload_bounds(client: TestClient) -> None:
    ok = client.post("/search/image", files={"file": ("a.png", _png(), "image/png")})
    assert ok.status_code == 200 and ok.json()["items"]
    r = client.post("/search/image", files={"file": ("a.txt", b"hello", "text/plain")})
    assert _problem(r, 422, "invalid-input")["errors"][0]["field"] == "file"
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    r = client.post("/search/image", files={"file": ("a.gif", gif.getvalue(), "image/gif")})
    _problem(r, 422, "invalid-input")
    _problem(
        client.post("/search/image", files={"file": ("e.png", b"", "image/png")}),
        422,
        "invalid-input",
    )
    big = b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 10)
    _problem(
        client.post("/search/image", files={"file": ("b.jpg", big, "image/jpeg")}),
        413,
        "payload-too-large",
    )
    _problem(client.post("/search/image"), 422, "invalid-input")


def test_body_size_cap(client: TestClient) -> None:
    r = client.put(
        f"/customers/{TROUSERS_FAN}/preferences",
        content=b"{" + b" " * (7 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    _problem(r, 413, "payload-too-large")


def test_requests_carry_an_id(client: TestClient) -> None:
    r = client.get("/health", headers={"X-Request-ID": "abc123"})
    assert r.headers["x-request-id"] == "abc123"
    assert len(client.get("/health").headers["x-request-id"]) == 16
