"""Pure ASGI middleware: request ids, one JSON access line, body cap, authentication, rate
limits, timeout, response cache and the audit of key-authenticated writes.

Written against raw ASGI (not `BaseHTTPMiddleware`) because it sits on every request: a cached
answer is served here, before routing and dependency injection run, so whoever asks for a
personal answer is authenticated and authorised here first, and a cached answer is keyed by who
asked: the routes' own checks (roles, owners) were passed by a caller just like this one. The
`Principal` found is left in the scope (`PRINCIPAL`) for the routes' dependencies.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, TypeVar

from api.asgi import (
    BEARER,
    CLOSE,
    MAX_BODY,
    NOSNIFF,
    Message,
    Receive,
    Send,
    read_capped,
    replay,
    send_problem,
)
from api.auth import Authenticator, Principal
from api.cache import ResponseCache
from api.errors import DB_DOWN, REQUEST_ID, RETRY_AFTER_S, AuthError
from api.ratelimit import RateLimiter, address_client, group_of
from api.visitor import VISITOR_HEADER, visitor_of
from core.audit import AuditLog
from core.db import DatabaseUnavailable

log = logging.getLogger("api.access")
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: GET routes whose answers depend only on the URL, the caller and the index version.
CACHEABLE = ("/articles", "/recommendations/", "/trending", "/search")
#: Cached answers that are one customer's personal data: served only to whom may read them.
PERSONAL = "/recommendations/"
PRINCIPAL = "lookbook.principal"
#: Where a route leaves the impression of the ranked list it answered (`api.attribution`).
IMPRESSION = "lookbook.impression"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")
RETRY = ((b"retry-after", str(RETRY_AFTER_S).encode()),)


@dataclass
class Access:
    """Who may call what: built in the app's lifespan, shared by every request."""

    auth: Authenticator
    limiter: RateLimiter
    audit: AuditLog


class AccessMiddleware:
    """Request id, body size cap, timeout, and one structured log line per request."""

    def __init__(
        self,
        app: ASGIApp,
        cache: Callable[[], tuple[ResponseCache, str] | None],
        access: Callable[[], Access | None],
        timeout_s: float = 30.0,
        live_mark: Callable[[str, str | None, str | None], str] | None = None,
        attribution: Callable[[], Any] | None = None,
    ) -> None:
        self.app = app
        self.attribution = attribution
        self.cache = cache
        self.live_mark = live_mark
        self.access = access
        self.timeout_s = timeout_s

    async def _state(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn`` (a read or write of the state: keys, limits, the cache's marks) in a
        worker thread. On PostgreSQL each is a round trip. On SQLite a statement alone costs
        ~15 µs, less than the hop, but the driver lets go of the interpreter around each
        statement and, while worker threads rank, takes up to the switch interval (5 ms) to
        get it back: a loop making four such calls a request stood still in them (a fifth
        of the py-spy samples of a soak's event loop), and every request of the process
        waited behind it."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        rid = headers.get("x-request-id") or uuid.uuid4().hex[:16]
        state: dict[str, Any] = {"status": 500, "cache": None}

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                nosniff = False
                for k, v in headers:  # ASGI header names are lower case
                    if k == b"x-cache":
                        state["cache"] = v.decode()
                    elif k == b"x-content-type-options":
                        nosniff = True
                if not nosniff:
                    headers.append(NOSNIFF)
                message["headers"] = headers
            await send(message)

        token = REQUEST_ID.set(rid)
        try:
            await self._handle(scope, receive, send_wrapped, headers, state)
        finally:
            REQUEST_ID.reset(token)
            log.info(
                "request",
                extra={
                    "request_id": rid,
                    "method": scope["method"],
                    "route": scope["path"],
                    "status": state["status"],
                    "latency_ms": round((time.perf_counter() - start) * 1000, 2),
                    "cache": state["cache"],
                },
            )

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        state: dict[str, Any],
    ) -> None:
        path, method = scope["path"], scope["method"]
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            detail = f"body: {length} bytes is over the {MAX_BODY} byte limit"
            await send_problem(send, 413, "payload-too-large", "Payload too large", detail, path)
            return
        if not length and method not in _READS:
            # A chunked body declares no length: read it here, up to the cap, then replay it.
            buffered = await read_capped(receive)
            if buffered is None:
                # Close the connection: the rest of the body is never read.
                detail = f"body: over the {MAX_BODY} byte limit"
                await send_problem(
                    send, 413, "payload-too-large", "Payload too large", detail, path, CLOSE
                )
                return
            receive = replay(buffered, receive)
        access = self.access()
        principal: Principal | None = None
        if access is not None:
            try:
                principal = await self._state(
                    access.auth.authenticate, headers.get("authorization"), headers.get("x-api-key")
                )
            except DatabaseUnavailable:
                # An API key cannot be checked without the database: refuse, never guess.
                await send_problem(
                    send,
                    503,
                    "database-unavailable",
                    "Database unavailable",
                    DB_DOWN,
                    path,
                    RETRY,
                )
                return
            except AuthError as exc:
                # Refused credentials count against the sign-in limit: no guessing at speed.
                if not await self._limited(access, scope, None, send, group="session"):
                    await send_problem(
                        send, 401, "unauthorized", "Unauthorized", exc.detail, path, BEARER
                    )
                return
            if await self._limited(access, scope, principal, send):
                return
        scope[PRINCIPAL] = principal
        try:
            await self._serve(scope, receive, send, headers, principal)
        finally:
            if access and principal and principal.key_name and method not in _READS:
                await asyncio.to_thread(
                    self._audit, access, principal, method, path, state["status"]
                )

    @staticmethod
    def _audit(access: Access, principal: Principal, method: str, path: str, status: int) -> None:
        assert principal.key_name is not None
        try:
            access.audit.append(principal.key_name, principal.role, method, path, status)
        except DatabaseUnavailable:
            # The write it records failed for the same reason (its answer said 503).
            log.error("audit entry lost, database unavailable: %s %s %s", method, path, status)

    async def _limited(
        self,
        access: Access,
        scope: Scope,
        principal: Principal | None,
        send: Send,
        group: str | None = None,
    ) -> bool:
        """Count the request against its group's limit; answer 429 (True) when over it."""
        query = scope.get("query_string", b"").decode("latin-1")
        group = group or group_of(scope["method"], scope["path"], query)
        if group is None:
            return False
        if principal is not None and principal.key_name:
            client = f"key:{principal.key_name}"
        elif principal is not None and principal.customer_id:
            # A signed-in shopper is counted as themselves: behind the storefront's server
            # every shopper arrives from the same address.
            client = f"customer:{principal.customer_id}"
        else:
            client = address_client(str((scope.get("client") or ("unknown",))[0]))
        service = principal is not None and principal.role == "service"
        try:
            retry = await self._state(access.limiter.hit, group, client, service=service)
        except DatabaseUnavailable:
            return False  # the counters are down: serve rather than refuse everyone
        if retry is None:
            return False
        limit = access.limiter.limit_of(group, service)
        detail = f"over the {group} limit of {limit} for this client: retry in {retry:.0f} s"
        extra = ((b"retry-after", str(int(retry)).encode()),)
        await send_problem(
            send, 429, "rate-limited", "Too many requests", detail, scope["path"], extra
        )
        return True

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        principal: Principal | None,
    ) -> None:
        path = scope["path"]
        cacheable = scope["method"] == "GET" and path.startswith(CACHEABLE)
        owner: str | None = None
        if cacheable and path.startswith(PERSONAL):
            # Someone who may not read it is answered by the route (401 or 403), never the cache.
            owner = path[len(PERSONAL) :].split("/")[0]
            cacheable = principal is not None and principal.may_act_for(owner)
        # Keyed by what the event log says (a feed, or a signed-in search: the customer's newest
        # event), so an answer older than the log is never served.
        customer = owner if owner is not None else (principal.customer_id if principal else None)
        mark, found = "", None
        if cacheable:
            # Not cached while the database is down: no answer can be checked against the log.
            with contextlib.suppress(DatabaseUnavailable):
                visitor = None if customer else visitor_of(headers.get(VISITOR_HEADER))
                mark, found = await self._state(self._mark_and_cache, path, customer, visitor)
        key = (*self._key(scope, principal), mark)
        if found is not None and await self._from_cache(found, key, send, scope, customer):
            return
        try:
            await asyncio.wait_for(self._call(scope, receive, send, found, key), self.timeout_s)
        except TimeoutError:
            await send_problem(
                send,
                504,
                "timeout",
                "Request timeout",
                f"the request took longer than {self.timeout_s:g} s",
                path,
            )

    def _mark_and_cache(
        self, path: str, customer: str | None, visitor: str | None
    ) -> tuple[str, tuple[ResponseCache, str] | None]:
        mark = self.live_mark(path, customer, visitor) if self.live_mark is not None else ""
        # One look at the cache and the index version per request, shared by read and write.
        return mark, self.cache()

    def _key(self, scope: Scope, principal: Principal | None) -> tuple[str, ...]:
        """The URL and who asks (role, customer, key): a cached answer is served only to a
        caller every check of the route treats alike (a parameter only staff may send, a feed
        only its owner may read), so a hit never skips a check the request would face
        uncached. Refusals are never cached."""
        query = scope.get("query_string", b"").decode()
        params = "&".join(sorted(query.split("&"))) if query else ""
        if principal is None:
            return (scope["path"], params, "", "", "")
        who = (principal.role, principal.customer_id or "", principal.key_name or "")
        return (scope["path"], params, *who)

    async def _from_cache(
        self,
        found: tuple[ResponseCache, str],
        key: tuple[str, ...],
        send: Send,
        scope: Scope,
        customer: str | None,
    ) -> bool:
        cache, version = found
        entry = cache.get(version, key)
        if entry is None:
            return False
        status, content_type, body, imp = entry
        if imp is not None:
            body = self._served_again(imp, body, scope, customer)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-cache", b"hit"),
                    (b"x-index-version", version.split("@")[0].encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return True

    async def _call(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        found: tuple[ResponseCache, str] | None,
        key: tuple[str, ...],
    ) -> None:
        """Run the app; store a 200 answer of a cacheable GET (``found`` is set) in the cache."""
        if found is None:
            await self.app(scope, receive, send)
            return
        cache, version = found
        captured: dict[str, Any] = {"body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = dict(message.get("headers", []))
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-cache", b"miss"),
                    (b"x-index-version", version.split("@")[0].encode()),
                ]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        await self.app(scope, receive, capture)
        if captured.get("status") == 200:
            content_type = captured["headers"].get(b"content-type", b"application/json")
            imp = scope.get(IMPRESSION)
            cache.put(version, key, (200, content_type, captured["body"], imp))

    def _served_again(self, imp: Any, body: bytes, scope: Scope, customer: str | None) -> bytes:
        """A cached ranked list served again is an impression of its own: a new ``rec_id``
        (the same length: the surface and version are the same) in the body, and recorded."""
        att = self.attribution() if self.attribution is not None else None
        if att is None:
            return body
        now = time.time()
        _surface, version, variant = imp.rec_id.split(".")[:3]
        rec_id = att.ids.issue(imp.surface, version, variant, now=now)
        visitor = None
        if customer is None:
            for k, v in scope["headers"]:
                if k.decode().lower() == VISITOR_HEADER:
                    visitor = visitor_of(v.decode())
        # The same list (its items, query, the rules that moved them, its variant) to whom
        # asks now.
        att.log.record(
            dataclasses.replace(
                imp, rec_id=rec_id, ts=now, customer_id=customer, visitor_id=visitor
            )
        )
        return body.replace(imp.rec_id.encode(), rec_id.encode())
