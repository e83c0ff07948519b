"""OWASP API2:2023 Broken Authentication: the oidc sign-in mode end to end with a key pair and a
JWKS file made here, every kind of bad token, revoked keys, and start-up refusals."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from api.auth import JWKS_RELOAD_S, issue
from api.main import create_app
from core.keys import KeyStore
from core.settings import DEMO_SECRET, AuthSettings, Settings
from tests.security.conftest import problem

pytestmark = pytest.mark.slow
ISSUER, AUDIENCE = "https://id.shop.test", "lookbook-api"
SECRET = "oidc-mode-secret-of-at-least-32-characters"


def _pair(kind: str) -> tuple[Any, dict[str, Any]]:
    """A private key and its public JWK (with kid and alg)."""
    if kind == "RS256":
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    else:
        private = ec.generate_private_key(ec.SECP256R1())
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    return private, {**jwk, "kid": f"{kind.lower()}-1", "alg": kind, "use": "sig"}


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The shop's identity provider: two signing keys, published in a JWKS file."""
    rsa_key, rsa_jwk = _pair("RS256")
    ec_key, ec_jwk = _pair("ES256")
    jwks = tmp_path_factory.mktemp("idp") / "jwks.json"
    jwks.write_text(json.dumps({"keys": [rsa_jwk, ec_jwk]}))
    return {"RS256": rsa_key, "ES256": ec_key, "jwks": jwks}


def token(provider: dict[str, Any], customer: str, alg: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": customer, "iat": now, "exp": now + 600}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, provider[alg], algorithm=alg, headers={"kid": f"{alg.lower()}-1"})


def auth(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture(scope="module")
def oidc(
    tiny_settings: Settings, tiny_index: Any, provider: dict[str, Any], tmp_path_factory: Any
) -> Iterator[TestClient]:
    settings = tiny_settings.model_copy(
        update={
            "secret_key": SECRET,
            "db_path": tmp_path_factory.mktemp("oidc") / "lookbook.db",
            "auth": AuthSettings(
                mode="oidc",
                oidc_issuer=ISSUER,
                oidc_audience=AUDIENCE,
                oidc_jwks=str(provider["jwks"]),
            ),
        }
    )
    with TestClient(create_app(settings)) as c:
        yield c


def test_oidc_tokens_of_both_algorithms_open_the_owners_feed(
    oidc: TestClient, provider: dict[str, Any], shoppers: tuple[str, str]
) -> None:
    a, b = shoppers
    for alg in ("RS256", "ES256"):
        r = oidc.get(f"/recommendations/{a}?limit=3", headers=auth(token(provider, a, alg)))
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) == 3
        problem(
            oidc.get(f"/recommendations/{b}", headers=auth(token(provider, a, alg))),
            403,
            "forbidden",
        )


def test_oidc_mode_has_no_demo_sign_in(oidc: TestClient, shoppers: tuple[str, str]) -> None:
    problem(oidc.post("/session", json={"customer_id": shoppers[0]}), 404, "not-found")
    assert "/session" not in oidc.get("/openapi.json").json()["paths"]


def test_oidc_refuses_every_bad_token(
    oidc: TestClient, provider: dict[str, Any], shoppers: tuple[str, str]
) -> None:
    a = shoppers[0]
    now = int(time.time())
    stranger, _ = _pair("RS256")  # signs with a key the provider never published, same kid
    unsigned = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": a, "exp": now + 600}, None, algorithm="none"
    )
    public_pem = (
        provider["RS256"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    # HS256 with the provider's public key as the secret: the classic algorithm confusion.
    confused = _hs256_with_raw_secret(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": a, "exp": now + 600}, public_pem, "rs256-1"
    )
    bad = {
        "forged": jwt.encode(
            {"iss": ISSUER, "aud": AUDIENCE, "sub": a, "exp": now + 600},
            stranger,
            algorithm="RS256",
            headers={"kid": "rs256-1"},
        ),
        "expired": token(provider, a, exp=now - 3600, iat=now - 7200),
        "not yet valid": token(provider, a, nbf=now + 3600),
        "wrong issuer": token(provider, a, iss="https://evil.test"),
        "wrong audience": token(provider, a, aud="another-api"),
        "no audience": token(provider, a, aud=None),
        "no expiry": token(provider, a, exp=None),
        "alg none": unsigned,
        "demo secret": issue(a, DEMO_SECRET, 600),
        "oidc secret": issue(a, SECRET, 600),
        "algorithm confusion": confused,
        "not a customer id": token(provider, "alice@example.com"),
        "unknown kid": jwt.encode(
            {"iss": ISSUER, "aud": AUDIENCE, "sub": a, "exp": now + 600},
            provider["RS256"],
            algorithm="RS256",
            headers={"kid": "rotated-away"},
        ),
        "garbage": "not-a-jwt",
    }
    for name, value in bad.items():
        r = oidc.get(f"/recommendations/{a}", headers=auth(value))
        assert r.status_code == 401, (name, r.text)
        problem(r, 401, "unauthorized")
        assert r.headers["www-authenticate"] == "Bearer"


def _hs256_with_raw_secret(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """PyJWT refuses to sign HS256 with a PEM key, so build the token by hand."""
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims).encode())
    sig = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def test_a_different_customer_claim_is_configurable(
    tiny_settings: Settings, tiny_index: Any, provider: dict[str, Any], tmp_path: Path
) -> None:
    a = "ab" * 32
    settings = tiny_settings.model_copy(
        update={
            "secret_key": SECRET,
            "db_path": tmp_path / "db",
            "auth": AuthSettings(
                mode="oidc",
                oidc_issuer=ISSUER,
                oidc_audience=AUDIENCE,
                oidc_jwks=str(provider["jwks"]),
                oidc_customer_claim="customer_id",
            ),
        }
    )
    with TestClient(create_app(settings)) as c:
        good = token(provider, "user-123", customer_id=a)
        assert c.get(f"/customers/{a}/preferences", headers=auth(good)).status_code == 200
        missing = token(provider, a)  # the customer id only in `sub`
        problem(c.get(f"/customers/{a}/preferences", headers=auth(missing)), 401, "unauthorized")


def test_an_unreadable_jwks_is_a_401_that_names_no_file(
    tiny_settings: Settings,
    tiny_index: Any,
    provider: dict[str, Any],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The provider's JWKS file goes missing: a token naming a new key makes the API re-read
    it; the 401 says the key cannot be checked, the OS error and the path go to the log."""
    a = "ab" * 32
    jwks = tmp_path / "idp" / "jwks.json"
    jwks.parent.mkdir()
    jwks.write_text(provider["jwks"].read_text())
    settings = tiny_settings.model_copy(
        update={
            "secret_key": SECRET,
            "db_path": tmp_path / "db",
            "auth": AuthSettings(
                mode="oidc", oidc_issuer=ISSUER, oidc_audience=AUDIENCE, oidc_jwks=str(jwks)
            ),
        }
    )
    with TestClient(create_app(settings)) as c:
        assert c.get("/trending", headers=auth(token(provider, a))).status_code == 200
        jwks.unlink()
        time.sleep(JWKS_RELOAD_S + 0.5)  # the file is re-read at most this often
        rotated = jwt.encode(
            {"iss": ISSUER, "aud": AUDIENCE, "sub": a, "exp": int(time.time()) + 600},
            provider["RS256"],
            algorithm="RS256",
            headers={"kid": "rotated-in"},
        )
        r = c.get("/trending", headers={**auth(rotated), "X-Request-ID": "jwks-gone"})
    body = problem(r, 401, "unauthorized")
    assert str(tmp_path) not in r.text and "Errno" not in r.text, body
    assert body["detail"], body
    logged = [
        m.getMessage() for m in caplog.records if getattr(m, "request_id", None) == "jwks-gone"
    ]
    assert any(str(jwks) in m and "No such file" in m for m in logged), logged


def test_demo_tokens_forged_expired_or_for_nobody_are_refused(
    client: TestClient, shoppers: tuple[str, str]
) -> None:
    a = shoppers[0]
    url = f"/customers/{a}/preferences"
    now = time.time()
    for value in (
        issue(a, "another-secret-of-at-least-32-characters!", 600),
        issue(a, DEMO_SECRET, 600, now=now - 7200),
        jwt.encode({"sub": a}, DEMO_SECRET, algorithm="HS256"),  # no expiry
        jwt.encode({"sub": a, "exp": now + 600}, None, algorithm="none"),
    ):
        problem(client.get(url, headers=auth(value)), 401, "unauthorized")
    problem(client.get(url, headers={"Authorization": "Basic abc"}), 401, "unauthorized")


def test_a_revoked_or_made_up_key_is_refused_at_once(
    client: TestClient, tiny_settings: Settings, shoppers: tuple[str, str]
) -> None:
    store = KeyStore(tiny_settings.db_path)
    _, value = store.create("service", "sec-to-revoke")
    url = f"/recommendations/{shoppers[0]}?limit=2"
    assert client.get(url, headers={"X-API-Key": value}).status_code == 200
    store.revoke("sec-to-revoke")
    store.close()
    for sent in (value, value[:-1] + ("A" if value[-1] != "A" else "B"), "lbk_made-up", ""):
        r = client.get(url, headers={"X-API-Key": sent})
        problem(r, 401, "unauthorized")
    # On public endpoints too: a bad credential is never ignored.
    problem(client.get("/trending", headers={"X-API-Key": value}), 401, "unauthorized")


@pytest.mark.parametrize(
    ("auth_settings", "secret", "says"),
    [
        (
            AuthSettings(mode="oidc", oidc_issuer=ISSUER, oidc_audience=AUDIENCE, oidc_jwks="j"),
            DEMO_SECRET,
            "LOOKBOOK_SECRET_KEY is the public demo default",
        ),
        (
            AuthSettings(mode="oidc", oidc_audience=AUDIENCE),
            SECRET,
            "needs LOOKBOOK_AUTH__OIDC_ISSUER, LOOKBOOK_AUTH__OIDC_JWKS",
        ),
    ],
)
def test_start_up_refuses_unsafe_settings(
    tiny_settings: Settings, tmp_path: Path, auth_settings: AuthSettings, secret: str, says: str
) -> None:
    settings = tiny_settings.model_copy(
        update={"auth": auth_settings, "secret_key": secret, "db_path": tmp_path / "db"}
    )
    with pytest.raises(ValueError, match=says), TestClient(create_app(settings)):
        pass
