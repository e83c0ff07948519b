"""Hot fields: a live catalog's price and stock, held in memory instead of written to the engine.

An update in Qdrant moves the point it touches out of its indexed segment (its vectors, its
payload) into an unindexed one that every search scans, so a stock feed that re-prices and
re-stocks articles all day made each process's engine copy grow by about 6 KB per article
changed and forced a fresh, indexed copy every few minutes (`EdgeStore.reindexed`: tens to
hundreds of seconds of work, then a swap that holds the interpreter for seconds).

So a change that sets only hot fields (`HOT`: price, in stock, hidden, availability) is kept
here, per point, and the engine's point is left where it is. Every read of the reader that
holds it sees the live value:

* payloads (`overlay`): the hot fields as last set;
* filters (`rewrite`): a condition on a hot field becomes a `Drifted` one, which the engine
  answers as "the condition on its stored payload, for every point whose field has not been
  set since; and those of the set points for which it holds now" (one id list each);
* order by a hot field (`ordered`): the engine's order of the points not set since, merged
  with the set points in their live order.

An upsert or a delete writes the engine (the point's payload is then the live one) and drops
what was held for the point. The held values are bounded by the articles changed since the
build; a build folds the log into its payloads and starts empty.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from core.store.base import (
    AnyOf,
    Change,
    Condition,
    Drifted,
    Filter,
    Match,
    Range,
    Record,
    SetPayload,
    Upsert,
)

#: Payload fields a change may set without writing the engine.
HOT = frozenset({"price", "in_stock", "hidden", "availability"})
#: A facet of a hot field counts this many of its stored values before adding the held points
#: (price, stock and visibility have few values; none is faceted by the engine today).
HOT_FACET_VALUES = 10_000
#: Per-condition id sets kept for reuse (the availability rule and the latest price ranges).
HOLDS_KEPT = 32

Order = tuple[str, str]
#: ``fetch(flt, n, order)``: the engine's first ``n`` matching records, with the order value.
Fetch = Callable[[Filter | None, int, Order | None], list[tuple[Record, float]]]


def writes_engine(changes: Sequence[Change]) -> bool:
    """Whether applying ``changes`` writes the engine (not only hot fields)."""
    return any(not isinstance(c, SetPayload) or set(c.payload) - HOT for c in changes)


class HotFields:
    """The hot fields set on points since the engine last wrote them (point id → fields)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[int, Mapping[str, Any]] = {}
        #: Per hot field, the points it is held for; their frozen copies and the points each
        #: condition holds for, until the field's next change.
        self._ids: dict[str, set[int]] = {k: set() for k in HOT}
        self._drifted: dict[str, frozenset[int]] = {}
        self._holds: dict[Match | Range, frozenset[int]] = {}
        self._sorted: dict[Order, list[int]] = {}

    def __len__(self) -> int:
        return len(self._values)

    def take(self, changes: Sequence[Change]) -> list[Change]:
        """Keep the hot part of ``changes``; what the engine must still write, in order. An
        upsert or a delete drops what was held for its points (the engine has them whole)."""
        out: list[Change] = []
        touched: set[str] = set()
        with self._lock:
            values = dict(self._values)  # readers keep the one they hold
            for change in changes:
                if isinstance(change, SetPayload):
                    hot = {k: v for k, v in change.payload.items() if k in HOT}
                    cold = {k: v for k, v in change.payload.items() if k not in HOT}
                    for pid in change.ids if hot else ():
                        values[pid] = {**values.get(pid, {}), **hot}
                    for key in hot:
                        self._ids[key].update(change.ids)
                    touched |= hot.keys()
                    if cold:
                        out.append(SetPayload(change.ids, cold))
                    continue
                ids = [p.id for p in change.points] if isinstance(change, Upsert) else change.ids
                for pid in ids:
                    for key in values.pop(pid, {}):
                        self._ids[key].discard(pid)
                        touched.add(key)
                out.append(change)
            if touched:
                self._values = values
                for key in touched:
                    self._drifted.pop(key, None)
                self._sorted = {o: ids for o, ids in self._sorted.items() if o[0] not in touched}
                self._holds = {c: h for c, h in self._holds.items() if c.key not in touched}
        return out

    def overlay(self, records: list[Record], fields: Sequence[str] | None = None) -> list[Record]:
        """``records`` with the hot fields held for them (only ``fields`` when given)."""
        values = self._values
        if not values:
            return records
        wanted = HOT if fields is None else HOT & set(fields)
        for r in records:
            held = values.get(r.id)
            if held:
                r.payload.update({k: v for k, v in held.items() if k in wanted})
        return records

    def drifts(self, key: str) -> bool:
        """Whether some point's ``key`` is held here (its stored value may lag)."""
        return bool(self._ids.get(key))

    def drifted(self, key: str) -> frozenset[int]:
        """The points whose ``key`` is held here."""
        with self._lock:
            return self._frozen(key)

    def _frozen(self, key: str) -> frozenset[int]:
        found = self._drifted.get(key)
        if found is None:
            found = self._drifted[key] = frozenset(self._ids[key])
        return found

    def rewrite(self, flt: Filter | None) -> Filter | None:
        """``flt`` for the engine: each condition on a hot field that drifted, `Drifted`."""
        if flt is None or not self._values:
            return flt
        moved = tuple((self._leaf(m),) for m in flt.must_not if self._hot(m))
        return replace(
            flt,
            must=tuple(self._condition(c) for c in flt.must),
            must_not=tuple(m for m in flt.must_not if not self._hot(m)),
            none_of=(*(tuple(self._condition(c) for c in g) for g in flt.none_of), *moved),
        )

    def _hot(self, cond: Match | Range) -> bool:
        return self.drifts(cond.key)

    def _condition(self, cond: Condition) -> Condition:
        if isinstance(cond, AnyOf):
            return AnyOf(tuple(self._member(c) for c in cond.conditions))
        return self._member(cond)

    def _member(self, cond: Match | Range | Drifted) -> Match | Range | Drifted:
        if isinstance(cond, Drifted) or not self._hot(cond):
            return cond
        return self._leaf(cond)

    def _leaf(self, cond: Match | Range) -> Drifted:
        with self._lock:  # both sets of one state of the held values
            drifted = self._frozen(cond.key)
            holds = self._holds.get(cond)
            if holds is None:
                values = self._values
                holds = frozenset(p for p in drifted if _holds(cond, values[p][cond.key]))
                if len(self._holds) >= HOLDS_KEPT:
                    self._holds.clear()
                self._holds[cond] = holds
        return Drifted(cond, drifted, holds)

    def ordered(
        self, fetch: Fetch, flt: Filter | None, n: int, order: Order
    ) -> list[tuple[Record, float]]:
        """The first ``n`` matching records by a hot field, with its live value: the engine's
        order of the points whose field is as stored, merged with the held points in their
        live order (walked in growing runs, so a page costs about its length)."""
        key, direction = order
        with self._lock:
            drifted, values = self._frozen(key), self._values
            live = self._sorted.get(order)
            if live is None:
                sign = -1.0 if direction == "desc" else 1.0
                live = sorted(drifted, key=lambda p: (sign * float(values[p][key]), p))
                self._sorted[order] = live
        base = self.rewrite(flt) or Filter()
        kept = fetch(replace(base, exclude_ids=(*base.exclude_ids, *drifted)), n, order)
        moved: list[tuple[Record, float]] = []
        k = max(4 * n, 64)
        for lo in range(0, len(live), k):
            run = live[lo : lo + k]
            found = {r.id: r for r, _ in fetch(replace(base, only_ids=tuple(run)), len(run), None)}
            moved += [(found[p], float(values[p][key])) for p in run if p in found]
            if len(moved) >= n:
                break
            k *= 4
        sign = -1.0 if direction == "desc" else 1.0
        both = sorted([*kept, *moved[:n]], key=lambda rv: (sign * rv[1], rv[0].id))
        return both[:n]

    def facet(
        self,
        count: Callable[[Filter | None], dict[str, int]],
        fetch: Fetch,
        key: str,
        flt: Filter | None,
        limit: int,
    ) -> dict[str, int]:
        """The ``limit`` commonest values of a hot field: the engine's counts of the points
        as stored (``count``: its `HOT_FACET_VALUES` commonest), plus the held points that
        match, by their live value."""
        with self._lock:
            drifted, values = self._frozen(key), self._values
        base = self.rewrite(flt) or Filter()
        out = dict(count(replace(base, exclude_ids=(*base.exclude_ids, *drifted))))
        for r, _ in fetch(replace(base, only_ids=tuple(drifted)), len(drifted), None):
            value = str(values[r.id][key])
            out[value] = out.get(value, 0) + 1
        top = sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return dict(top)


def _holds(cond: Match | Range, value: Any) -> bool:
    """The engine's meaning of a leaf condition for one payload value."""
    if isinstance(cond, Match):
        return isinstance(value, str) and value in cond.values
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return (cond.gte is None or value >= cond.gte) and (cond.lte is None or value <= cond.lte)
