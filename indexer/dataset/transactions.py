"""Reading and validating transactions_train.csv, streamed in blocks, into numpy arrays.

At the real size (31.8M rows, 3.4 GB) the file is never held whole: each 16 MB block is
checked and reduced to five small numeric arrays before the next is read. Dates, prices,
channels and article ids are dictionary-encoded by the reader, so they are checked once per
distinct value in a block; customer ids go through `CustomerLookup`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.catalog import EPOCH, TRANSACTIONS, Column
from indexer.dataset.checks import OK, UNKNOWN, as_numpy, check, row_reasons
from indexer.dataset.csvfile import (
    BINARY,
    DICT,
    CsvScan,
    file_progress,
    newline_counts,
    with_fallback,
)
from indexer.dataset.ids import ArticleLookup, CustomerLookup
from indexer.dataset.lines import LineMap, Reject, file_rejects

log = logging.getLogger(__name__)

_SPEC: dict[str, Column] = {c.name: c for c in TRANSACTIONS.columns}
_TYPES = {**dict.fromkeys(TRANSACTIONS.names, DICT), "customer_id": BINARY}
BLOCK_SIZE = 16 << 20  # bytes per parsed block: bounds memory, amortises per-block work


@dataclass(frozen=True)
class Transactions:
    """Valid transactions as parallel arrays, sorted by day (stable: file order within a day)."""

    day: np.ndarray  # int32, days since 1970-01-01
    customer_idx: np.ndarray  # int32, row in Dataset.customers
    article_idx: np.ndarray  # int32, row in Dataset.articles
    price: np.ndarray  # float32
    channel: np.ndarray  # int8, 1 = store, 2 = online

    def __len__(self) -> int:
        return len(self.day)


@dataclass(frozen=True)
class TransactionsResult:
    transactions: Transactions
    rows: int  # every data record, rejected ones included
    valid: int  # valid records, before `until` is applied
    rejects: list[Reject]
    seconds: float


@dataclass
class _Pass:
    """State of one pass over the file (a fallback pass starts a fresh one)."""

    articles: ArticleLookup
    customers: CustomerLookup
    until_day: int | None
    keep: bool
    kept: int = 0  # rows parsed so far (valid or not): index of the next batch's first row
    valid: int = 0
    parts: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    bad_rows: list[np.ndarray] = field(default_factory=list)
    bad_spans: list[np.ndarray] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def read_transactions(
    path: Path,
    articles: ArticleLookup,
    customers: CustomerLookup,
    *,
    until: date | None = None,
    keep: bool = True,
) -> TransactionsResult:
    """Check every row against the schema and the valid articles and customers.

    `until` keeps only rows with ``t_dat < until`` in the arrays (all rows are still checked and
    counted); `keep=False` checks without collecting arrays (validation only).
    """
    start = time.perf_counter()
    until_day = None if until is None else (until - EPOCH).days
    scan = CsvScan(path, TRANSACTIONS, dict(_TYPES), block_size=BLOCK_SIZE)

    def one_pass(scan: CsvScan) -> _Pass:
        state = _Pass(articles, customers, until_day, keep)
        for batch in scan.batches():
            _check_batch(state, batch)
        return state

    with file_progress(path) as progress:
        scan.on_progress = progress
        state = with_fallback(scan, one_pass)
    bad = np.concatenate([np.zeros(0, np.int64), *state.bad_rows])
    spans = np.concatenate([np.ones(0, np.int64), *state.bad_spans])
    multi = spans > 1  # only a rejected row can hold a line break
    line_map = LineMap.build(scan.skipped, bad[multi], spans[multi] - 1)
    rejects = file_rejects(path, 5, line_map, scan.skipped, (bad, state.reasons, spans))
    seconds = time.perf_counter() - start
    rows = state.kept + len(scan.skipped)
    log.info("%s: %d rows, %d rejected in %.1f s", path.name, rows, len(rejects), seconds)
    return TransactionsResult(_assemble(state.parts), rows, state.valid, rejects, seconds)


def _check_batch(state: _Pass, batch: pa.RecordBatch) -> None:
    columns = {name: batch.column(name) for name in TRANSACTIONS.names}
    day = check(columns["t_dat"], _SPEC["t_dat"])
    price = check(columns["price"], _SPEC["price"])
    codes = {
        "t_dat": day.codes,
        "customer_id": np.zeros(batch.num_rows, np.uint8),
        "article_id": np.zeros(batch.num_rows, np.uint8),
        "price": price.codes,
        "sales_channel_id": check(columns["sales_channel_id"], _SPEC["sales_channel_id"]).codes,
    }
    customer = state.customers.find(columns["customer_id"])
    article = state.articles.find(columns["article_id"])
    _explain_missing(codes, columns, "customer_id", customer)
    _explain_missing(codes, columns, "article_id", article)
    ok = np.logical_and.reduce([c == OK for c in codes.values()])
    bad = np.flatnonzero(~ok)
    if len(bad):
        taken = [col.take(pa.array(bad)) for col in columns.values()]
        state.bad_rows.append(bad + state.kept)
        state.bad_spans.append(1 + newline_counts(taken, len(bad)))
        state.reasons.extend("; ".join(r) for r in row_reasons(bad, codes, columns))
    state.kept += batch.num_rows
    state.valid += int(ok.sum())
    if not state.keep:
        return
    if state.until_day is not None:
        assert day.values is not None
        ok &= day.values < state.until_day
    channel = _channels(columns["sales_channel_id"])
    assert day.values is not None and price.values is not None
    state.parts.append(
        (
            day.values[ok],
            customer[ok],
            article[ok],
            price.values[ok].astype(np.float32),
            channel[ok],
        )
    )


def _explain_missing(
    codes: dict[str, np.ndarray], columns: dict[str, pa.Array], name: str, rows: np.ndarray
) -> None:
    """Where an id was not found: a malformed or empty id, else an unknown (or rejected) one."""
    lost = np.flatnonzero(rows < 0)
    if not len(lost):
        return
    own = check(columns[name].take(pa.array(lost)), _SPEC[name]).codes
    codes[name][lost] = np.where(own == OK, UNKNOWN, own)


def _channels(column: pa.Array) -> np.ndarray:
    """int8 channel per row (0 where invalid; those rows are dropped anyway)."""
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    values = [int(v) if v in (b"1", b"2") else 0 for v in column.dictionary.to_pylist()]
    channel: np.ndarray = np.array(values, np.int8)[as_numpy(column.indices)]
    return channel


def _assemble(parts: list[tuple[np.ndarray, ...]]) -> Transactions:
    dtypes = (np.int32, np.int32, np.int32, np.float32, np.int8)
    arrays = [
        np.concatenate([np.zeros(0, dt), *(p[i] for p in parts)]).astype(dt, copy=False)
        for i, dt in enumerate(dtypes)
    ]
    parts.clear()
    day = arrays[0]
    if len(day) > 1 and (np.diff(day) < 0).any():
        order = np.argsort(day, kind="stable")
        arrays = [a[order] for a in arrays]
    return Transactions(*arrays)
