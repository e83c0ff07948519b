"""The FastAPI app: `uvicorn api.main:app`, or `create_app(settings)` in tests."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware

from api import errors
from api.cache import ResponseCache
from api.index import LiveIndex
from api.prefs import PreferenceStore
from api.routes import articles, customers, health, recommendations, search
from core.errors import IndexNotReady
from core.logging import configure
from core.settings import Settings, get_settings
from core.store import open_store

log = logging.getLogger("api.access")
MAX_BODY = 6 * 1024 * 1024
REQUEST_TIMEOUT_S = 30.0


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    app.state.index = LiveIndex(settings, open_store(settings))
    app.state.prefs = PreferenceStore(settings.db_path)
    app.state.cache = ResponseCache()
    try:
        # Load the current version and its text model now, not on the first request.
        await asyncio.to_thread(app.state.index.snapshot)
    except IndexNotReady:
        logging.getLogger(__name__).warning("no index version published yet; /ready is 503")
    try:
        yield
    finally:
        app.state.index.close()
        app.state.prefs.close()


async def _access(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Request id, body cap, timeout, and one JSON log line per request."""
    rid = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
    start = time.perf_counter()
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        response: Response = errors.problem(
            413,
            "payload-too-large",
            "Payload too large",
            f"body: {length} bytes is over the {MAX_BODY} byte limit",
            request,
        )
    else:
        try:
            response = await asyncio.wait_for(call_next(request), REQUEST_TIMEOUT_S)
        except TimeoutError:
            response = errors.problem(
                504,
                "timeout",
                "Request timeout",
                f"the request took longer than {REQUEST_TIMEOUT_S:.0f} s",
                request,
            )
    response.headers["X-Request-ID"] = rid
    log.info(
        "request",
        extra={
            "request_id": rid,
            "method": request.method,
            "route": request.url.path,
            "status": response.status_code,
            "latency_ms": round((time.perf_counter() - start) * 1000, 2),
            "cache": response.headers.get("x-cache"),
        },
    )
    return response


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; objects that need the index are made in the lifespan."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Lookbook API",
        version="0.1.0",
        description="Search and recommendations for a fashion catalog (DESIGN §6).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    errors.install(app)
    errors.document_problems(app)
    app.middleware("http")(_access)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "PUT", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["X-Cache", "X-Request-ID", "X-Index-Version"],
    )
    for router in (
        health.router,
        articles.router,
        recommendations.router,
        search.router,
        customers.router,
    ):
        app.include_router(router)
    return app


def _app() -> FastAPI:
    configure(json_lines=True)
    return create_app()


app = _app()
