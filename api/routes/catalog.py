"""The live catalog's writes: merchandisers and services create, change and remove articles
(issue 16). Each change is validated against the served catalog, appended to the durable
change log, applied by this process before it answers, and by every other API process within
a second (`ranking.index.LiveIndex`); key-authenticated writes are audited by the middleware."""

from __future__ import annotations

import asyncio
import io
import secrets
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, File, Request, UploadFile

from api.auth import Principal
from api.deps import require_role
from api.photos import open_photo, read_upload
from api.routes.articles import ArticleId
from api.schemas import (
    ArticleFields,
    ArticlePatch,
    ArticlePatchBatch,
    CatalogChange,
    CatalogChanges,
)
from core.catalog import point_id
from core.changes import Op, check_change
from core.errors import InvalidInput, NotFound
from ranking.catalog import upload_relpath, uploads_dir
from ranking.index import LiveIndex, Snapshot

router = APIRouter(prefix="/admin/articles", tags=["catalog"])
StaffDep = Annotated[Principal, Depends(require_role("merchandiser", "service"))]


def _exists(snap: Snapshot, article_id: str) -> bool:
    rows = snap.columns.rows(np.array([point_id(article_id)], dtype=np.int64))
    return bool(rows[0] >= 0)


def _log(
    request: Request,
    principal: Principal,
    changes: Sequence[tuple[str, Op, Mapping[str, Any]]],
    prefix: str = "",
) -> list[int]:
    """Validate ``changes`` against the served catalog (all or nothing), log them, and apply
    them here before answering; their sequence numbers. A single patch or delete of an unknown
    article is a 404; in a batch each bad field is named ``items.<i>.<field>``."""
    index: LiveIndex = request.app.state.index
    assert index.changes is not None
    snap = index.catch_up()
    rows: list[tuple[str, Op, Mapping[str, Any]]] = []
    problems: list[tuple[str, str]] = []
    for i, (article_id, op, body) in enumerate(changes):
        exists = _exists(snap, article_id)
        if not prefix and op != "put" and not exists:
            raise NotFound("article", article_id)
        fields, found = check_change(op, article_id, body, snap.taxonomy, exists)
        where = f"{prefix}{i}." if prefix else ""
        problems += [(f"{where}{field}", problem) for field, problem in found]
        rows.append((article_id, op, fields))
    if problems:
        raise InvalidInput(problems[0][0], problems[0][1], tuple(problems[1:]))
    seqs = index.changes.append(rows, actor=principal.key_name or principal.role)
    index.catch_up()
    return seqs


@router.put("/{article_id}", response_model=CatalogChange)
def put_article(
    article_id: ArticleId, body: ArticleFields, principal: StaffDep, request: Request
) -> CatalogChange:
    """Create an article, or replace one (its sales figures and cf are kept). Codes must be
    the catalog's; names follow from them. A new article is searchable and browsable at once,
    has no cf until the next build, and leads "newest"."""
    (seq,) = _log(request, principal, [(article_id, "put", body.model_dump(exclude_unset=True))])
    return CatalogChange(seq=seq, article_id=article_id, op="put")


@router.patch("/{article_id}", response_model=CatalogChange)
def patch_article(
    article_id: ArticleId, body: ArticlePatch, principal: StaffDep, request: Request
) -> CatalogChange:
    """Change any of an article's fields: price (shop currency), `in_stock`, `hidden`, or an
    articles.csv column. Out of stock or hidden: gone from every list, its page still opens."""
    fields = body.model_dump(exclude_unset=True)
    (seq,) = _log(request, principal, [(article_id, "patch", fields)])
    return CatalogChange(seq=seq, article_id=article_id, op="patch")


@router.patch("", response_model=CatalogChanges)
def patch_articles(
    body: ArticlePatchBatch, principal: StaffDep, request: Request
) -> CatalogChanges:
    """Up to 500 patches in one request (a price or stock feed), all or nothing: a bad item is
    a 422 naming ``items.<i>.<field>``, and nothing is logged."""
    changes: list[tuple[str, Op, Mapping[str, Any]]] = [
        (item.article_id, "patch", item.model_dump(exclude_unset=True, exclude={"article_id"}))
        for item in body.items
    ]
    return CatalogChanges(seqs=_log(request, principal, changes, prefix="items."))


@router.delete("/{article_id}", response_model=CatalogChange)
def delete_article(article_id: ArticleId, principal: StaffDep, request: Request) -> CatalogChange:
    """Remove an article: a 404 everywhere from then on (its sales stay in the history)."""
    (seq,) = _log(request, principal, [(article_id, "delete", {})])
    return CatalogChange(seq=seq, article_id=article_id, op="delete")


def _jpeg(data: bytes) -> bytes:
    """The upload as a JPEG (a PNG converted), or InvalidInput naming ``file``."""
    img = open_photo(data)
    if img.format == "JPEG":
        return data
    out = io.BytesIO()
    img.convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


@router.put("/{article_id}/image", response_model=CatalogChange)
async def put_image(
    article_id: ArticleId,
    principal: StaffDep,
    request: Request,
    file: Annotated[UploadFile, File(description="a JPEG or PNG photo, at most 5 MB")],
) -> CatalogChange:
    """The article's photo: kept beside the database, encoded with the served version's image
    model, so similar items and image search find the article by it."""
    data = await read_upload(file)
    index: LiveIndex = request.app.state.index
    uploads = uploads_dir(request.app.state.settings.db_path)

    def store() -> int:
        # Decoding, converting, writing, logging and embedding a photo take up to seconds:
        # in a worker thread, so the event loop answers every other request meanwhile.
        jpeg = _jpeg(data)
        snap = index.catch_up()
        if not _exists(snap, article_id):
            raise NotFound("article", article_id)
        rel = upload_relpath(article_id, secrets.token_hex(6))
        path = uploads / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(jpeg)
        tmp.replace(path)  # whole before the change that names it is logged
        assert index.changes is not None
        (seq,) = index.changes.append(
            [(article_id, "patch", {"image": str(rel)})],
            principal.key_name or principal.role,
            uploads={str(rel): jpeg},  # every host writes it from the database when it lacks it
        )
        index.catch_up()
        return seq

    seq = await asyncio.to_thread(store)
    return CatalogChange(seq=seq, article_id=article_id, op="patch")
