"""OWASP API3:2023 Broken Object Property Level Authorization: write bodies take only the
fields a caller may set (mass assignment), and answers never carry what they should not."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.security.conftest import bearer, key, problem

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"role": "admin"}, "role"),
        ({"is_admin": True}, "is_admin"),
        ({"bought": ["0108775015"]}, "bought"),
        ({"favourite_colours": ["Black"], "customer": {"id": "x"}}, "customer"),
    ],
)
def test_preferences_refuse_fields_a_customer_may_not_set(
    client: TestClient, shoppers: tuple[str, str], extra: dict[str, object], field: str
) -> None:
    a = shoppers[0]
    url = f"/customers/{a}/preferences"
    h = bearer(client, a)
    before = client.get(url, headers=h).json()
    body = problem(client.put(url, json={"style": "x", **extra}, headers=h), 422, "invalid-input")
    assert body["errors"][0]["field"] == field
    assert client.get(url, headers=h).json() == before  # nothing of it was saved


def test_updated_at_is_read_only(client: TestClient, shoppers: tuple[str, str]) -> None:
    a = shoppers[0]
    url = f"/customers/{a}/preferences"
    h = bearer(client, a)
    saved = client.put(url, json={"style": "a", "updated_at": "1999-01-01T00:00:00"}, headers=h)
    assert saved.status_code == 200
    assert not saved.json()["updated_at"].startswith("1999")
    client.put(url, json={}, headers=h)


@pytest.mark.parametrize(
    "body",
    [
        {"role": "service", "name": "x1", "key": "lbk_chosen-by-the-caller"},
        {"role": "service", "name": "x2", "hash": "00" * 32},
        {"role": "service", "name": "x3", "revoked_at": None},
        {"role": "superuser", "name": "x4"},
        {"role": "service", "name": "../etc"},
    ],
)
def test_a_key_is_made_only_of_a_role_and_a_name(
    client: TestClient, keys: dict[str, str], body: dict[str, object]
) -> None:
    r = client.post("/admin/keys", json=body, headers=key(keys, "admin"))
    problem(r, 422, "invalid-input")
    listed = client.get("/admin/keys", headers=key(keys, "admin")).json()["items"]
    assert str(body["name"]) not in {k["name"] for k in listed}


def test_key_listings_never_show_a_key_or_its_hash(
    client: TestClient, keys: dict[str, str]
) -> None:
    admin = key(keys, "admin")
    made = client.post(
        "/admin/keys", json={"role": "merchandiser", "name": "sec-shown-once"}, headers=admin
    )
    assert made.status_code == 201, made.text
    secret = made.json()["key"]
    assert secret.startswith("lbk_") and len(secret) > 40
    listing = client.get("/admin/keys", headers=admin)
    assert listing.status_code == 200
    assert secret not in listing.text and secret[8:] not in listing.text
    row = next(k for k in listing.json()["items"] if k["name"] == "sec-shown-once")
    assert set(row) == {"name", "role", "hint", "created_at", "revoked_at"}
    assert secret.startswith(row["hint"]) and len(row["hint"]) == 8
