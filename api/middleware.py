"""Pure ASGI middleware: request ids, one JSON access line, body cap, timeout, response cache.

Written against raw ASGI (not `BaseHTTPMiddleware`) because it sits on every request: a cached
answer is served here, before routing and dependency injection run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.cache import ResponseCache

log = logging.getLogger("api.access")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY = 6 * 1024 * 1024
REQUEST_TIMEOUT_S = 30.0
#: GET routes whose answers depend only on the URL, the token and the index version.
CACHEABLE = ("/articles", "/recommendations/", "/trending", "/search")


def _problem(
    status: int, kind: str, title: str, detail: str, path: str
) -> tuple[dict[str, Any], bytes]:
    body = {
        "type": f"https://lookbook.dev/problems/{kind}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": path,
    }
    return {"status": status}, json.dumps(body).encode()


class AccessMiddleware:
    """Request id, body size cap, timeout, and one structured log line per request."""

    def __init__(self, app: ASGIApp, cache: Callable[[], tuple[ResponseCache, str] | None]) -> None:
        self.app = app
        self.cache = cache

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
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                for k, v in message["headers"]:
                    if k.lower() == b"x-cache":
                        state["cache"] = v.decode()
            await send(message)

        try:
            await self._handle(scope, receive, send_wrapped, headers)
        finally:
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
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]
    ) -> None:
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            await _send_problem(
                send,
                413,
                "payload-too-large",
                "Payload too large",
                f"body: {length} bytes is over the {MAX_BODY} byte limit",
                scope["path"],
            )
            return
        cacheable = scope["method"] == "GET" and scope["path"].startswith(CACHEABLE)
        # One look at the cache and the index version per request, shared by read and write.
        found = self.cache() if cacheable else None
        key = self._key(scope, headers)
        if found is not None and await self._from_cache(found, key, send):
            return
        try:
            await asyncio.wait_for(self._call(scope, receive, send, found, key), REQUEST_TIMEOUT_S)
        except TimeoutError:
            await _send_problem(
                send,
                504,
                "timeout",
                "Request timeout",
                f"the request took longer than {REQUEST_TIMEOUT_S:.0f} s",
                scope["path"],
            )

    def _key(self, scope: Scope, headers: dict[str, str]) -> tuple[str, ...]:
        query = scope.get("query_string", b"").decode()
        params = "&".join(sorted(query.split("&"))) if query else ""
        return (scope["path"], params, headers.get("authorization", ""))

    async def _from_cache(
        self, found: tuple[ResponseCache, str], key: tuple[str, ...], send: Send
    ) -> bool:
        cache, version = found
        entry = cache.get(version, key)
        if entry is None:
            return False
        status, content_type, body = entry
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-cache", b"hit"),
                    (b"x-index-version", version.encode()),
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
                    (b"x-index-version", version.encode()),
                ]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        await self.app(scope, receive, capture)
        if captured.get("status") == 200:
            content_type = captured["headers"].get(b"content-type", b"application/json")
            cache.put(version, key, (200, content_type, captured["body"]))


async def _send_problem(
    send: Send, status: int, kind: str, title: str, detail: str, path: str
) -> None:
    _, body = _problem(status, kind, title, detail, path)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
