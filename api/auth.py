"""Who is calling: a shopper's bearer token (demo or the shop's OIDC provider) or an API key.

`Authenticator.authenticate` turns the request's credentials into a `Principal` (or None when
it sent none) and refuses a bad one with a 401. Verified tokens are remembered until they
expire, so a signed-in shopper's repeated requests cost a dictionary look-up, not a signature
check; API keys are looked up in the key store on every request, so a revocation holds at once
in every process.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jwt

from api.errors import REQUEST_ID, AuthError
from core.keys import KeyStore
from core.settings import AuthSettings, Settings

log = logging.getLogger(__name__)
DEMO_ALGORITHM = "HS256"
#: What the shop's identity provider may sign with; never HS256 or none.
OIDC_ALGORITHMS = ("RS256", "ES256")
CUSTOMER_ID = re.compile(r"^[0-9a-f]{64}$")
TOKEN_CACHE = 10_000
JWKS_RELOAD_S = 10.0
_NO_KEY = "the token's signing key is not in the provider's JWKS"
_KEYS_UNREADABLE = (
    "the identity provider's signing keys cannot be read right now, so no token can be "
    "checked: try again in a little while"
)

Role = Literal["shopper", "service", "merchandiser", "admin"]


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a shopper (one customer) or an API key with its role."""

    role: Role
    customer_id: str | None = None
    key_name: str | None = None

    def may_act_for(self, customer_id: str) -> bool:
        """Personal data: the customer's own token, or a service key."""
        return self.role == "service" or (
            self.role == "shopper" and self.customer_id == customer_id
        )


def issue(customer_id: str, secret: str, ttl_s: int, now: float | None = None) -> str:
    """A demo session token (HS256) naming ``customer_id``."""
    issued = int(now if now is not None else time.time())
    claims = {"sub": customer_id, "iat": issued, "exp": issued + ttl_s}
    return jwt.encode(claims, secret, algorithm=DEMO_ALGORITHM)


class _Jwks:
    """The provider's signing keys, by ``kid``: from a file (re-read when a token names a key
    it does not hold, at most every `JWKS_RELOAD_S`) or an https URL (PyJWT's client)."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._client = jwt.PyJWKClient(source) if source.startswith("https://") else None
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._loaded = 0.0
        self._lock = threading.Lock()
        if self._client is None:
            self._load()
            return
        try:
            # Fetch now, at start-up, rather than on the event loop of the first request.
            self._client.get_signing_keys()
        except jwt.PyJWKClientError as exc:
            log.warning("the identity provider's JWKS at %s is not reachable yet: %s", source, exc)

    def _load(self) -> None:
        try:
            text = Path(self._source).read_text()
            keyset = jwt.PyJWKSet.from_json(text)
        except (OSError, jwt.PyJWKSetError) as exc:
            raise self._unreadable("read", exc) from None
        self._keys = {k.key_id: k for k in keyset.keys}
        self._loaded = time.monotonic()

    def _unreadable(self, verb: str, exc: Exception) -> AuthError:
        """The 401 for keys that could not be read; the source and the error are the
        operator's: logged with the request id, not sent."""
        log.error(
            "cannot %s the identity provider's JWKS %s: %s",
            verb,
            self._source,
            exc,
            extra={"request_id": REQUEST_ID.get()},
        )
        return AuthError(401, _KEYS_UNREADABLE)

    def key_for(self, token: str) -> jwt.PyJWK:
        if self._client is not None:
            try:
                return self._client.get_signing_key_from_jwt(token)
            except jwt.PyJWKClientConnectionError as exc:
                raise self._unreadable("fetch", exc) from None
            except jwt.PyJWKClientError:
                raise AuthError(401, _NO_KEY) from None
        kid = jwt.get_unverified_header(token).get("kid")
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._loaded > JWKS_RELOAD_S:
                self._load()
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
            if kid not in self._keys:
                raise AuthError(401, _NO_KEY)
            return self._keys[kid]


class Authenticator:
    """Credentials → `Principal`, for the sign-in mode the settings choose."""

    def __init__(self, settings: Settings, keys: KeyStore) -> None:
        self._auth: AuthSettings = settings.auth
        self._secret = settings.secret_key
        self._keys = keys
        self._jwks = _Jwks(self._auth.oidc_jwks) if self._auth.mode == "oidc" else None
        self._tokens: OrderedDict[str, tuple[str, float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def authenticate(self, authorization: str | None, api_key: str | None) -> Principal | None:
        """The caller, or None when no credential was sent; AuthError(401) for a bad one."""
        if api_key is not None:
            found = self._keys.lookup(api_key)
            if found is None:
                raise AuthError(401, "unknown or revoked API key")
            return Principal(found.role, key_name=found.name)
        if authorization is None:
            return None
        return Principal("shopper", customer_id=self.customer_of(authorization))

    def customer_of(self, authorization: str) -> str:
        """The customer a valid ``Bearer <token>`` names."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AuthError(401, "Authorization header must be 'Bearer <token>'")
        now = time.time()
        with self._lock:
            cached = self._tokens.get(token)
        if cached is not None:
            customer, not_before, expires = cached
            leeway = self._auth.leeway_s
            if not_before - leeway <= now < expires + leeway:
                return customer
        customer, not_before, expires = self._verify(token)
        with self._lock:
            self._tokens[token] = (customer, not_before, expires)
            while len(self._tokens) > TOKEN_CACHE:
                self._tokens.popitem(last=False)
        return customer

    def _verify(self, token: str) -> tuple[str, float, float]:
        try:
            if self._jwks is None:
                claims = jwt.decode(
                    token,
                    self._secret,
                    algorithms=[DEMO_ALGORITHM],
                    options={"require": ["exp", "sub"]},
                )
                claim = "sub"
            else:
                claims = self._verify_oidc(token)
                claim = self._auth.oidc_customer_claim
        except jwt.ExpiredSignatureError:
            raise AuthError(401, "token expired: sign in again") from None
        except jwt.ImmatureSignatureError:
            raise AuthError(401, "token not valid yet (nbf is in the future)") from None
        except jwt.InvalidAudienceError:
            raise AuthError(401, "token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise AuthError(401, "token is from another issuer") from None
        except jwt.PyJWTError:
            raise AuthError(401, "invalid token") from None
        customer = str(claims.get(claim, ""))
        if not CUSTOMER_ID.match(customer):
            raise AuthError(401, f"the token's {claim!r} claim is not a customer id (64 hex)")
        return customer, float(claims.get("nbf", 0)), float(claims["exp"])

    def _verify_oidc(self, token: str) -> dict[str, Any]:
        assert self._jwks is not None
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in OIDC_ALGORITHMS:
            raise jwt.InvalidAlgorithmError(f"alg {header.get('alg')!r} is not accepted")
        key = self._jwks.key_for(token)
        # The key decides the algorithm: an RSA key never checks an ES256 signature, or back.
        algorithms = [a for a in OIDC_ALGORITHMS if a == key.algorithm_name]
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=algorithms,
            audience=self._auth.oidc_audience,
            issuer=self._auth.oidc_issuer,
            leeway=self._auth.leeway_s,
            options={"require": ["exp", "iss", "aud", self._auth.oidc_customer_claim]},
        )
        return claims
