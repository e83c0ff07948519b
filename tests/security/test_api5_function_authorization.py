"""OWASP API5:2023 Broken Function Level Authorization: admin functions (keys, audit) answer
only admin keys; every key-authenticated write lands in the audit trail."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

import api.main  # noqa: F401  (every route loaded: their role gates are registered)
from api.deps import ROLE_GATED
from api.middleware import CACHEABLE, PERSONAL
from tests.security.conftest import bearer, key, problem

pytestmark = pytest.mark.slow
ADMIN_CALLS = [
    ("GET", "/admin/keys", None),
    ("POST", "/admin/keys", {"role": "admin", "name": "sec-escalated"}),
    ("DELETE", "/admin/keys/sec-admin", None),
    ("GET", "/admin/audit", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
def test_only_an_admin_key_reaches_admin_functions(
    client: TestClient,
    keys: dict[str, str],
    shoppers: tuple[str, str],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    problem(client.request(method, path, json=body), 401, "unauthorized")
    problem(
        client.request(method, path, json=body, headers=bearer(client, shoppers[0])),
        403,
        "forbidden",
    )
    for role in ("service", "merchandiser"):
        r = client.request(method, path, json=body, headers=key(keys, role))
        problem(r, 403, "forbidden")
    # Nothing changed: the admin key still works and no escalated key exists.
    listed = client.get("/admin/keys", headers=key(keys, "admin"))
    assert listed.status_code == 200
    names = {k["name"]: k for k in listed.json()["items"]}
    assert "sec-escalated" not in names and names["sec-admin"]["revoked_at"] is None


def test_an_admin_manages_keys_and_every_keyed_write_is_audited(
    client: TestClient, keys: dict[str, str]
) -> None:
    admin = key(keys, "admin")
    made = client.post(
        "/admin/keys", json={"role": "service", "name": "sec-lifecycle"}, headers=admin
    )
    assert made.status_code == 201
    new = {"X-API-Key": made.json()["key"]}
    assert client.get("/admin/keys", headers=new).status_code == 403  # a service key
    again = client.post(
        "/admin/keys", json={"role": "service", "name": "sec-lifecycle"}, headers=admin
    )
    assert problem(again, 422, "invalid-input")["errors"][0]["field"] == "name"
    assert client.delete("/admin/keys/sec-lifecycle", headers=admin).status_code == 204
    problem(client.get("/trending", headers=new), 401, "unauthorized")
    problem(client.delete("/admin/keys/no-such-key", headers=admin), 404, "not-found")

    entries = client.get("/admin/audit?limit=4", headers=admin).json()
    got = [
        (e["key_name"], e["role"], e["method"], e["path"], e["status"]) for e in entries["items"]
    ]
    assert got == [
        ("sec-admin", "admin", "DELETE", "/admin/keys/no-such-key", 404),
        ("sec-admin", "admin", "DELETE", "/admin/keys/sec-lifecycle", 204),
        ("sec-admin", "admin", "POST", "/admin/keys", 422),
        ("sec-admin", "admin", "POST", "/admin/keys", 201),
    ]
    # Pages continue newest first, with no overlap.
    older = client.get(f"/admin/audit?limit=4&before={entries['next_before']}", headers=admin)
    assert all(e["id"] < entries["items"][-1]["id"] for e in older.json()["items"])


def test_refused_and_read_requests_are_not_writes_of_the_trail(
    client: TestClient, keys: dict[str, str]
) -> None:
    admin = key(keys, "admin")
    top = client.get("/admin/audit?limit=1", headers=admin).json()["items"]
    client.get("/admin/keys", headers=key(keys, "merchandiser"))  # a refused read
    client.get("/trending", headers=key(keys, "service"))  # a read
    assert client.get("/admin/audit?limit=1", headers=admin).json()["items"] == top


# --- parameters that need a role, on cached routes --------------------------------------------

#: A URL of each cacheable GET route (`api.middleware.CACHEABLE`); {owner}: the feed's customer.
CACHED_URLS = {
    "/articles": "/articles?limit={n}",
    "/recommendations/": "/recommendations/{owner}?limit={n}",
    "/trending": "/trending?limit={n}",
    "/search": "/search?q=black+dress&limit={n}",
}


#: The value each role-gated parameter is sent with (default "true"): a list without the
#: merchandising rules, and a draft rule to preview on every surface.
GATED_VALUES = {
    "rules": "off",
    "preview_rule": json.dumps(
        {
            "name": "sec-draft",
            "scope": {"surfaces": ["feed", "trending", "similar", "search", "browse"]},
            "action": {"type": "hide", "match": {"colour_group_name": ["Black"]}},
        }
    ),
}


def test_every_cacheable_route_and_role_gated_parameter_is_walked() -> None:
    assert set(CACHED_URLS) == set(CACHEABLE)
    assert "include_unavailable" in ROLE_GATED  # the registry is filled as the routes load


@pytest.mark.parametrize("param", sorted(ROLE_GATED))
@pytest.mark.parametrize("route", CACHEABLE)
def test_a_cached_answer_of_a_role_gated_parameter_is_never_served_without_the_role(
    client: TestClient,
    keys: dict[str, str],
    shoppers: tuple[str, str],
    route: str,
    param: str,
) -> None:
    """Staff first (200, a miss, then a hit), then the very same URL: 401 without a
    credential, 403 with the feed owner's own token; never from the cache."""
    owner = shoppers[0]
    shopper = bearer(client, owner)
    # A role that may read the route too: a feed is only its owner's or a service key's.
    roles = [r for r in ROLE_GATED[param] if route != PERSONAL or r == "service"]
    assert roles, (route, param)
    for i, role in enumerate(roles):
        # A limit of its own per case: no other test has asked for this URL.
        value = quote(GATED_VALUES.get(param, "true"))
        url = CACHED_URLS[route].format(owner=owner, n=61 + i) + f"&{param}={value}"
        first = client.get(url, headers=key(keys, role))
        assert first.status_code == 200, (role, first.text)
        assert first.headers["x-cache"] == "miss"
        assert client.get(url, headers=key(keys, role)).headers["x-cache"] == "hit"
        for headers, status, kind in ((None, 401, "unauthorized"), (shopper, 403, "forbidden")):
            r = client.get(url, headers=headers)
            assert r.headers.get("x-cache") != "hit", (role, url, headers)
            problem(r, status, kind)
