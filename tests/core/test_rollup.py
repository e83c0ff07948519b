"""The insights' daily roll-up (`core.rollup`), on both backends: it gives exactly the live
query's figures for whole days, recomputes only the days that may have changed (the current
one, and a past one when an event names one of its lists), keeps a day whose impressions
retention deleted, and lets one process refresh at a time."""

from __future__ import annotations

import random
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from core.attribution import Impression, ImpressionLog, RecIds
from core.events import Event, EventLog
from core.insights import DAY_S, insights
from core.rollup import as_of, issued_day, refresh, rolled_up

DAY = 20_833  # 2027-01-15
T0 = DAY * DAY_S + 8 * 3600.0
ARTS = [f"{108775015 + i:010d}" for i in range(12)]
SURFACES = ("feed", "search", "trending")


def _same(a: Any, b: Any) -> dict[str, Any]:
    return asdict(replace(a, as_of=None)) == asdict(replace(b, as_of=None))


def _world(state: Path | str) -> tuple[ImpressionLog, EventLog, list[str]]:
    """60 lists over days DAY-3..DAY (on three surfaces, searches with two queries, a rule's
    items in some), about a third opened, some carted and bought, one purchase past the
    window."""
    rng, ids = random.Random(5), RecIds("s" * 32)
    log, events = ImpressionLog(state), EventLog(state)
    recs, got = [], []
    for k in range(60):
        ts = T0 - (k % 4) * DAY_S + k * 60
        surface = SURFACES[k % 3]
        rec = ids.issue(surface, "v1", now=ts)
        recs.append(rec)
        log.record(
            Impression(
                rec,
                surface,
                ts,
                tuple(ARTS[: 12 - k % 5]),
                query=("linen dress" if k % 2 else "wool coat") if surface == "search" else None,
                moved=((1, 7), (3, 9)) if k % 5 == 0 else (),
            )
        )
        if rng.random() < 0.35:
            pos = rng.randint(1, 12 - k % 5)
            got.append(
                Event(f"v{k}", "view", "c" * 64, ARTS[pos - 1], ts + 30, rec_id=rec, position=pos)
            )
            if rng.random() < 0.5:
                got.append(
                    Event(
                        f"a{k}", "add_to_cart", "c" * 64, ARTS[0], ts + 40, rec_id=rec, position=pos
                    )
                )
                late = 8 * DAY_S if k == 4 else 0  # past the 7-day window: counts for no list
                got.append(
                    Event(
                        f"p{k}",
                        "purchase",
                        "c" * 64,
                        ARTS[0],
                        ts + 50 + late,
                        price=10.0 + k,
                        rec_id=rec,
                        position=pos,
                    )
                )
    assert log.flush() == 60
    events.append(got)
    return log, events, recs


def test_the_roll_up_gives_the_live_figures_and_refreshes_only_what_changed(
    state: Path | str,
) -> None:
    log, events, recs = _world(state)
    db = log.db
    try:
        assert as_of(db) is None
        now = T0 + 3600  # day DAY, 09:00
        first = refresh(db, now=now)
        assert first is not None and first.days == [DAY - 3, DAY - 2, DAY - 1, DAY]
        assert as_of(db) == now
        for a, b, surface in (
            (DAY - 3, DAY, None),
            (DAY - 1, DAY - 1, "search"),
            (DAY, DAY, "feed"),
        ):
            live = insights(db, a * DAY_S, (b + 1) * DAY_S, surface=surface)
            rolled = rolled_up(db, a, b, surface=surface)
            assert rolled.as_of == now and _same(rolled, live)
            assert sum(d.lists for d in rolled.days) > 0
        whole = rolled_up(db, DAY - 3, DAY)
        assert sum(s.lists for s in whole.surfaces) == 60
        assert [r.rule_id for r in whole.rules] == [7, 9]

        # Nothing new: only the day still going is recomputed.
        again = refresh(db, now=now + 60)
        assert again is not None and again.days == [DAY]
        # A view of a list from three days ago recomputes that day too, and it shows.
        old = next(r for r in recs if issued_day(r) == DAY - 3 and r.startswith("trending"))
        before = rolled_up(db, DAY - 3, DAY - 3, surface="trending").surfaces[0]
        clicked = db.rows(
            "SELECT count(*) FROM events WHERE rec_id = :r AND type = 'view'", {"r": old}
        )[0][0]
        events.append([Event("late", "view", "c" * 64, ARTS[1], now + 90, rec_id=old, position=2)])
        third = refresh(db, now=now + 120)
        assert third is not None and third.days == [DAY - 3, DAY]
        after = rolled_up(db, DAY - 3, DAY - 3, surface="trending").surfaces[0]
        assert after.click_through.k == before.click_through.k + (0 if clicked else 1)
        assert _same(
            rolled_up(db, DAY - 3, DAY), insights(db, (DAY - 3) * DAY_S, (DAY + 1) * DAY_S)
        )

        # Another process refreshed it 30 s ago: a periodic refresh of this one (every 60 s)
        # leaves it; one asked for now does not.
        assert refresh(db, now=now + 150, newer_than=54) is None
        assert refresh(db, now=now + 150) is not None
        # Another process holds the roll-up: this one reads what is there.
        db.rows("UPDATE rollup_state SET claimed_until = :t", {"t": now + 10_000}, write=True)
        assert refresh(db, now=now + 180) is None
        db.rows("UPDATE rollup_state SET claimed_until = 0", write=True)

        # Retention deletes the oldest day's impressions; its roll-up stays, and a later
        # refresh does not recompute it to nothing.
        kept = rolled_up(db, DAY - 3, DAY - 3)
        assert log.prune((DAY - 2) * DAY_S) > 0
        assert insights(db, (DAY - 3) * DAY_S, (DAY - 2) * DAY_S).surfaces == []
        last = refresh(db, now=now + 240)
        assert last is not None and last.days == [DAY]
        assert _same(rolled_up(db, DAY - 3, DAY - 3), kept)
    finally:
        log.close()
        events.close()
