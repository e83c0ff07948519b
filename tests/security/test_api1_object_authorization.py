"""OWASP API1:2023 Broken Object Level Authorization: one customer's personal data (feed,
preferences) goes only to that customer's token or a service key, cached answers included."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.security.conftest import bearer, key, problem

pytestmark = pytest.mark.slow


def test_another_customers_feed_is_refused(
    client: TestClient, shoppers: tuple[str, str], keys: dict[str, str]
) -> None:
    a, b = shoppers
    url = f"/recommendations/{b}?limit=5"
    problem(client.get(url), 401, "unauthorized")
    problem(client.get(url, headers=bearer(client, a)), 403, "forbidden")
    for role in ("merchandiser", "admin"):  # staff keys are not a customer's
        problem(client.get(url, headers=key(keys, role)), 403, "forbidden")
    own = client.get(url, headers=bearer(client, b))
    assert own.status_code == 200 and len(own.json()["items"]) == 5
    by_service = client.get(url, headers=key(keys, "service"))
    assert by_service.status_code == 200
    assert by_service.json()["items"] == own.json()["items"]


def test_a_cached_feed_is_never_served_to_someone_else(
    client: TestClient, shoppers: tuple[str, str]
) -> None:
    a, b = shoppers
    url = f"/recommendations/{b}?limit=4&offset=1"
    mine = bearer(client, b)
    first, second = client.get(url, headers=mine), client.get(url, headers=mine)
    assert second.headers["x-cache"] == "hit"
    assert second.json()["items"] == first.json()["items"]
    # The same URL, now cached: still 401 without a token and 403 with another's.
    problem(client.get(url), 401, "unauthorized")
    problem(client.get(url, headers=bearer(client, a)), 403, "forbidden")
    forged = {"Authorization": mine["Authorization"][:-4] + "AAAA"}
    problem(client.get(url, headers=forged), 401, "unauthorized")


def test_another_customers_preferences_can_be_neither_read_nor_written(
    client: TestClient, shoppers: tuple[str, str], keys: dict[str, str]
) -> None:
    a, b = shoppers
    url = f"/customers/{b}/preferences"
    theirs, mine = bearer(client, b), bearer(client, a)
    assert client.put(url, json={"style": "quiet linen"}, headers=theirs).status_code == 200
    problem(client.get(url, headers=mine), 403, "forbidden")
    problem(client.put(url, json={"style": "hijacked"}, headers=mine), 403, "forbidden")
    problem(
        client.put(url, json={"style": "hijacked"}, headers=key(keys, "merchandiser")),
        403,
        "forbidden",
    )
    problem(client.get(url), 401, "unauthorized")
    assert client.get(url, headers=theirs).json()["style"] == "quiet linen"
    # A service acts for any customer: it reads what the customer saved.
    assert client.get(url, headers=key(keys, "service")).json()["style"] == "quiet linen"
    client.put(url, json={}, headers=theirs)


def test_a_token_for_one_customer_cannot_be_pointed_at_another_by_the_body(
    client: TestClient, shoppers: tuple[str, str]
) -> None:
    a, b = shoppers
    url = f"/customers/{a}/preferences"
    body = problem(
        client.put(url, json={"customer_id": b, "style": "x"}, headers=bearer(client, a)),
        422,
        "invalid-input",
    )
    assert body["errors"][0]["field"] == "customer_id"
