"""Insights on a hand-made log (issue 24), on both backends: 10 search lists, 4 clicked, 1
bought, give a click-through of 0.4 and a conversion of 0.1 with their Wilson intervals;
click-through by position; top and no-click queries; rec_ids that verify and those that do
not."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.attribution import Impression, ImpressionLog, RecIds, unpack_items
from core.events import Event, EventLog
from core.insights import insights

T0 = 1_800_000_000.0  # 2027-01-15, 08:00 UTC
ARTS = [f"{108775015 + i:010d}" for i in range(12)]


def test_a_rec_id_names_its_list_and_only_the_api_s_own_verify() -> None:
    ids = RecIds("s" * 32)
    rec = ids.issue("search", "v20270115T080000Z", now=T0)
    parsed = ids.parse(rec)
    assert parsed is not None
    assert (parsed.surface, parsed.version, parsed.variant) == ("search", "v20270115T080000Z", "-")
    assert parsed.issued == pytest.approx(T0, abs=0.001)
    assert ids.issue("search", "v1") != ids.issue("search", "v1")  # one per list
    assert RecIds("t" * 32).parse(rec) is None  # another shop's secret
    forged = rec.replace("search", "browse", 1)
    assert ids.parse(forged) is None
    for bad in ("", "abc", "search.v1.-.1.2", rec + "0", "x" * 200):
        assert ids.parse(bad) is None


def test_ten_lists_four_clicked_one_bought(state: Path | str) -> None:
    ids = RecIds("s" * 32)
    log = ImpressionLog(state)
    events = EventLog(state)
    try:
        recs = []
        for i in range(10):
            rec = ids.issue("search", "v1", now=T0 + i)
            recs.append(rec)
            query = "linen dress" if i < 6 else "wool coat"
            moved = ((1, 7),) if i < 2 else ()  # rule 7 pinned the first item of lists 0 and 1
            log.record(
                Impression(rec, "search", T0 + i, tuple(ARTS[: 12 - i]), query=query, moved=moved)
            )
        # Another surface and a list outside the range: counted apart, not at all.
        log.record(Impression(ids.issue("trending", "v1"), "trending", T0, tuple(ARTS)))
        log.record(Impression(ids.issue("search", "v1"), "search", T0 - 86_400 * 3, tuple(ARTS)))
        assert log.flush() == 12
        got = []
        # Lists 0-3 clicked (at positions 1, 1, 2, 12; list 0 twice), list 0 carted and bought.
        for n, (i, pos) in enumerate([(0, 1), (0, 3), (1, 1), (2, 2), (3, 12)]):
            art = ARTS[pos - 1]
            got.append(Event(f"v{n}", "view", "c" * 64, art, T0 + 60, rec_id=recs[i], position=pos))
        got.append(
            Event("a0", "add_to_cart", "c" * 64, ARTS[0], T0 + 90, rec_id=recs[0], position=1)
        )
        got.append(
            Event(
                "p0",
                "purchase",
                "c" * 64,
                ARTS[0],
                T0 + 120,
                price=30.0,
                rec_id=recs[0],
                position=1,
            )
        )
        # A purchase past the 7-day window counts for no list.
        got.append(
            Event(
                "p1",
                "purchase",
                "c" * 64,
                ARTS[1],
                T0 + 8 * 86_400,
                price=9.0,
                rec_id=recs[1],
                position=1,
            )
        )
        events.append(got)

        found = insights(log.db, T0 - 3600, T0 + 3600, surface="search")
        (day,) = found.days
        assert day.lists == 10 and found.surfaces[0].lists == 10
        ctr, conv, cart = day.click_through, day.conversion, day.add_to_cart
        assert (ctr.k, ctr.n, ctr.value) == (4, 10, 0.4)
        assert ctr.low == pytest.approx(0.1682, abs=1e-4)
        assert ctr.high == pytest.approx(0.6873, abs=1e-4)
        assert (conv.k, conv.value) == (1, 0.1)
        assert conv.low == pytest.approx(0.0179, abs=1e-4)
        assert conv.high == pytest.approx(0.4042, abs=1e-4)
        assert cart.k == 1
        assert day.revenue == 30.0 and day.revenue_per_list.value == pytest.approx(3.0)
        # By position: position 1 clicked in 2 lists of 10; 2 in 1 of 10; 12 in 1 of the one
        # list with 12 items; 3 in 1 (list 0's second view).
        by = dict(found.by_position)
        assert (by[1].k, by[1].n) == (2, 10)
        assert (by[2].k, by[3].k) == (1, 1)
        assert (by[12].k, by[12].n) == (1, 1)
        assert (by[11].k, by[11].n) == (0, 2)
        top = [(q.query, q.lists, q.click_through.k) for q in found.top_queries]
        assert top == [("linen dress", 6, 4), ("wool coat", 4, 0)]
        assert [q.query for q in found.no_click_queries] == ["wool coat"]

        # Rule 7's items: shown in 2 lists, opened in both (position 1 of lists 0 and 1).
        (rule,) = found.rules
        assert (rule.rule_id, rule.lists, rule.click_through.k, rule.click_through.n) == (
            7,
            2,
            2,
            2,
        )
        every = insights(log.db, T0 - 3600, T0 + 3600)
        assert {s.surface: s.lists for s in every.surfaces} == {"search": 10, "trending": 1}
        assert log.prune(T0 - 86_400) == 1
        rows = log.db.rows("SELECT items FROM impressions WHERE rec_id = :r", {"r": recs[9]})
        assert unpack_items(rows[0][0]) == ARTS[:3]
    finally:
        log.close()
        events.close()


@pytest.mark.parametrize("n", [1, 2, 7, 10, 97, 1000, 123_457])
def test_the_closed_form_wilson_interval_is_scipy_s(n: int) -> None:
    from scipy import stats

    from core.insights import Rate

    for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        r = Rate.of(k, n)
        # Never past the rate itself at the ends (a plotted error bar must not be negative).
        assert r.low is not None and r.high is not None and r.value is not None
        assert r.low <= r.value <= r.high
        assert (r.low, r.high) == (
            pytest.approx(ci.low, abs=1e-12),
            pytest.approx(ci.high, abs=1e-12),
        )
