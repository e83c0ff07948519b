"""Retention: what the event log and the audit trail keep, and for how long (the settings
``LOOKBOOK_LIVE__VIEWS_RETENTION_DAYS`` and ``LOOKBOOK_AUDIT_RETENTION_DAYS``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.attribution import ImpressionLog
from core.audit import AuditLog
from core.events import EventLog
from core.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pruned:
    views: int  # views and add-to-carts deleted
    audit: int  # audit entries deleted
    impressions: int = 0  # lists served (attribution) deleted


def prune_expired(
    settings: Settings,
    events: EventLog,
    audit: AuditLog,
    now: datetime | None = None,
    impressions: ImpressionLog | None = None,
) -> Pruned:
    """Delete the views, add-to-carts, audit entries and impressions older than their retention
    (a retention of 0 keeps them). Safe to run from several processes at once."""
    now = now or datetime.now(UTC)
    views_days, audit_days = settings.live.views_retention_days, settings.audit_retention_days
    views = events.prune_views((now - timedelta(days=views_days)).timestamp()) if views_days else 0
    entries = audit.prune(now - timedelta(days=audit_days)) if audit_days else 0
    imp_days = settings.live.impressions_retention_days
    lists = 0
    if impressions is not None and imp_days:
        lists = impressions.prune((now - timedelta(days=imp_days)).timestamp())
    if views or entries or lists:
        log.info(
            "retention: deleted %d views and add-to-carts, %d audit entries, %d impressions",
            views,
            entries,
            lists,
        )
    return Pruned(views, entries, lists)
