"""Demo sign-in: signed, expiring bearer tokens (JWT, HS256) naming one customer."""

from __future__ import annotations

import time

import jwt

from api.errors import AuthError

ALGORITHM = "HS256"


def issue(customer_id: str, secret: str, ttl_s: int, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"sub": customer_id, "iat": issued, "exp": issued + ttl_s}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def subject(authorization: str | None, secret: str) -> str:
    """The customer id a valid `Authorization: Bearer <token>` names; AuthError(401) otherwise."""
    if not authorization:
        raise AuthError(401, "missing bearer token: sign in with POST /session")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError(401, "Authorization header must be 'Bearer <token>'")
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise AuthError(401, "token expired: sign in again") from None
    except jwt.PyJWTError:
        raise AuthError(401, "invalid token") from None
    return str(claims["sub"])
