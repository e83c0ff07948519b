"""Raw ASGI helpers of the middleware: problem answers sent without the app, and request bodies
read up to a cap (a chunked body declares no length, so only reading it tells)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.errors import BASE

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = tuple[tuple[bytes, bytes], ...]

MAX_BODY = 6 * 1024 * 1024
BEARER: Headers = ((b"www-authenticate", b"Bearer"),)
CLOSE: Headers = ((b"connection", b"close"),)
NOSNIFF = (b"x-content-type-options", b"nosniff")


async def send_problem(
    send: Send,
    status: int,
    kind: str,
    title: str,
    detail: str,
    path: str,
    extra: Headers = (),
) -> None:
    """An application/problem+json answer (RFC 9457), as `api.errors.problem` writes them."""
    body = json.dumps(
        {
            "type": BASE + kind,
            "title": title,
            "status": status,
            "detail": detail,
            "instance": path,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                NOSNIFF,
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def read_capped(receive: Receive) -> list[Message] | None:
    """Every body message of the request, or None as soon as they pass `MAX_BODY` bytes."""
    messages: list[Message] = []
    total = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        total += len(message.get("body", b""))
        if total > MAX_BODY:
            return None
        if not message.get("more_body", False):
            return messages


def replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that hands out ``messages`` first, then the connection's own."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
