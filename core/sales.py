"""Trending's live counts: purchases logged after a version's build, per article, in each of
trending's windows (DESIGN §9: they count at once, not at the next build).

What is counted is buyer-days, as the build counts them (`indexer.build.stats`): a customer
counts at most once per article per day (UTC), however many purchases of it they log that day,
so no single customer, and no service key gone wrong, can push an article up trending.
"""

from __future__ import annotations

import heapq
import logging
import threading
from collections import Counter
from datetime import UTC, datetime

from core.db import DatabaseUnavailable
from core.events import EventLog

#: Trending's windows, in days.
WINDOWS = (7, 30)
log = logging.getLogger(__name__)
DAY_S = 86400.0


class PurchaseCounts:
    """Per article, the buyer-days logged after a version's build in each of `WINDOWS`.

    Each process reads only what was logged since it last looked (one indexed query when
    nothing is new). Per window, the counted purchases wait in a heap by time and a counter
    holds them per article; every read drops from all windows what has fallen out of them, so
    what is held stays bounded by the purchases of the last 30 days, whichever window is asked.
    """

    def __init__(self, log: EventLog) -> None:
        self._log = log
        self._lock = threading.Lock()
        self._after: int | None = None
        self._seen = 0
        self._heaps: dict[int, list[tuple[float, str]]] = {}
        self._counts: dict[int, Counter[str]] = {}
        #: Per day (since 1970): the (customer, article) pairs counted that day.
        self._days: dict[int, set[tuple[str, str]]] = {}

    def in_window(
        self, after_seq: int, window_days: int, now: float | None = None
    ) -> dict[str, int]:
        """Per article: its buyer-days logged after ``after_seq`` with a ``ts`` in the last
        ``window_days`` days (one of `WINDOWS`) before ``now`` (seconds since 1970, UTC;
        default: the clock)."""
        if window_days not in WINDOWS:
            raise ValueError(f"window_days must be one of {WINDOWS}, got {window_days}")
        now = datetime.now(UTC).timestamp() if now is None else now
        with self._lock:
            if self._after != after_seq:  # another version: count from its build on
                self._after, self._seen = after_seq, after_seq
                self._heaps = {w: [] for w in WINDOWS}
                self._counts = {w: Counter() for w in WINDOWS}
                self._days = {}
            try:
                self._read(now)
            except DatabaseUnavailable:
                # Serve what was read before: trending answers while the database is down.
                log.warning("trending: the event log is unavailable, serving the counts held")
            self._prune(now)
            return dict(self._counts[window_days])

    def _read(self, now: float) -> None:
        oldest = now - max(WINDOWS) * DAY_S
        for p in self._log.purchases(self._seen):
            self._seen = p.seq
            if p.ts < oldest:
                continue
            day, pair = int(p.ts // DAY_S), (p.customer_id, p.article_id)
            pairs = self._days.setdefault(day, set())
            if pair in pairs:
                continue
            pairs.add(pair)
            if self._after and self._log.bought_on(*pair, day, self._after):
                continue  # the build counted this buyer-day
            for w in WINDOWS:
                if p.ts >= now - w * DAY_S:
                    heapq.heappush(self._heaps[w], (p.ts, p.article_id))
                    self._counts[w][p.article_id] += 1

    def _prune(self, now: float) -> None:
        for w in WINDOWS:
            heap, counts = self._heaps[w], self._counts[w]
            while heap and heap[0][0] < now - w * DAY_S:
                _, article = heapq.heappop(heap)
                counts[article] -= 1
                if not counts[article]:
                    del counts[article]
        first = int((now - max(WINDOWS) * DAY_S) // DAY_S)
        for day in [d for d in self._days if d < first]:
            del self._days[day]

    def held(self) -> dict[str, int]:
        """What is held in memory: purchases per window's heap, and days of pairs."""
        with self._lock:
            held = {f"{w}d": len(self._heaps.get(w, ())) for w in WINDOWS}
            return {**held, "days": len(self._days)}

    def last_purchase(self) -> int:
        """The newest purchase's sequence number (0: none): trending's cache key."""
        return self._log.last_purchase()
