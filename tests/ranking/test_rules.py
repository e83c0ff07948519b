"""The rules engine alone (`ranking.rules`): query conditions, the order rules compose in, pins
(conflicts, collapse, short lists, ineligible articles), the mark that changes at a rule's start
and end, and the store filter's groups of conditions (`Filter.none_of`) on the columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from core.rules import QueryCondition, Rule, RuleIn
from core.store.base import Filter, Match, Range
from ranking.columns import KEYWORDS, NUMBERS, Columns
from ranking.rules import Arrange, Context, Ref, RuleBook, place_pins, query_matches, rearrange

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def _columns() -> Columns:
    """Eight articles: ids 1-8, products p1..p4 two colours each (Black, White)."""
    rows: list[dict[str, Any]] = []
    for i in range(1, 9):
        rows.append(
            {
                "article_id": f"{i:010d}",
                "product_code": f"p{(i + 1) // 2}",
                "product_type_name": "Dress" if i <= 4 else "Trousers",
                "product_group_name": "Garment Full body" if i <= 4 else "Garment Lower body",
                "colour_group_name": "Black" if i % 2 else "White",
                "index_group_name": "Ladieswear",
                "department_name": "Jersey",
                "section_name": "Womens",
                "availability": "unavailable" if i == 8 else None,
                "price": 0.01 * i,
                "cf_norm": 1.0,
                "trend_score": 10.0 - i,
                "sales_7d": 10 - i,
                "sales_30d": 20 - i,
                "first_sale_day": 19_000 + i,
            }
        )
    frame = pd.DataFrame(rows)
    assert set(KEYWORDS) | set(NUMBERS) <= set(frame.columns)
    return Columns(np.arange(1, 9, dtype=np.int64), frame)


def _rule(rid: int, action: dict[str, Any], **kw: Any) -> Rule:
    scope = kw.pop("scope", {"surfaces": ["search"]})
    stamp = kw.pop("updated_at", NOW - timedelta(days=1))
    return Rule(
        id=rid,
        name=f"r{rid}",
        scope=scope,
        action=action,
        status="active",
        created_at=stamp,
        updated_at=stamp,
        **kw,
    )


def _pin(article: int, position: int) -> dict[str, Any]:
    return {"type": "pin", "pins": [{"article_id": f"{article:010d}", "position": position}]}


@pytest.mark.parametrize(
    ("match", "text", "query", "expected"),
    [
        ("contains", "Linen", "white LINEN shirt", True),
        ("contains", "linen shirt", "shirt, in linen", True),
        ("contains", "linen shirt", "linen dress", False),
        ("phrase", "linen shirt", "a linen shirt for summer", True),
        ("phrase", "linen shirt", "shirt linen", False),
        ("equals", "linen shirt", "Linen  Shirt!", True),
        ("equals", "linen shirt", "linen shirt dress", False),
    ],
)
def test_query_conditions(match: str, text: str, query: str, expected: bool) -> None:
    from core.rules import words

    cond = QueryCondition(match=match, text=text)  # type: ignore[arg-type]
    assert query_matches(cond, words(query)) is expected


def test_rules_apply_only_where_their_scope_says() -> None:
    rules = [
        _rule(1, _pin(1, 1), scope={"surfaces": ["search"], "query": {"text": "linen"}}),
        _rule(2, _pin(2, 1), scope={"surfaces": ["browse"], "department": ["Ladieswear"]}),
        _rule(3, _pin(3, 1), scope={"surfaces": ["similar"], "source_article": ["0000000005"]}),
        _rule(4, _pin(4, 1), scope={"surfaces": ["trending", "feed"]}),
    ]
    book = RuleBook(rules, 1, 1.0)

    def ids(ctx: Context) -> list[int]:
        found = book.resolve(ctx, now=NOW)
        return [r.id for r in found.applied] if found else []

    assert ids(Context("search", query="Linen dress")) == [1]
    assert ids(Context("search", query="wool dress")) == []
    assert ids(Context("browse", departments=("Ladieswear",))) == [2]
    assert ids(Context("browse")) == []
    assert ids(Context("similar", source_article="0000000005")) == [3]
    assert ids(Context("similar", source_article="0000000006")) == []
    assert ids(Context("feed")) == [4] and ids(Context("trending")) == [4]
    assert book.resolve(Context("feed"), now=NOW, enabled=False) is None  # rules=off


def test_a_rule_starts_and_ends_on_time_and_the_mark_changes_then() -> None:
    starts, ends = NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    book = RuleBook([_rule(1, _pin(1, 1), starts_at=starts, ends_at=ends)], 7, 1.0)
    ctx = Context("search", query="x")
    assert book.resolve(ctx, now=NOW) is None
    assert book.resolve(ctx, now=starts) is not None
    assert book.resolve(ctx, now=ends) is None
    marks = [book.mark(t) for t in (NOW, starts - timedelta(seconds=1), starts, ends)]
    assert marks[0] == marks[1] != marks[2] != marks[3]
    assert RuleBook([], 8, 1.0).mark(NOW) != RuleBook([], 7, 1.0).mark(NOW)  # a reload


def test_hide_and_filter_groups_and_a_pin_placed_by_precedence() -> None:
    columns = _columns()
    rules = [
        _rule(
            1,
            {
                "type": "hide",
                "match": {"colour_group_name": ["Black"], "product_type_name": ["Dress"]},
            },
        ),
        _rule(2, {"type": "filter", "match": {"min_price": 0.02}}),
        _rule(3, _pin(6, 1), priority=0, updated_at=NOW),  # newer
        _rule(4, _pin(4, 1), priority=5),  # stronger: takes position 1
        _rule(5, _pin(2, 1), priority=0),  # older than rule 3
    ]
    st = RuleBook(rules, 1, 1.0).resolve(Context("search", query="q"), now=NOW)
    assert st is not None and st.restrict is not None and st.arrange is not None
    flt = Filter(must=st.restrict.must, none_of=st.restrict.none_of)
    # Black dresses (1, 3) hidden; article 1 also under the price floor.
    assert columns.mask(flt).tolist() == [False, True, False, True, True, True, True, True]
    placed, pinned = place_pins([5, 7, 2, 4], st.arrange, columns, flt, collapse=False)
    assert placed == [4, 6, 2, 5, 7]  # 4 (priority 5), then 6 (newest), then 2
    assert {p: r.id for p, r in pinned.items()} == {4: 4, 6: 3, 2: 5}


def test_a_pin_skips_what_the_request_cannot_show_and_stands_for_its_product() -> None:
    columns = _columns()
    available = Filter(must_not=(Match("availability", ("unavailable",)),))
    arrange = Arrange(pins=((8, 1, Ref(1, "gone", "pin")), (4, 2, Ref(2, "white", "pin"))))
    # 8 is unavailable: skipped; 4 (product p2) replaces 3 (also p2) in a collapsed list.
    placed, pinned = place_pins([1, 3, 5, 7], arrange, columns, available, collapse=True)
    assert placed == [1, 4, 5, 7] and set(pinned) == {4}
    # A pin past the end of a short list comes last.
    far = Arrange(pins=((6, 50, Ref(3, "far", "pin")),))
    assert place_pins([1, 3], far, columns, available, collapse=False)[0] == [1, 3, 6]


def test_a_boost_on_a_list_without_a_blend_moves_by_the_rank_score() -> None:
    columns = _columns()
    ordered = [1, 2, 3, 4, 5, 6, 7]  # rank score 1 - i/7
    white = Filter(must=(Match("colour_group_name", ("White",)),))
    bury = Arrange(boosts=((white, -1.0, Ref(1, "no white", "bury")),))
    placed, moved = rearrange(ordered, bury, columns, Filter(), collapse=False)
    assert placed == [1, 3, 5, 7, 2, 4, 6] and set(moved) == {2, 4, 6}
    # +0.3 is about 0.3·7 = 2 places: 6 (rank score 2/7) passes 4 and 5, not 3.
    cheap = Filter(must=(Range("price", gte=0.055, lte=0.065),))
    lift = Arrange(boosts=((cheap, 0.3, Ref(2, "lift 6", "boost")),))
    assert rearrange(ordered, lift, columns, Filter(), collapse=False)[0] == [1, 2, 3, 6, 4, 5, 7]


def test_a_draft_previews_as_if_saved() -> None:
    book = RuleBook([], 1, 1.0)
    draft = RuleIn(name="d", scope={"surfaces": ["trending"]}, action=_pin(2, 3))
    st = book.resolve(Context("trending"), now=NOW, draft=draft)
    assert st is not None and st.applied == (Ref(0, "d", "pin"),)
    assert book.resolve(Context("search"), now=NOW, draft=draft) is None


def test_the_columns_match_a_filter_at_some_rows_as_over_all_of_them() -> None:
    columns = _columns()
    rows = np.array([0, 2, 3, 5, 7], dtype=np.int64)
    filters = [
        Filter(must=(Match("colour_group_name", ("Black",)), Range("price", gte=0.025))),
        Filter(none_of=((Match("product_type_name", ("Dress",)), Range("price", lte=0.035)),)),
        Filter(must_not=(Match("availability", ("unavailable",)),), exclude_ids=(4,)),
        Filter(only_ids=(1, 6, 8), must=(Range("first_sale_day", gte=19_003),)),
    ]
    for flt in filters:
        assert columns.matches(flt, rows).tolist() == columns.mask(flt)[rows].tolist()
