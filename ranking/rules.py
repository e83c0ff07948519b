"""Merchandising rules applied to a list (DESIGN §10): after the ranker, in a stated order.

1. **hide** and **filter** restrict what the surface may show: they join the request's store
   filter (`Restrict`, carried by `ListFilters`), so candidates, totals and facets agree.
2. **boost** and **bury** add their strength to the score of each matching candidate, then
   the list is ordered again (`Arrange.boosts`). On feed, similar items and search the score
   is the blend (in [0, 1]); trending and browse have no blend, so there the score is the
   rank score ``1 - i/N`` of the i-th (from 0) of the N candidates. Several boosts add up.
3. **pin** puts an article at its position (1-based). Pins are placed in the rules' order of
   precedence (priority, higher first; then the newest); a position already taken goes to
   the next free one. A pinned article the request could not show (unavailable, hidden by a
   rule, outside the request's filters, already bought on a feed that leaves those out) is
   skipped; on a collapsed list it stands for its product (other colours give way).

`RuleBook` compiles the stored rules once per reload and indexes them by surface and by the
condition that selects them, so a request looks only at rules that can apply to it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from core.catalog import EPOCH, point_id
from core.rules import Attributes, BoostAction, PinAction, QueryCondition, Rule, RuleIn, words
from core.store.base import Condition, Filter, Match, Range

HALF_CENT = 0.005
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Ref:
    """A rule that moved an item, as the item says so."""

    id: int
    name: str
    action: str


@dataclass(frozen=True)
class Context:
    """What the request asks for, as rules' scopes see it."""

    surface: str
    query: str | None = None
    categories: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    source_article: str | None = None


@dataclass(frozen=True)
class Restrict:
    """The hide and filter rules of a request, in store-filter terms."""

    must: tuple[Condition, ...] = ()
    none_of: tuple[tuple[Condition, ...], ...] = ()
    exclude_ids: tuple[int, ...] = ()
    only_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Arrange:
    """The boosts and pins of a request: (target, strength, rule) and (point id, position,
    rule), pins in order of precedence."""

    boosts: tuple[tuple[Filter, float, Ref], ...] = ()
    pins: tuple[tuple[int, int, Ref], ...] = ()


@dataclass(frozen=True)
class Steering:
    restrict: Restrict | None
    arrange: Arrange | None
    #: Every rule that applied, in order of precedence.
    applied: tuple[Ref, ...] = ()


@dataclass
class _Compiled:
    rule: Rule | RuleIn
    ref: Ref
    order: tuple[Any, ...]
    starts: float | None
    ends: float | None
    surfaces: frozenset[str]
    query: QueryCondition | None
    categories: frozenset[str]
    departments: frozenset[str]
    sources: frozenset[str]
    kind: str  # pin, boost, hide, filter
    conditions: tuple[Condition, ...] = ()
    ids: tuple[int, ...] = ()
    strength: float = 0.0
    pins: tuple[tuple[int, int], ...] = ()

    def live(self, now: float) -> bool:
        return (self.starts is None or now >= self.starts) and (
            self.ends is None or now < self.ends
        )

    def selects(self, ctx: Context, query_words: tuple[str, ...]) -> bool:
        if self.query is not None and (
            ctx.query is None or not query_matches(self.query, query_words)
        ):
            return False
        if self.categories and not self.categories.intersection(ctx.categories):
            return False
        if self.departments and not self.departments.intersection(ctx.departments):
            return False
        return not self.sources or ctx.source_article in self.sources

    def target(self) -> Filter:
        if self.ids:
            return Filter(only_ids=self.ids)
        return Filter(must=self.conditions)


def query_matches(cond: QueryCondition, query_words: tuple[str, ...]) -> bool:
    want = words(cond.text)
    if cond.match == "equals":
        return query_words == want
    if cond.match == "contains":
        return set(want) <= set(query_words)
    n = len(want)
    return any(query_words[i : i + n] == want for i in range(len(query_words) - n + 1))


def conditions_of(
    match: Attributes, multiplier: float
) -> tuple[tuple[Condition, ...], tuple[int, ...]]:
    """An action's target as store conditions (all must hold), or as point ids."""
    if match.article_ids:
        return (), tuple(point_id(a) for a in match.article_ids)
    conds: list[Condition] = []
    for key in (
        "product_type_name",
        "product_group_name",
        "colour_group_name",
        "department_name",
        "index_group_name",
        "section_name",
    ):
        values = getattr(match, key)
        if values:
            conds.append(Match(key, tuple(values)))
    if match.min_price is not None or match.max_price is not None:
        lo = None if match.min_price is None else (match.min_price - HALF_CENT) / multiplier
        hi = None if match.max_price is None else (match.max_price + HALF_CENT - 1e-9) / multiplier
        conds.append(Range("price", gte=lo, lte=hi))
    if match.new_since is not None:
        conds.append(Range("first_sale_day", gte=float((match.new_since - EPOCH).days)))
    return tuple(conds), ()


def compile_rule(rule: Rule | RuleIn, multiplier: float, *, rule_id: int = 0) -> _Compiled:
    rid = int(getattr(rule, "id", rule_id))
    updated = getattr(rule, "updated_at", None)
    stamp = updated.timestamp() if updated is not None else float("inf")  # a draft is newest
    action = rule.action
    scope = rule.scope
    out = _Compiled(
        rule=rule,
        ref=Ref(rid, rule.name, rule.label()),
        # Precedence: priority (higher first), then the newest, then the higher id.
        order=(-rule.priority, -stamp, -rid),
        starts=rule.starts_at.timestamp() if rule.starts_at else None,
        ends=rule.ends_at.timestamp() if rule.ends_at else None,
        surfaces=frozenset(scope.surfaces),
        query=scope.query,
        categories=frozenset(scope.category),
        departments=frozenset(scope.department),
        sources=frozenset(scope.source_article),
        kind="boost" if isinstance(action, BoostAction) else action.type,
    )
    if isinstance(action, PinAction):
        out.pins = tuple((point_id(p.article_id), p.position) for p in action.pins)
    else:
        out.conditions, out.ids = conditions_of(action.match, multiplier)
        if isinstance(action, BoostAction):
            out.strength = action.strength
    return out


@dataclass
class _Index:
    """One surface's rules, by the condition that selects them."""

    always: list[_Compiled] = field(default_factory=list)
    by_source: dict[str, list[_Compiled]] = field(default_factory=dict)
    by_word: dict[str, list[_Compiled]] = field(default_factory=dict)
    by_category: dict[str, list[_Compiled]] = field(default_factory=dict)
    by_department: dict[str, list[_Compiled]] = field(default_factory=dict)

    def add(self, c: _Compiled) -> None:
        # Filed under its most selective condition: a request that lacks it never sees it.
        if c.sources:
            for s in c.sources:
                self.by_source.setdefault(s, []).append(c)
        elif c.query is not None:
            self.by_word.setdefault(words(c.query.text)[0], []).append(c)
        elif c.categories:
            for v in c.categories:
                self.by_category.setdefault(v, []).append(c)
        elif c.departments:
            for v in c.departments:
                self.by_department.setdefault(v, []).append(c)
        else:
            self.always.append(c)

    def candidates(self, ctx: Context, query_words: tuple[str, ...]) -> Iterable[_Compiled]:
        yield from self.always
        if ctx.source_article is not None:
            yield from self.by_source.get(ctx.source_article, ())
        for w in dict.fromkeys(query_words):
            yield from self.by_word.get(w, ())
        for v in ctx.categories:
            yield from self.by_category.get(v, ())
        for v in ctx.departments:
            yield from self.by_department.get(v, ())


class RuleBook:
    """The shop's rules compiled for serving: `resolve` says what applies to one request now,
    `mark` changes whenever that could change (a reload, or a rule's start or end passing)."""

    def __init__(self, rules: Sequence[Rule | RuleIn], generation: int, multiplier: float) -> None:
        self.generation = generation
        self._multiplier = multiplier
        self._index: dict[str, _Index] = {}
        bounds: set[float] = set()
        self.size = 0
        for rule in rules:
            if not rule.enabled:
                continue
            c = compile_rule(rule, multiplier)
            self.size += 1
            bounds.update(b for b in (c.starts, c.ends) if b is not None)
            for s in c.surfaces:
                self._index.setdefault(s, _Index()).add(c)
        self._bounds = sorted(bounds)

    def mark(self, now: datetime | None = None) -> str:
        """Part of every cached answer's key: the rules' generation and how many starts and
        ends have passed, so no answer outlives a rule change or a rule's start or end."""
        t = (now or datetime.now(UTC)).timestamp()
        return f"r{self.generation}.{bisect.bisect_right(self._bounds, t)}"

    def resolve(
        self,
        ctx: Context,
        *,
        now: datetime | None = None,
        draft: RuleIn | None = None,
        enabled: bool = True,
    ) -> Steering | None:
        """The hide/filter restrictions, boosts and pins that apply to ``ctx`` now (None when
        none); ``draft``: an unsaved rule applied as if saved (a preview), ``enabled=False``:
        the stored rules are left out (``rules=off``)."""
        t = (now or datetime.now(UTC)).timestamp()
        qw = words(ctx.query) if ctx.query else ()
        found: dict[int, _Compiled] = {}
        index = self._index.get(ctx.surface)
        if enabled and index is not None:
            for c in index.candidates(ctx, qw):
                if id(c) not in found and c.live(t) and c.selects(ctx, qw):
                    found[id(c)] = c
        if draft is not None and draft.enabled and ctx.surface in draft.scope.surfaces:
            c = compile_rule(draft, self._multiplier)
            if c.live(t) and c.selects(ctx, qw):
                found[id(c)] = c
        if not found:
            return None
        ordered = sorted(found.values(), key=lambda c: c.order)
        return _steering(ordered)


def _steering(rules: list[_Compiled]) -> Steering:
    must: list[Condition] = []
    none_of: list[tuple[Condition, ...]] = []
    exclude: list[int] = []
    only: set[int] | None = None
    boosts: list[tuple[Filter, float, Ref]] = []
    pins: list[tuple[int, int, Ref]] = []
    for c in rules:
        if c.kind == "hide":
            if c.ids:
                exclude += c.ids
            else:
                none_of.append(c.conditions)
        elif c.kind == "filter":
            if c.ids:
                only = set(c.ids) if only is None else only & set(c.ids)
            else:
                must += c.conditions
        elif c.kind == "boost":
            boosts.append((c.target(), c.strength, c.ref))
        else:
            pins += [(pid, pos, c.ref) for pid, pos in c.pins]
    restrict = None
    if must or none_of or exclude or only is not None:
        restrict = Restrict(
            must=tuple(must),
            none_of=tuple(none_of),
            exclude_ids=tuple(exclude),
            only_ids=None if only is None else tuple(sorted(only)),
        )
    arrange = Arrange(tuple(boosts), tuple(pins)) if boosts or pins else None
    return Steering(restrict, arrange, tuple(c.ref for c in rules))


# --- applying an arrangement -------------------------------------------------------------------


def both(flt: Filter, target: Filter) -> Filter:
    """``flt`` and a boost's ``target`` at once."""
    only = flt.only_ids
    if target.only_ids is not None:
        only = target.only_ids if only is None else tuple(sorted(set(only) & set(target.only_ids)))
    return replace(flt, must=(*flt.must, *target.must), only_ids=only)


def boost_amounts(
    arrange: Arrange | None, columns: Any, rows: npt.NDArray[np.int64]
) -> tuple[FloatArray, dict[int, list[Ref]]]:
    """Per candidate (by its row of the columns): the boosts' sum, and the rules that moved it
    (keyed by the candidate's index)."""
    amount = np.zeros(len(rows), dtype=np.float64)
    moved: dict[int, list[Ref]] = {}
    if arrange is None:
        return amount, moved
    for target, strength, ref in arrange.boosts:
        hit = np.asarray(columns.matches(target, rows))
        amount[hit] += strength
        for i in np.flatnonzero(hit).tolist():
            moved.setdefault(i, []).append(ref)
    return amount, moved


def place_pins(
    ordered: list[int],
    arrange: Arrange | None,
    columns: Any,
    flt: Filter,
    *,
    collapse: bool,
) -> tuple[list[int], dict[int, Ref]]:
    """``ordered`` (point ids) with the pins placed; the pinned ids with their rule."""
    if arrange is None or not arrange.pins:
        return ordered, {}
    pids = np.array([p for p, _, _ in arrange.pins], dtype=np.int64)
    rows = np.asarray(columns.rows(pids))
    ok = rows >= 0
    ok[ok] = np.asarray(columns.matches(flt, rows[ok]))
    slots: dict[int, int] = {}
    pinned: dict[int, Ref] = {}
    products: set[Any] = set()
    for (pid, position, ref), fine in zip(arrange.pins, ok.tolist(), strict=True):
        product = columns.payload_of(pid).get("product_code") if collapse else pid
        if not fine or pid in pinned or product in products:
            continue
        i = position - 1
        while i in slots:
            i += 1
        slots[i] = pid
        pinned[pid] = ref
        products.add(product)
    if collapse:
        organic = [p for p in ordered if columns.payload_of(p).get("product_code") not in products]
    else:
        organic = [p for p in ordered if p not in pinned]
    out: list[int] = []
    rest = iter(organic)
    for i in range(len(organic) + len(slots)):
        if i in slots:
            out.append(slots[i])
        else:
            nxt = next(rest, None)
            if nxt is not None:
                out.append(nxt)
    # Pins past the end of a short list come last, in position order.
    out += [slots[i] for i in sorted(slots) if i >= len(organic) + len(slots)]
    return out, pinned


def rearrange(
    ordered: list[int],
    arrange: Arrange | None,
    columns: Any,
    flt: Filter,
    *,
    collapse: bool,
    collapse_of: Callable[[list[int]], list[int]] | None = None,
) -> tuple[list[int], dict[int, list[Ref]]]:
    """A list with no blend (trending, browse): boosts on the rank score ``1 - i/N``, the
    order again (ties keep their order), collapse (``collapse_of``), then pins. Returns the
    ids and, per id, the rules that moved it."""
    moved: dict[int, list[Ref]] = {}
    if arrange is None:
        return ordered, moved
    if arrange.boosts and ordered:
        ids = np.array(ordered, dtype=np.int64)
        n = len(ids)
        score = 1.0 - np.arange(n, dtype=np.float64) / n
        amount, by_i = boost_amounts(arrange, columns, np.asarray(columns.rows(ids)))
        order = np.lexsort((np.arange(n), -(score + amount)))
        ordered = ids[order].tolist()
        moved = {int(ids[i]): refs for i, refs in by_i.items()}
    if collapse_of is not None:
        ordered = collapse_of(ordered)
    placed, pinned = place_pins(ordered, arrange, columns, flt, collapse=collapse)
    for pid, ref in pinned.items():
        moved[pid] = [ref]
    return placed, moved


def reason_of(refs: Sequence[Ref]) -> str:
    """ "Pinned by Summer linen", "Boosted by New in; buried by Grey"."""
    verbs = {"pin": "Pinned", "boost": "Boosted", "bury": "Buried"}
    said = [f"{verbs.get(r.action, r.action.title())} by {r.name}" for r in refs]
    return "; ".join(s if i == 0 else s[0].lower() + s[1:] for i, s in enumerate(said))
