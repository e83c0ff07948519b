"""Catalog changes set aside (issue 21): a change a process cannot apply (its photo is gone or
unreadable) must not stop the catalog. Its article keeps the state it was served in, the
article's changes are held together (a later change of it is held with them, so it is never
half-applied), every other change applies, and the held ones are tried again: at once when a
new change of the article comes (a new upload fixes a lost one), else after a wait that doubles
with each failure (a file put back is picked up).

Each process applies the log itself, so each holds its own list (the same one for processes
that read the same files); `/ready` counts it and `GET /admin/catalog/failed` lists it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.changes import Change

log = logging.getLogger(__name__)

#: The wait before a set-aside change is tried again the first time; it doubles each time.
RETRY_FIRST_S = 1.0
#: The longest wait between two tries.
RETRY_MAX_S = 60.0


@dataclass(frozen=True)
class Held:
    """One article's changes that could not be applied, and why."""

    article_id: str
    changes: tuple[Change, ...]
    reason: str
    #: How many times they were tried.
    attempts: int
    #: When they first failed (seconds since the epoch).
    since: float
    #: When they are tried again (monotonic clock), unless a new change of the article comes.
    retry_at: float


def set_aside(
    run: Iterable[Change],
    failed: Mapping[str, str],
    retried: Mapping[str, Held],
    now: float,
) -> dict[str, Held]:
    """The held entry of each article in ``failed`` (article id → why) with its changes of
    ``run``; ``retried``: the entries they had (a failure again waits twice as long)."""
    out: dict[str, Held] = {}
    for article_id, reason in failed.items():
        changes = tuple(sorted((c for c in run if c.article_id == article_id), key=lambda c: c.seq))
        before = retried.get(article_id)
        attempts = before.attempts + 1 if before else 1
        wait = min(RETRY_FIRST_S * 2 ** (attempts - 1), RETRY_MAX_S)
        since = before.since if before else time.time()
        out[article_id] = Held(article_id, changes, reason, attempts, since, now + wait)
        log.warning(
            "catalog: changes %s of %s set aside (try %d, next in %.0f s): %s",
            [c.seq for c in changes],
            article_id,
            attempts,
            wait,
            reason,
        )
    return out


def retry_due(held: Mapping[str, Held], now: float) -> bool:
    """Whether a held change is due to be tried again."""
    return any(h.retry_at <= now for h in held.values())
