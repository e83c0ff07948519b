"""Browse the catalog, read one article, and its similar items."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from api.attribution import served
from api.deps import SettingsDep, SnapshotDep
from api.present import article, article_ids, item, ranked_list, trial
from api.schemas import ArticleDetail, ArticleList, BrowseResult, FacetValue
from api.steer import Steer, steering
from core.catalog import point_id
from core.errors import NotFound
from core.store.base import Filter, Match
from ranking import browse as browsing
from ranking.similar import similar

router = APIRouter(prefix="/articles", tags=["articles"])
ArticleId = Annotated[str, Path(pattern=r"^\d{10}$", description="10-digit article id")]
QueryText = Annotated[str | None, Query(min_length=1, max_length=500)]


@router.get("", response_model=BrowseResult)
def list_articles(
    request: Request,
    snap: SnapshotDep,
    steer: Annotated[Steer, Depends(steering("browse"))],
    q: QueryText = None,
    sort: browsing.Sort = "relevance",
    limit: Annotated[int, Query(ge=1, le=100)] = 24,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> BrowseResult:
    """Browse with filters, sort, pagination and facet counts under the other filters."""
    settings = steer.settings
    q_vec = snap.embed_text(q).tolist() if q else None
    page = browsing.browse(
        snap,
        settings,
        steer.filters,
        q_vec=q_vec,
        sort=sort,
        limit=limit,
        offset=offset,
        arrange=steer.page.arrange,
    )
    moved = page.rules or [[] for _ in page.records]
    return BrowseResult(
        **trial(steer.arm),
        items=[
            item(r, settings.shop, score=s, rules=m)
            for r, s, m in zip(page.records, page.scores, moved, strict=True)
        ],
        total=page.total,
        limit=limit,
        offset=offset,
        version=snap.version,
        rec_id=served(
            request,
            "browse",
            snap.version,
            article_ids(page.records),
            query=q,
            moved=page.rules,
            first=offset + 1,
            arm=steer.arm,
        ),
        facets={
            name: [
                FacetValue(value=v, count=c)
                for v, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
            for name, counts in page.facets.items()
        },
        price_range=page.price_range,
    )


@router.get("/{article_id}", response_model=ArticleDetail)
def get_article(
    article_id: ArticleId,
    snap: SnapshotDep,
    settings: SettingsDep,
) -> ArticleDetail:
    """One article with all its attributes, image URL and its other colourways."""
    found = snap.reader.retrieve("articles", [point_id(article_id)])
    if not found:
        raise NotFound("article", article_id)
    rec = found[0]
    flt = Filter(
        must=(Match("product_code", (rec.payload["product_code"],)),), exclude_ids=(rec.id,)
    )
    variants = snap.reader.scroll("articles", flt, limit=50)
    return ArticleDetail(
        **article(rec, settings.shop).model_dump(),
        variants=[article(v, settings.shop) for v in variants],
    )


@router.get("/{article_id}/similar", response_model=ArticleList)
def get_similar(
    request: Request,
    article_id: ArticleId,
    snap: SnapshotDep,
    steer: Annotated[Steer, Depends(steering("similar"))],
    other_groups: Annotated[
        bool, Query(description="only other product groups (complete the look)")
    ] = False,
) -> ArticleList:
    """Items similar to an article by cf, text and image, with the score parts."""
    page, settings = steer.page, steer.settings
    ranked = similar(snap, settings, article_id, steer.filters, page, other_groups=other_groups)
    reasons = [_dominant(p) for p in ranked.parts]
    rec_id = served(
        request,
        "similar",
        snap.version,
        article_ids(ranked.records),
        moved=ranked.rules,
        first=page.offset + 1,
        arm=steer.arm,
    )
    return ranked_list(
        ranked,
        settings.shop,
        reasons,
        limit=page.limit,
        offset=page.offset,
        version=snap.version,
        rec_id=rec_id,
        arm=steer.arm,
    )


def _dominant(parts: dict[str, float | None]) -> str:
    labels = {
        "cf": "Bought by the same shoppers",
        "text": "Similar description",
        "image": "Similar look",
    }
    present = {k: v for k, v in parts.items() if v is not None}
    if not present:
        return ""
    return labels[max(present, key=lambda k: present[k])]
