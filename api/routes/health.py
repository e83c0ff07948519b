"""Liveness, readiness, and article images."""

from __future__ import annotations

import os
import time
from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, Response

from api.deps import SettingsDep, SnapshotDep
from api.placeholder import placeholder_jpeg
from api.schemas import DatabaseHealth, Health, Ready
from core.catalog import point_id
from core.db import Database, Part
from core.state import health
from ranking.catalog import image_of, uploads_dir

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def get_health() -> Health:
    """Liveness: the process answers (does not touch the index)."""
    return Health()


@router.get("/ready", response_model=Ready)
def get_ready(request: Request, snap: SnapshotDep, settings: SettingsDep) -> Ready:
    """Readiness: an index version is loaded; its version and counts."""
    return Ready(
        version=snap.version,
        articles=int(snap.manifest["articles"]),
        customers=int(snap.manifest["customers"]),
        engine="qdrant-server" if settings.qdrant_url else "qdrant-edge",
        process=os.getpid(),
        catalog_seq=snap.catalog_seq,
        articles_served=len(snap.columns),
        catalog_failed=sum(len(h.changes) for h in snap.held.values()),
        database=_database(request),
    )


#: How long a process reuses its look at the database (a schema check is a few queries, and
#: probes ask /ready many times a second).
HEALTH_EVERY_S = 1.0


def _database(request: Request) -> DatabaseHealth:
    app = request.app.state
    seen = getattr(app, "db_health", None)
    if seen is None or time.monotonic() - seen[0] >= HEALTH_EVERY_S:
        dbs: dict[Part, Database] = {
            "main": app.keys.db,
            "events": app.events.db,
            "limits": app.access.limiter.db,
        }
        seen = app.db_health = (time.monotonic(), health(dbs))
    found = seen[1]
    return DatabaseHealth(
        backend=found.backend,  # type: ignore[arg-type]
        reachable=found.reachable,
        schema_=found.schema,  # type: ignore[arg-type]
        revisions=found.revisions,
    )


@router.get(
    "/images/{article_id}.jpg",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_image(
    article_id: Annotated[str, Path(pattern=r"^\d{10}$")],
    snap: SnapshotDep,
    settings: SettingsDep,
) -> Response:
    """The article's image (an uploaded photo, else the data's), or a neutral placeholder when
    it has none."""
    found = snap.reader.retrieve("articles", [point_id(article_id)])
    path = (
        image_of(found[0].payload, FsPath(snap.manifest["data_dir"]), uploads_dir(settings.db_path))
        if found
        else None
    )
    if path is not None:
        # An upload has a name of its own: a new photo is a new URL's worth of caching.
        age = 300 if found[0].payload.get("image_upload") else 86400
        return FileResponse(
            path, media_type="image/jpeg", headers={"Cache-Control": f"public, max-age={age}"}
        )
    return Response(
        placeholder_jpeg(),
        media_type="image/jpeg",
        headers={"Cache-Control": "public, max-age=3600"},
    )
