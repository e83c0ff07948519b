"""The FastAPI app: `uvicorn api.main:app`, or `create_app(settings)` in tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from threadpoolctl import threadpool_limits

from api import errors
from api.attribution import Attribution
from api.auth import Authenticator
from api.cache import ResponseCache
from api.experiment import arm_of, experiment_book, surface_of
from api.middleware import PERSONAL, Access, AccessMiddleware
from api.ratelimit import RateLimiter
from api.routes import (
    admin,
    articles,
    catalog,
    customers,
    events,
    experiments,
    health,
    insights,
    recommendations,
    rules,
    search,
)
from api.steer import rule_book
from core.attribution import ImpressionLog, RecIds
from core.audit import AuditLog
from core.changes import open_changes
from core.errors import LookbookError
from core.events import open_log
from core.experiments import ExperimentStore
from core.keys import KeyStore
from core.logging import configure
from core.preferences import PreferenceStore
from core.retention import prune_expired
from core.rollup import refresh
from core.rules import RuleStore
from core.sales import PurchaseCounts
from core.settings import Settings, get_settings
from core.state import SchemaMismatch
from core.store import open_store
from core.store.base import Store
from ranking.index import LiveIndex

log = logging.getLogger(__name__)


#: How often each process deletes what is past its retention (the first run is at start-up).
PRUNE_EVERY_S = 3600.0


async def _prune_periodically(app: FastAPI) -> None:
    """Retention (`core.retention`), off the event loop; a failure is logged and retried."""
    while True:
        try:
            await asyncio.to_thread(
                prune_expired,
                app.state.settings,
                app.state.events,
                app.state.access.audit,
                impressions=app.state.attribution.log,
            )
        except Exception:
            log.exception("retention: pruning failed; trying again in %.0f s", PRUNE_EVERY_S)
        await asyncio.sleep(PRUNE_EVERY_S)


async def _roll_up_periodically(app: FastAPI) -> None:
    """The insights' daily roll-up (`core.rollup`), every ``insights_refresh_s``; the
    processes take turns (a claim in the database), a failure is logged and retried."""
    every = app.state.settings.live.insights_refresh_s
    while True:
        await asyncio.sleep(every)
        try:
            # Not again if another process did it in this period (both would every minute).
            await asyncio.to_thread(refresh, app.state.attribution.log.db, newer_than=0.9 * every)
        except Exception:
            log.exception("insights: the roll-up failed; trying again in %.0f s", every)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    # One BLAS thread: the API answers many requests at once, and the exact scans' matrix
    # products are small (1 ms); a second thread per product doubled a feed's CPU for little
    # latency. (`python -m api serve` also gives each process one PyTorch thread.)
    threadpool_limits(limits=1, user_api="blas")
    try:
        settings.check_api()
    except ValueError as exc:
        log.error("refusing to start: %s", exc)
        raise
    # The state (`core.state`): the SQLite files beside LOOKBOOK_DB_PATH, upgraded here, or
    # the PostgreSQL database of LOOKBOOK_DATABASE_URL, whose schema must match the code's.
    try:
        app.state.keys = KeyStore(settings)
    except SchemaMismatch as exc:
        log.error("refusing to start: %s", exc)
        raise
    app.state.access = Access(
        auth=Authenticator(settings, app.state.keys),
        limiter=RateLimiter(settings, settings.rate_limit),
        audit=AuditLog(settings),
    )
    app.state.changes = open_changes(settings)
    store = app.state.store or open_store(settings)
    app.state.index = LiveIndex(settings, store, app.state.changes)
    app.state.prefs = PreferenceStore(settings)
    app.state.rules = RuleStore(settings)
    app.state.experiments = ExperimentStore(settings)
    app.state.attribution = Attribution(RecIds(settings.secret_key), ImpressionLog(settings))
    app.state.events = open_log(settings)
    app.state.sales = PurchaseCounts(app.state.events)
    app.state.cache = ResponseCache()
    try:
        # Load the current version and its text model now, not on the first request.
        await asyncio.to_thread(app.state.index.snapshot)
    except LookbookError as exc:
        # Serve anyway: /health answers, the rest is a 503 until the index can be reached.
        log.warning("index not available at start-up: %s", exc)
    pruning = asyncio.create_task(_prune_periodically(app))
    rolling = asyncio.create_task(_roll_up_periodically(app))
    try:
        yield
    finally:
        pruning.cancel()
        rolling.cancel()
        app.state.index.close()
        app.state.prefs.close()
        app.state.rules.close()
        app.state.experiments.close()
        app.state.attribution.log.close()
        app.state.events.close()
        app.state.changes.close()
        app.state.keys.close()
        app.state.access.limiter.close()
        app.state.access.audit.close()


def _cache_and_version(app: FastAPI) -> tuple[ResponseCache, str] | None:
    """The response cache and the version it must be keyed by (None: do not cache)."""
    index: LiveIndex | None = getattr(app.state, "index", None)
    if index is None:
        return None
    try:
        # On the event loop: a version check or catch-up that is due runs in a thread.
        snap = index.snapshot(background=True)
    except LookbookError:
        return None
    # Keyed by the catalog's changes applied too: no answer outlives a change to the catalog;
    # and by the rules' mark: none outlives a rule's change, start or end.
    book, trials = rule_book(app), experiment_book(app)
    version = f"{snap.version}@{snap.catalog_seq}{'+' + book.mark() if book else ''}"
    if trials is not None:
        # And by the experiments' mark: none outlives an experiment's change, start or end.
        version += "+" + trials.mark()
    cache: ResponseCache = app.state.cache
    if app.state.prefs.changed_elsewhere():
        # Another API process saved someone's preferences: the feeds cached here may be stale.
        cache.drop_where(lambda key: str(key[0]).startswith(PERSONAL))
    return cache, version


def _live_mark(app: FastAPI, path: str, customer: str | None, visitor: str | None) -> str:
    """What a cached answer must match besides the URL and the version: the experiment's
    variant the asker is in (an anonymous visitor's is not in the URL), and from the event
    log, for a feed or a signed-in search the customer's newest event, for trending the newest
    purchase. So no process serves an answer older than the log (one indexed SQLite read,
    ~10 µs) or of another variant."""
    arm = arm_of(app, surface_of(path), customer or visitor)
    variant = f"{arm.tag}|" if arm is not None else ""
    events = getattr(app.state, "events", None)
    if events is None:
        return variant
    if customer is not None and path.startswith((PERSONAL, "/search")):
        return variant + str(events.last_seq(customer))
    return variant + (str(events.last_purchase()) if path.startswith("/trending") else "")


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the app; objects that need the index are made in the lifespan. ``store``: the
    vector store to serve from instead of the one the settings name (tests: a server store
    on qdrant-client's in-memory mode)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Lookbook API",
        version="0.1.0",
        description="Search and recommendations for a fashion catalog (DESIGN §6).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    errors.install(app)
    errors.document_problems(app)
    app.add_middleware(
        AccessMiddleware,
        cache=lambda: _cache_and_version(app),
        live_mark=lambda path, owner, visitor: _live_mark(app, path, owner, visitor),
        attribution=lambda: getattr(app.state, "attribution", None),
        access=lambda: getattr(app.state, "access", None),
        timeout_s=settings.request_timeout_s,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "PUT", "POST", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-API-Key"],
        expose_headers=["X-Cache", "X-Request-ID", "X-Index-Version"],
    )
    for router in (
        health.router,
        articles.router,
        recommendations.router,
        search.router,
        customers.router,
        events.router,
        catalog.router,
        admin.router,
        rules.router,
        insights.router,
        experiments.router,
    ):
        app.include_router(router)
    if settings.auth.mode == "demo":
        app.include_router(customers.session_router)
    return app


def _app() -> FastAPI:
    configure(json_lines=True)
    return create_app()


app = _app()
