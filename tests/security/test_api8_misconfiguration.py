"""OWASP API8:2023 Security Misconfiguration: safe headers on every answer, no stack traces,
CORS only for the configured origins, no demo secret or demo sign-in outside the demo."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.settings import Settings
from tests.security.conftest import problem

pytestmark = pytest.mark.slow


def test_every_answer_says_nosniff(client: TestClient) -> None:
    answers = [
        client.get("/health"),
        client.get("/articles?limit=1"),
        client.get("/articles?limit=1"),  # from the response cache
        client.get("/articles/0000000000"),
        client.get("/articles?limit=1000"),
        client.get(f"/recommendations/{'a' * 64}"),
        client.get("/images/0000000000.jpg"),
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 404, 422, 401, 200]
    assert answers[2].headers["x-cache"] == "hit"
    for r in answers:
        assert r.headers["x-content-type-options"] == "nosniff", r.url


@pytest.fixture
def failing(tiny_settings: Settings, tiny_index: Any) -> Iterator[TestClient]:
    """The real app with one route that fails the way a bug would."""
    app = create_app(tiny_settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("password=hunter2 at /srv/lookbook/secret.py line 12")

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_an_unexpected_error_shows_no_stack_trace_or_detail(failing: TestClient) -> None:
    r = failing.get("/boom")
    body = problem(r, 500, "internal")
    assert body["detail"] == "an unexpected error occurred"
    for leak in ("Traceback", "hunter2", "secret.py", "RuntimeError"):
        assert leak not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"


def test_cors_answers_only_the_configured_origins(client: TestClient) -> None:
    pre = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-api-key"}
    good = client.options("/trending", headers={"Origin": "http://localhost:3000", **pre})
    assert good.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "x-api-key" in good.headers["access-control-allow-headers"].lower()
    evil = client.options("/trending", headers={"Origin": "https://evil.test", **pre})
    assert "access-control-allow-origin" not in evil.headers
    plain = client.get("/trending", headers={"Origin": "https://evil.test"})
    assert "access-control-allow-origin" not in plain.headers


def test_the_api_refuses_to_start_on_the_public_demo_secret() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.auth.mode == "oidc"  # a shop's default: the demo is switched on explicitly
    with pytest.raises(ValueError, match="public demo default"):
        settings.check_api()
    assert "/session" not in create_app(settings).openapi()["paths"]


def test_settings_with_a_bad_rate_say_which_variable() -> None:
    with pytest.raises(ValueError, match="LOOKBOOK_RATE_LIMIT__SEARCH='sixty' is not a rate"):
        Settings(_env_file=None, rate_limit={"search": "sixty"})  # type: ignore[call-arg]
