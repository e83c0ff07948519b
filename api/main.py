"""The FastAPI app: `uvicorn api.main:app`, or `create_app(settings)` in tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import errors
from api.cache import ResponseCache
from api.index import LiveIndex
from api.middleware import AccessMiddleware
from api.prefs import PreferenceStore
from api.routes import articles, customers, health, recommendations, search
from core.errors import LookbookError
from core.logging import configure
from core.settings import Settings, get_settings
from core.store import open_store


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    app.state.index = LiveIndex(settings, open_store(settings))
    app.state.prefs = PreferenceStore(settings.db_path)
    app.state.cache = ResponseCache()
    try:
        # Load the current version and its text model now, not on the first request.
        await asyncio.to_thread(app.state.index.snapshot)
    except LookbookError as exc:
        # Serve anyway: /health answers, the rest is a 503 until the index can be reached.
        logging.getLogger(__name__).warning("index not available at start-up: %s", exc)
    try:
        yield
    finally:
        app.state.index.close()
        app.state.prefs.close()


def _cache_and_version(app: FastAPI) -> tuple[ResponseCache, str] | None:
    """The response cache and the version it must be keyed by (None: do not cache)."""
    index: LiveIndex | None = getattr(app.state, "index", None)
    if index is None:
        return None
    try:
        return app.state.cache, index.snapshot().version
    except LookbookError:
        return None


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
    app.add_middleware(AccessMiddleware, cache=lambda: _cache_and_version(app))
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
