"""Typed dependencies: objects built once in the lifespan, reached through `request.app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from api.auth import subject
from api.cache import ResponseCache
from api.index import LiveIndex, Snapshot
from api.prefs import PreferenceStore
from api.recommend import Page
from core.settings import Settings

MAX_OFFSET = 1000


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_snapshot(request: Request) -> Snapshot:
    live: LiveIndex = request.app.state.index
    return live.snapshot()


def get_cache(request: Request) -> ResponseCache:
    cache: ResponseCache = request.app.state.cache
    return cache


def get_prefs(request: Request) -> PreferenceStore:
    prefs: PreferenceStore = request.app.state.prefs
    return prefs


def get_page(
    limit: Annotated[int, Query(ge=1, le=100)] = 12,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    collapse: Annotated[bool, Query(description="one article per product_code")] = True,
) -> Page:
    return Page(limit=limit, offset=offset, collapse=collapse)


def optional_customer(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> str | None:
    """The signed-in customer when a token is sent (and valid), else None."""
    if authorization is None:
        return None
    return subject(authorization, get_settings(request).secret_key)


SettingsDep = Annotated[Settings, Depends(get_settings)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
CacheDep = Annotated[ResponseCache, Depends(get_cache)]
PrefsDep = Annotated[PreferenceStore, Depends(get_prefs)]
PageDep = Annotated[Page, Depends(get_page)]
OptionalCustomerDep = Annotated[str | None, Depends(optional_customer)]
