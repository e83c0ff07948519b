"""Store records → API items: shop prices, image URLs, parts and reasons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api.schemas import Article, ArticleList, ListItem, Parts, RuleRef, Weights
from core.experiments import Arm
from core.settings import ShopSettings
from core.store.base import Record
from ranking.pool import Ranked
from ranking.rules import Ref, reason_of

_ARTICLE_FIELDS = set(Article.model_fields)


def shop_price(payload: dict[str, Any], shop: ShopSettings) -> float:
    return round(float(payload["price"]) * shop.price_multiplier, 2)


def article(record: Record, shop: ShopSettings) -> Article:
    p = record.payload
    data = {k: p[k] for k in _ARTICLE_FIELDS if k in p}
    data.update(
        price=shop_price(p, shop),
        currency=shop.currency,
        image_url=f"/images/{p['article_id']}.jpg",
        has_image=bool(p.get("has_image")),
    )
    return Article.model_validate(data)


def item(
    record: Record,
    shop: ShopSettings,
    *,
    score: float | None = None,
    parts: dict[str, float | None] | None = None,
    boost: float = 0.0,
    reason: str = "",
    rules: Sequence[Ref] = (),
) -> ListItem:
    """``rules``: the merchandising rules that moved it; its reason says so first."""
    base = article(record, shop).model_dump()
    if rules:
        reason = f"{reason_of(rules)}; {reason}" if reason else reason_of(rules)
    return ListItem(
        **base,
        score=None if score is None else round(score, 6),
        parts=Parts(**(parts or {})),
        boost=round(boost, 6),
        reason=reason,
        rules=[RuleRef(id=r.id, name=r.name, action=r.action) for r in rules],  # type: ignore[arg-type]
    )


def ranked_items(ranked: Ranked, shop: ShopSettings, reasons: list[str]) -> list[ListItem]:
    moved = ranked.rules or [[] for _ in ranked.records]
    return [
        item(r, shop, score=s, parts=p, boost=b[0], reason=reason, rules=m)
        for r, s, p, b, reason, m in zip(
            ranked.records,
            ranked.scores,
            ranked.parts,
            ranked.boosts,
            reasons,
            moved,
            strict=True,
        )
    ]


def ranked_list(
    ranked: Ranked,
    shop: ShopSettings,
    reasons: list[str],
    *,
    limit: int,
    offset: int,
    version: str,
    rec_id: str | None = None,
    arm: Arm | None = None,
) -> ArticleList:
    """The response of a ranked endpoint: items, total, the effective weights, the version,
    the list's ``rec_id`` and the experiment's variant it was served in."""
    return ArticleList(
        **trial(arm),
        items=ranked_items(ranked, shop, reasons),
        total=ranked.total,
        limit=limit,
        offset=offset,
        weights=Weights(**ranked.weights) if ranked.weights else None,
        ranker="learned" if ranked.ranker == "learned" else None,
        version=version,
        rec_id=rec_id,
    )


def trial(arm: Arm | None) -> dict[str, Any]:
    """A list response's ``experiment`` and ``variant`` (none outside an experiment)."""
    return {"experiment": arm.experiment_id, "variant": arm.variant} if arm is not None else {}


def article_ids(records: Sequence[Record]) -> list[str]:
    return [str(r.payload["article_id"]) for r in records]
