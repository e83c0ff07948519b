"""A ranked list's ``rec_id`` and impression (`core.attribution`), for the routes that answer
one; the access middleware records a cached answer served again as an impression of its own."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from api.middleware import IMPRESSION, PRINCIPAL
from api.visitor import VISITOR_HEADER, visitor_of
from core.attribution import Impression, ImpressionLog, RecIds
from core.experiments import Arm


@dataclass
class Attribution:
    ids: RecIds
    log: ImpressionLog


def served(
    request: Request,
    surface: str,
    version: str,
    article_ids: Sequence[str],
    *,
    customer_id: str | None = None,
    query: str | None = None,
    moved: Sequence[Sequence[Any]] | None = None,
    first: int = 1,
    arm: Arm | None = None,
) -> str | None:
    """Issue the list's ``rec_id`` and record its impression (None without attribution);
    ``moved``: per item, the merchandising rules that moved it (``first``: the first item's
    position in the list, a later page's offset + 1); ``arm``: the experiment's variant it was
    served in, named in the ``rec_id`` too."""
    att: Attribution | None = getattr(request.app.state, "attribution", None)
    if att is None:
        return None
    principal = request.scope.get(PRINCIPAL)
    if customer_id is None and principal is not None:
        customer_id = principal.customer_id
    now = time.time()
    rec_id = att.ids.issue(surface, version, arm.tag if arm else "-", now=now)
    imp = Impression(
        rec_id=rec_id,
        surface=surface,
        ts=now,
        article_ids=tuple(article_ids),
        customer_id=customer_id,
        visitor_id=None if customer_id else visitor_of(request.headers.get(VISITOR_HEADER)),
        query=" ".join(query.lower().split())[:200] if query else None,
        moved=tuple(
            (first + i, int(ref.id))
            for i, refs in enumerate(moved or ())
            for ref in refs
            if ref.id > 0  # a draft being previewed is no rule yet
        ),
        experiment=arm.experiment_id if arm else None,
        variant=arm.variant if arm else None,
    )
    att.log.record(imp)
    request.scope[IMPRESSION] = imp
    return rec_id
