"""The event log's live trending counts and its retention, on logs written here with explicit
times, so every answer is known in advance."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from core.audit import AuditLog
from core.events import Event, EventLog
from core.sales import PurchaseCounts
from core.state import open_part

DAY = 86400.0
#: Noon (UTC) of a fixed day: a day before and after are other days, an hour either way is not.
T = datetime(2026, 3, 15, 12, tzinfo=UTC).timestamp()
A, B = "a" * 64, "b" * 64
X, Y = "0108775015", "0108775044"


def _event(kind: str, customer: str, article: str, ts: float) -> Event:
    price = 0.01 if kind == "purchase" else None
    return Event(uuid.uuid4().hex, kind, customer, article, ts, price)


@pytest.fixture
def log(state: Path | str) -> Iterator[EventLog]:
    log = EventLog(state)
    yield log
    log.close()


def test_a_customer_counts_once_per_article_and_day(log: EventLog) -> None:
    log.append([_event("purchase", A, X, T) for _ in range(500)])  # the flood
    log.append(
        [
            _event("purchase", A, X, T - 3600),  # the same day, earlier: no more
            _event("purchase", A, X, T - DAY),  # the day before: one more
            _event("purchase", B, X, T),  # another customer: one more
            _event("purchase", A, Y, T),  # another article
            _event("purchase", A, X, T - 10 * DAY),  # in 30 days only
            _event("purchase", A, X, T - 40 * DAY),  # in neither window
            _event("view", B, Y, T),  # not a purchase
        ]
    )
    counts = PurchaseCounts(log)
    assert counts.in_window(0, 7, now=T + 60) == {X: 3, Y: 1}
    assert counts.in_window(0, 30, now=T + 60) == {X: 4, Y: 1}
    # More of the same, read incrementally: still once that day.
    log.append([_event("purchase", A, X, T + 30) for _ in range(500)])
    assert counts.in_window(0, 7, now=T + 120) == {X: 3, Y: 1}


def test_a_purchase_the_build_counted_is_not_counted_again_that_day(log: EventLog) -> None:
    log.append([_event("purchase", A, X, T)])
    folded = log.high_water()  # the build's events_seq: it counted A's purchase of X today
    log.append([_event("purchase", A, X, T + 60) for _ in range(3)])
    counts = PurchaseCounts(log)
    assert counts.in_window(folded, 7, now=T + 120) == {}
    log.append([_event("purchase", A, X, T + DAY)])  # the next day
    assert counts.in_window(folded, 7, now=T + DAY + 60) == {X: 1}


def test_expired_purchases_leave_every_window_whichever_is_asked(log: EventLog) -> None:
    log.append([_event("purchase", A, X, T - 29 * DAY), _event("purchase", B, Y, T - DAY)])
    counts = PurchaseCounts(log)
    assert counts.in_window(0, 7, now=T) == {Y: 1}
    assert counts.held() == {"7d": 1, "30d": 2, "days": 2}
    # Two days on, only the 7-day window is asked for: the 30-day heap is pruned all the same.
    assert counts.in_window(0, 7, now=T + 2 * DAY) == {Y: 1}
    assert counts.held() == {"7d": 1, "30d": 1, "days": 1}
    assert counts.in_window(0, 7, now=T + 7 * DAY) == {}
    assert counts.held() == {"7d": 0, "30d": 1, "days": 1}
    assert counts.in_window(0, 7, now=T + 30 * DAY) == {}
    assert counts.held() == {"7d": 0, "30d": 0, "days": 0}


def test_pruning_deletes_old_views_and_add_to_carts_never_purchases(
    log: EventLog, state: Path | str
) -> None:
    rows = [
        (kind, age)
        for kind in ("view", "add_to_cart", "purchase")
        for age in (100.0, 90.5, 89.5, 0.0)  # days before T
    ]
    log.append([_event(kind, A, X, T - age * DAY) for kind, age in rows])
    assert log.prune_views(before_ts=T - 90 * DAY) == 4
    with open_part(state, "events").read() as conn:
        kept = [tuple(r) for r in conn.execute(text("SELECT type, ts FROM events ORDER BY seq"))]
    assert kept == [(kind, T - age * DAY) for kind, age in rows if kind == "purchase" or age < 90]
    assert log.prune_views(before_ts=T - 90 * DAY) == 0  # nothing left to prune


def test_pruning_the_audit_trail_keeps_the_newer_entries(state: Path | str) -> None:
    audit = AuditLog(state)
    now = datetime(2026, 3, 15, 12, tzinfo=UTC)
    with open_part(state, "main").write() as conn:
        for days, path in ((400, "/a"), (366, "/b"), (364, "/c"), (1, "/d")):
            at = (now - timedelta(days=days)).isoformat()
            conn.execute(
                text(
                    "INSERT INTO audit (at, key_name, role, method, path, status) "
                    "VALUES (:at, 'k', 'service', 'PUT', :p, 200)"
                ),
                {"at": at, "p": path},
            )
    assert audit.prune(before=now - timedelta(days=365)) == 2
    assert [e.path for e in audit.page()] == ["/d", "/c"]
    assert audit.prune(before=now - timedelta(days=365)) == 0
    audit.close()


def test_activity_is_the_purchases_after_a_seq_and_the_newest_views(log: EventLog) -> None:
    """One round trip answers both (a feed's read), on either backend."""
    log.append([_event("purchase", A, X, T + i) for i in range(3)])  # seqs 1-3
    log.append([_event(k, A, Y, T + 10 + i) for i, k in enumerate(["view", "add_to_cart"] * 3)])
    log.append([_event("purchase", B, X, T), _event("view", B, Y, T)])  # someone else's
    found = log.activity(A, after_seq=1, views=4)
    assert [(e.type, e.ts) for e in found.purchases] == [("purchase", T + 1), ("purchase", T + 2)]
    assert [e.seq for e in found.purchases] == sorted(e.seq for e in found.purchases)
    assert [e.ts for e in found.views] == [T + 15, T + 14, T + 13, T + 12]  # newest first
    assert {e.type for e in found.views} == {"view", "add_to_cart"}
    assert not log.activity("c" * 64, 0, 10)
