"""A columnar copy of the few article fields that ranking and facets read for many articles.

Two things cost the most per request at H&M size (measured with 105,542 articles): facet
counts (four exact facet requests, 41 ms together for a filtered browse page) and reading the
slim payload of the ~300 candidates of a ranked list (a third of a feed request's time, mostly
converting payload values between the engine and Python). Both read the same handful of
fields, which for the whole catalog take a few MB. `Columns` loads them once per index version
(when the API switches to it) and answers from numpy:

* `records(ids)`: the slim records of candidates, as the store's `retrieve(payload_fields=)`;
* `mask(flt)` / `count` / `facet` / `bounds` / `top`: the store's filter semantics (keyword
  match, inclusive range, any-of, must-not, id lists) over the columns.

Result pages themselves still come from the store (scroll with the filter, vector search),
so a filtered page is filled inside Qdrant; the columns only count and describe. The store
tests check the two agree (`tests/ranking/test_columns.py`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from core.catalog import find_sorted, point_id
from core.store.base import AnyOf, Filter, Match, Range, Record, StoreReader

log = logging.getLogger(__name__)

KEYWORDS = (
    "article_id",
    "product_code",
    "product_type_name",
    "product_group_name",
    "colour_group_name",
    "index_group_name",
    "department_name",
    "section_name",
    # "unavailable" (out of stock or hidden, the live catalog); absent: available.
    "availability",
)
NUMBERS = ("price", "cf_norm", "trend_score", "sales_7d", "sales_30d", "first_sale_day")
CHUNK = 10_000
#: Keyword-match masks kept for reuse (105,542 articles: 100 KB each).
MASKS_KEPT = 256

BoolArray = npt.NDArray[np.bool_]


class Columns:
    """The catalog's keyword and number fields as arrays, rows in point-id order."""

    def __init__(self, ids: npt.NDArray[np.int64], frame: pd.DataFrame) -> None:
        order = np.argsort(ids, kind="stable")
        frame = frame.iloc[order].reset_index(drop=True)
        codes: dict[str, npt.NDArray[np.int32]] = {}
        categories: dict[str, pd.Index] = {}
        for key in KEYWORDS:
            cat = pd.Categorical(frame[key])
            codes[key] = np.asarray(cat.codes, dtype=np.int32)  # -1 where missing
            categories[key] = cat.categories
        numbers = {k: frame[k].to_numpy(dtype=np.float64) for k in NUMBERS}
        # NaN marks a field the store does not hold for that article: leave it out.
        payloads: list[dict[str, Any]] = [
            {k: v for k, v in row.items() if v == v and v is not None}
            for row in frame.to_dict("records")
        ]
        self._set(ids[order], codes, categories, numbers, payloads)

    def _set(
        self,
        ids: npt.NDArray[np.int64],
        codes: dict[str, npt.NDArray[np.int32]],
        categories: dict[str, pd.Index],
        numbers: dict[str, npt.NDArray[np.float64]],
        payloads: list[dict[str, Any]],
    ) -> None:
        """Hold these arrays (rows in ascending point id) and start with empty caches."""
        self.ids = ids
        self._row = {int(pid): i for i, pid in enumerate(ids)}
        self._codes = codes
        self._categories = categories
        self._code_of = {
            key: {str(v): i for i, v in enumerate(cats)} for key, cats in categories.items()
        }
        self._numbers = numbers
        self._payloads = payloads
        self._masks: dict[Match, BoolArray] = {}
        self._desc: dict[str, npt.NDArray[np.intp]] = {}
        self._aligned: dict[int, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None]] = {}
        self._by_code: dict[str, tuple[npt.NDArray[np.intp], npt.NDArray[np.int32]]] = {}

    def changed(self, upserts: Sequence[Record], removed: Sequence[int] = ()) -> Columns:
        """A copy with ``upserts`` (slim records: a known id is replaced, a new one added) and
        without the ``removed`` ids; this object is left as it is, for the requests still
        reading it. Answers what `load` of the changed catalog would (the live catalog applies
        changes this way instead of reading 100,000 articles again)."""
        drop = np.array([*removed, *(r.id for r in upserts)], dtype=np.int64)
        keep = ~np.isin(self.ids, drop)
        new_ids = np.array([r.id for r in upserts], dtype=np.int64)
        ids = np.concatenate([self.ids[keep], new_ids])
        order = np.argsort(ids, kind="stable")
        codes: dict[str, npt.NDArray[np.int32]] = {}
        categories: dict[str, pd.Index] = {}
        for key in KEYWORDS:
            values = [r.payload.get(key) for r in upserts]
            cats = self._categories[key]
            extra = sorted({str(v) for v in values if v is not None} - set(map(str, cats)))
            cats = cats.append(pd.Index(extra)) if extra else cats
            code_of = {str(v): i for i, v in enumerate(cats)}
            added = np.array([code_of.get(str(v), -1) for v in values], dtype=np.int32)
            codes[key] = np.concatenate([self._codes[key][keep], added])[order]
            categories[key] = cats
        numbers = {
            k: np.concatenate(
                [
                    self._numbers[k][keep],
                    np.array([r.payload.get(k, np.nan) for r in upserts], dtype=np.float64),
                ]
            )[order]
            for k in NUMBERS
        }
        slim = set(KEYWORDS) | set(NUMBERS)
        kept = [p for p, k in zip(self._payloads, keep, strict=True) if k]
        fresh = [
            {k: v for k, v in r.payload.items() if k in slim and v is not None} for r in upserts
        ]
        every = [*kept, *fresh]
        out = Columns.__new__(Columns)
        out._set(ids[order], codes, categories, numbers, [every[i] for i in order])
        return out

    def patched(self, updates: dict[int, dict[str, Any]]) -> Columns:
        """A copy with some fields of known rows changed (``updates``: point id → the slim
        fields that change); this object is left as it is. The cheap path of a price or stock
        change: the arrays are copied, not rebuilt, and the caches of the fields no update
        touches are kept (masks, sort orders)."""
        rows = {pid: self._row[pid] for pid in updates if pid in self._row}
        touched = {k for pid in rows for k in updates[pid]}
        codes, categories = dict(self._codes), dict(self._categories)
        numbers = dict(self._numbers)
        for key in touched & set(KEYWORDS):
            cats = categories[key]
            values = {str(u[key]) for pid in rows if (u := updates[pid]).get(key) is not None}
            extra = sorted(values - set(map(str, cats)))
            if extra:
                cats = categories[key] = cats.append(pd.Index(extra))
            code_of = {str(v): i for i, v in enumerate(cats)}
            column = codes[key] = codes[key].copy()
            for pid, i in rows.items():
                if key in updates[pid]:
                    v = updates[pid][key]
                    column[i] = -1 if v is None else code_of[str(v)]
        for key in touched & set(NUMBERS):
            nums = numbers[key] = numbers[key].copy()
            for pid, i in rows.items():
                if key in updates[pid]:
                    v = updates[pid][key]
                    nums[i] = np.nan if v is None else float(v)
        payloads = list(self._payloads)
        for pid, i in rows.items():
            merged = {**payloads[i], **updates[pid]}
            payloads[i] = {k: v for k, v in merged.items() if v is not None}
        out = Columns.__new__(Columns)
        out.ids, out._row = self.ids, self._row
        out._codes, out._categories, out._numbers, out._payloads = (
            codes,
            categories,
            numbers,
            payloads,
        )
        out._code_of = {
            key: (
                {str(v): i for i, v in enumerate(categories[key])}
                if key in touched
                else self._code_of[key]
            )
            for key in categories
        }
        # Request threads add to these caches meanwhile: copy each in one step (list() of a
        # dict's items runs without handing the interpreter over), then filter the copy.
        out._masks = {m: a for m, a in list(self._masks.items()) if m.key not in touched}
        out._desc = {k: v for k, v in list(self._desc.items()) if k not in touched}
        out._aligned = dict(self._aligned)
        out._by_code = {k: v for k, v in list(self._by_code.items()) if k not in touched}
        return out

    @classmethod
    def load(cls, reader: StoreReader, article_ids: Sequence[str]) -> Columns:
        start = time.perf_counter()
        fields = [*KEYWORDS, *NUMBERS]
        pids = [point_id(a) for a in article_ids]
        rows: list[dict[str, Any]] = []
        found: list[int] = []
        for lo in range(0, len(pids), CHUNK):
            for r in reader.retrieve("articles", pids[lo : lo + CHUNK], payload_fields=fields):
                found.append(r.id)
                rows.append(r.payload)
        frame = pd.DataFrame(rows, columns=fields)
        columns = cls(np.array(found, dtype=np.int64), frame)
        log.info("columns: %d articles in %.1f s", len(found), time.perf_counter() - start)
        return columns

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The row of each point id, -1 where it is not an article of this version."""
        return find_sorted(self.ids, ids)

    def aligned(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64] | None:
        """`rows` of a fixed id array (another table's row order), computed once per array:
        a filter mask over these columns, indexed by the result, is in that table's order.
        None when the orders are the same (the usual case: both follow the article ids)."""
        found = self._aligned.get(id(ids))
        if found is None or found[0] is not ids:
            rows = self.rows(ids)
            same = len(rows) == len(self.ids) and bool((rows == np.arange(len(rows))).all())
            found = (ids, None if same else rows)  # the array is kept: its id is not reused
            self._aligned[id(ids)] = found
        return found[1]

    def numbers(self, key: str, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """A number field of the rows (NaN where an article has none)."""
        out: npt.NDArray[np.float64] = self._numbers[key][rows]
        return out

    def codes(self, key: str, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
        """A keyword field of the rows as integer codes: equal codes, equal values (-1: none)."""
        return self._codes[key][rows]

    def rows_with(self, key: str, codes: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The rows whose keyword ``key`` has one of these codes (`codes`), ascending: other
        colours of a product without a pass over every row (its sort order is kept)."""
        found = self._by_code.get(key)
        if found is None:
            column = self._codes[key]
            order = np.argsort(column, kind="stable")
            found = self._by_code[key] = (order, column[order])
        order, values = found
        wanted = np.unique(np.asarray(codes, dtype=np.int32))
        wanted = wanted[wanted >= 0]
        lo = np.searchsorted(values, wanted, side="left")
        hi = np.searchsorted(values, wanted, side="right")
        if not len(wanted) or not (hi > lo).any():
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.concatenate([order[a:b] for a, b in zip(lo, hi, strict=True)])).astype(
            np.int64
        )

    def payload(self, row: int) -> dict[str, Any]:
        """The slim payload of one row, shared: read it, never change it."""
        return self._payloads[row]

    def payload_of(self, pid: int) -> dict[str, Any]:
        """The slim payload of one point id (empty when it is not a row), shared: read only."""
        i = self._row.get(pid)
        return self._payloads[i] if i is not None else {}

    def has_value(self, key: str, value: str) -> bool:
        """Whether some article has ``value`` in the keyword field ``key``."""
        return value in self._code_of[key]

    def count_match(self, cond: Match) -> int:
        """How many rows a keyword condition matches (no other filter)."""
        return int(self._match(cond).sum())

    def records(self, ids: Sequence[int]) -> list[Record]:
        """Slim records of the ``ids`` that exist, in the order given (as `retrieve`)."""
        out = []
        for pid in ids:
            i = self._row.get(pid)
            if i is not None:
                out.append(Record(id=pid, payload=dict(self._payloads[i])))
        return out

    # --- filters ---------------------------------------------------------------------------

    def _match(self, cond: Match) -> BoolArray:
        found = self._masks.get(cond)
        if found is not None:
            return found
        code_of = self._code_of[cond.key]
        # A look-up table over the codes, one slot more for -1 (missing): never a match.
        table = np.zeros(len(code_of) + 1, dtype=bool)
        table[[code_of[v] for v in cond.values if v in code_of]] = True
        out: BoolArray = table[self._codes[cond.key]]
        out.flags.writeable = False  # shared between requests: read only
        if len(self._masks) >= MASKS_KEPT:
            self._masks.clear()
        self._masks[cond] = out  # facets of one page ask for the same conditions again
        return out

    def _range(self, cond: Range) -> BoolArray:
        values = self._numbers[cond.key]
        ok: BoolArray = ~np.isnan(values)
        if cond.gte is not None:
            ok &= values >= cond.gte
        if cond.lte is not None:
            ok &= values <= cond.lte
        return ok

    def _condition(self, cond: Match | Range | AnyOf) -> BoolArray:
        if isinstance(cond, Match):
            return self._match(cond)
        if isinstance(cond, Range):
            return self._range(cond)
        out = np.zeros(len(self.ids), dtype=bool)
        for c in cond.conditions:
            out |= self._condition(c)
        return out

    def _id_mask(self, ids: Sequence[int]) -> BoolArray:
        rows = [r for r in map(self._row.get, ids) if r is not None]
        out = np.zeros(len(self.ids), dtype=bool)
        out[rows] = True
        return out

    def mask(self, flt: Filter | None) -> BoolArray:
        """Which rows match ``flt`` (the store's semantics)."""
        out = np.ones(len(self.ids), dtype=bool)
        if flt is None:
            return out
        for cond in flt.must:
            out &= self._condition(cond)
        for m in flt.must_not:
            out &= ~self._match(m)
        for group in flt.none_of:
            held = np.ones(len(self.ids), dtype=bool)
            for cond in group:
                held &= self._condition(cond)
            out &= ~held
        if flt.exclude_ids:
            out &= ~self._id_mask(flt.exclude_ids)
        if flt.only_ids is not None:
            out &= self._id_mask(flt.only_ids)
        return out

    def matches(self, flt: Filter | None, rows: npt.NDArray[np.int64]) -> BoolArray:
        """`mask` at ``rows`` only (valid rows of these columns): what a few candidates or
        pins need, without a pass over the whole catalog."""
        out = np.ones(len(rows), dtype=bool)
        if flt is None or not len(rows):
            return out
        for cond in flt.must:
            out &= self._condition_at(cond, rows)
        for m in flt.must_not:
            out &= ~self._condition_at(m, rows)
        for group in flt.none_of:
            held = np.ones(len(rows), dtype=bool)
            for cond in group:
                held &= self._condition_at(cond, rows)
            out &= ~held
        ids = self.ids[rows]
        if flt.exclude_ids:
            out &= ~np.isin(ids, np.asarray(flt.exclude_ids, dtype=np.int64))
        if flt.only_ids is not None:
            out &= np.isin(ids, np.asarray(flt.only_ids, dtype=np.int64))
        return out

    def _condition_at(self, cond: Match | Range | AnyOf, rows: npt.NDArray[np.int64]) -> BoolArray:
        if isinstance(cond, Match):
            code_of = self._code_of[cond.key]
            wanted = [code_of[v] for v in cond.values if v in code_of]
            return np.isin(self._codes[cond.key][rows], np.asarray(wanted, dtype=np.int32))
        if isinstance(cond, Range):
            values = self._numbers[cond.key][rows]
            ok: BoolArray = ~np.isnan(values)
            if cond.gte is not None:
                ok &= values >= cond.gte
            if cond.lte is not None:
                ok &= values <= cond.lte
            return ok
        out = np.zeros(len(rows), dtype=bool)
        for c in cond.conditions:
            out |= self._condition_at(c, rows)
        return out

    def count(self, flt: Filter | None) -> int:
        return int(self.mask(flt).sum())

    def distinct(self, key: str, flt: Filter | None, having: str | None = None) -> int:
        """How many values of a keyword field the matching rows have (only rows with a
        ``having`` number, when given): the products of a list collapsed by product_code."""
        mask = self.mask(flt)
        if having is not None:
            mask &= ~np.isnan(self._numbers[having])
        codes = self._codes[key][mask]
        return int(np.unique(codes[codes >= 0]).size)

    def facet(self, key: str, flt: Filter | None, limit: int = 100) -> dict[str, int]:
        """Counts of each value of a keyword field among matching rows, largest first."""
        codes = self._codes[key][self.mask(flt)]
        counts = np.bincount(codes[codes >= 0], minlength=len(self._categories[key]))
        names = self._categories[key]
        hits = sorted(
            ((str(names[c]), int(n)) for c, n in enumerate(counts) if n),
            key=lambda h: (-h[1], h[0]),
        )
        return dict(hits[:limit])

    def _by_value_desc(self, key: str) -> npt.NDArray[np.intp]:
        """Rows that have a ``key`` value, highest first and ties by point id; sorted once per
        key (the columns are read-only for the life of an index version)."""
        found = self._desc.get(key)
        if found is None:
            values = self._numbers[key]
            rows = np.flatnonzero(~np.isnan(values))
            found = rows[np.lexsort((self.ids[rows], -values[rows]))]
            self._desc[key] = found
        return found

    def top(self, key: str, flt: Filter | None, n: int) -> list[Record]:
        """The ``n`` matching rows with the highest ``key`` (ties by point id), slim records:
        the store's ``scroll(order_by=(key, "desc"))`` for a number field."""
        order, mask = self._by_value_desc(key), self.mask(flt)
        # Walk a growing head of the sorted rows: a broad filter fills n within the first few n.
        k = 4 * n
        while True:
            head = order[:k]
            rows = head[mask[head]]
            if len(rows) >= n or k >= len(order):
                break
            k *= 4
        return self.records([int(self.ids[r]) for r in rows[:n]])

    def bounds(self, key: str, flt: Filter | None) -> tuple[float, float] | None:
        """Lowest and highest value of a number field among matching rows (None if none)."""
        values = self._numbers[key][self.mask(flt)]
        values = values[~np.isnan(values)]
        if not len(values):
            return None
        return float(values.min()), float(values.max())
