"""The journal of live changes an Edge copy keeps, folded to one entry per point.

A process's Edge copy keeps every change it applied since its files were copied, because a
fresh, indexed copy (`EdgeStore.reindexed`) starts again from the version's files and needs
them all. Kept as they came, a stock feed that re-prices the same articles all day grows the
journal without bound, and every re-index applies all of it again. Folded, the journal holds
each changed point once, in its last state, so it is bounded by the number of articles
changed, and applying it gives the very same points as applying the changes in order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from core.store.base import Change, Delete, Point, SetPayload, Upsert

#: Points per engine operation of a folded journal (one upsert of 100k points is one
#: allocation of all their vectors at once).
CHUNK = 1_000


def fold(changes: Sequence[Change]) -> list[Change]:
    """``changes`` (applied in order) as at most one state per point: a whole point (an
    upsert, with the payload fields set after it merged in), the payload fields set on a
    point the version already has, or its removal. Applying the result to the same copy the
    changes were applied to gives the same points, in fewer operations: deletes, then upserts,
    then one payload update per distinct set of fields."""
    state: dict[int, Point | dict[str, Any] | None] = {}  # None: removed
    for change in changes:
        if isinstance(change, Upsert):
            for p in change.points:
                state[p.id] = p
        elif isinstance(change, SetPayload):
            for pid in change.ids:
                now = state.get(pid, {})
                if isinstance(now, Point):
                    state[pid] = Point(pid, now.vectors, {**now.payload, **change.payload})
                elif now is not None:  # setting fields of a removed point changes nothing
                    state[pid] = {**now, **change.payload}
        else:
            for pid in change.ids:
                state[pid] = None
    removed = tuple(pid for pid, s in state.items() if s is None)
    points = [s for s in state.values() if isinstance(s, Point)]
    same: dict[str, list[int]] = {}
    for pid, s in state.items():
        if isinstance(s, dict) and s:
            same.setdefault(json.dumps(s, sort_keys=True), []).append(pid)
    out: list[Change] = [Delete(removed)] if removed else []
    out += [Upsert(tuple(points[i : i + CHUNK])) for i in range(0, len(points), CHUNK)]
    out += [SetPayload(tuple(pids), json.loads(body)) for body, pids in same.items()]
    return out
