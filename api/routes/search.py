"""Semantic search for merchandisers: by text and by uploaded photo."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, File, Query, Request, UploadFile

from api.attribution import served
from api.deps import OptionalCustomerDep, ShopperActivityDep, SnapshotDep
from api.photos import open_photo, read_upload
from api.present import article_ids, ranked_list
from api.schemas import ArticleList
from api.steer import Steer, steering
from core.errors import InvalidInput
from ranking.pool import Ranked
from ranking.search import search

router = APIRouter(prefix="/search", tags=["search"])
Steered = Annotated[Steer, Depends(steering("search"))]
#: Photos are decoded at no more than this size: the image encoders read 64-224 px.
DECODE_SIZE = (512, 512)


def _result(ranked: Ranked, steer: Steer, version: str, rec_id: str | None) -> ArticleList:
    reasons = [_why(p) for p in ranked.parts]
    page = steer.page
    return ranked_list(
        ranked,
        steer.settings.shop,
        reasons,
        limit=page.limit,
        offset=page.offset,
        version=version,
        rec_id=rec_id,
        arm=steer.arm,
    )


def _why(parts: dict[str, float | None]) -> str:
    shown = [f"{k} {v:.2f}" for k, v in parts.items() if v is not None]
    return ", ".join(shown)


@router.get("", response_model=ArticleList)
def search_text(
    request: Request,
    snap: SnapshotDep,
    steer: Steered,
    customer: OptionalCustomerDep,
    activity: ShopperActivityDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="what to look for")],
) -> ArticleList:
    """Search by text: query vs item text, CLIP text→image where available, cf if signed in."""
    if not q.strip():
        raise InvalidInput("q", "must contain a non-space character")
    text = snap.embed_text(q)
    enc = snap.image_encoder
    clip = enc.encode_text([q])[0] if enc.supports_text else None
    page = steer.page
    ranked = search(
        snap,
        steer.settings,
        steer.filters,
        page,
        text=text,
        clip_text=clip,
        customer_id=customer,
        activity=activity,
    )
    rec_id = served(
        request,
        "search",
        snap.version,
        article_ids(ranked.records),
        query=q,
        moved=ranked.rules,
        first=page.offset + 1,
        arm=steer.arm,
    )
    return _result(ranked, steer, snap.version, rec_id)


@router.post("/image", response_model=ArticleList)
async def search_image(
    request: Request,
    snap: SnapshotDep,
    steer: Steered,
    customer: OptionalCustomerDep,
    activity: ShopperActivityDep,
    file: Annotated[UploadFile, File(description="a JPEG or PNG photo, at most 5 MB")],
) -> ArticleList:
    """Search by an uploaded photo, embedded with the index's own image encoder."""
    img = open_photo(await read_upload(file), DECODE_SIZE).convert("RGB")
    vec = np.asarray(snap.image_encoder.encode_images([img])[0], dtype=np.float32)
    page = steer.page
    ranked = search(
        snap,
        steer.settings,
        steer.filters,
        page,
        image=vec,
        customer_id=customer,
        activity=activity,
    )
    rec_id = served(
        request,
        "photo",
        snap.version,
        article_ids(ranked.records),
        moved=ranked.rules,
        first=page.offset + 1,
        arm=steer.arm,
    )
    return _result(ranked, steer, snap.version, rec_id)
