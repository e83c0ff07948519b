"""Reading and validating the two keyed files, articles.csv and customers.csv.

Both fit in memory as Arrow columns at the real size (105k and 1.37M rows), so each is read
whole and every column checked at once. A repeated key keeps its first valid row: a broken row
followed by its corrected copy keeps the copy.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.catalog import FileSchema, Kind
from indexer.dataset.checks import OK, Checked, as_numpy, check, row_reasons
from indexer.dataset.csvfile import BINARY, CsvScan, file_progress, newline_counts, with_fallback
from indexer.dataset.lines import LineMap, Reject, decode, file_rejects

log = logging.getLogger(__name__)

Columns = dict[str, pa.Array]


@dataclass(frozen=True)
class TableResult:
    """The valid rows of one keyed file as typed Arrow columns, and what was rejected."""

    table: pa.Table  # text as string, INT as int64 (float64 with NaN when nullable)
    rows: int  # every data record, rejected ones included
    rejects: list[Reject]
    seconds: float


def read_table(path: Path, schema: FileSchema) -> TableResult:
    """Read, check and type one keyed file; rows failing any check go to `rejects`."""
    start = time.perf_counter()
    scan = CsvScan(path, schema, dict.fromkeys(schema.names, BINARY), block_size=32 << 20)
    with file_progress(path) as progress:
        scan.on_progress = progress
        raw = with_fallback(scan, _read_all)
    n = len(raw[schema.names[0]])
    checked = {c.name: check(raw[c.name], c) for c in schema.columns}
    codes = {name: c.codes for name, c in checked.items()}
    row_ok = np.logical_and.reduce([c == OK for c in codes.values()], initial=True)
    row_ok = np.broadcast_to(row_ok, n).copy()
    later, first = _repeated(raw, schema, row_ok)
    row_ok[later] = False
    newlines = newline_counts(list(raw.values()), n)
    line_map = LineMap.build(scan.skipped, np.flatnonzero(newlines), newlines[newlines > 0])
    bad = np.flatnonzero(~row_ok)
    reasons = ["; ".join(r) for r in row_reasons(bad, codes, raw)]
    _explain_repeated(reasons, bad, (later, first), schema, raw, line_map)
    found = (bad, reasons, 1 + newlines[bad])
    rejects = file_rejects(path, len(schema.names), line_map, scan.skipped, found)
    table = _typed(raw, schema, checked, np.flatnonzero(row_ok))
    seconds = time.perf_counter() - start
    total = n + len(scan.skipped)
    log.info("%s: %d rows, %d rejected in %.1f s", path.name, total, len(rejects), seconds)
    return TableResult(table, total, rejects, seconds)


def _read_all(scan: CsvScan) -> Columns:
    batches = list(scan.batches())
    if not batches:
        return {name: pa.array([], BINARY) for name in scan.schema.names}
    table = pa.Table.from_batches(batches)
    return {name: table.column(name).combine_chunks() for name in scan.schema.names}


def _repeated(raw: Columns, schema: FileSchema, row_ok: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rows (among the otherwise valid ones) whose key came before, and that earlier row."""
    if schema.unique_key is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    valid = np.flatnonzero(row_ok)
    keys = pc.dictionary_encode(raw[schema.unique_key].take(pa.array(valid, pa.int64())))
    codes = as_numpy(keys.indices)
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    first_row = first[inverse]
    later = first_row != np.arange(len(codes))
    return valid[later], valid[first_row[later]]


def _explain_repeated(
    reasons: list[str],
    bad: np.ndarray,
    repeated: tuple[np.ndarray, ...],
    schema: FileSchema,
    raw: Columns,
    line_map: LineMap,
) -> None:
    later, first = repeated
    if not len(later) or schema.unique_key is None:
        return
    first_lines = line_map.lines(line_map.kept_records(first)).tolist()
    values = raw[schema.unique_key].take(pa.array(later, pa.int64())).to_pylist()
    where = np.searchsorted(bad, later).tolist()
    for k, value, line in zip(where, values, first_lines, strict=True):
        reasons[k] = f"repeated {schema.unique_key}: {decode(value)!r} (first on line {line})"


def _typed(
    raw: Columns, schema: FileSchema, checked: dict[str, Checked], rows: np.ndarray
) -> pa.Table:
    """The valid rows with typed columns; empty text stays "", an empty number becomes NaN."""
    take = pa.array(rows, pa.int64())
    columns: Columns = {}
    for spec in schema.columns:
        values = checked[spec.name].values
        if spec.kind is Kind.INT and values is not None and spec.nullable:
            empty = pc.equal(pc.binary_length(raw[spec.name].take(take)), 0)
            columns[spec.name] = pa.array(np.where(as_numpy(empty), np.nan, values[rows]))
        elif spec.kind in (Kind.INT, Kind.FLOAT) and values is not None:
            columns[spec.name] = pa.array(values[rows])
        else:
            columns[spec.name] = decode_text(raw[spec.name].take(take))
    return pa.table(columns)


def decode_text(column: pa.Array) -> pa.Array:
    """Binary to string: UTF-8 where it is valid, Latin-1 for the values that are not."""
    try:
        return pc.cast(column, pa.string())
    except pa.ArrowInvalid:
        return pa.array([decode(v) for v in column.to_pylist()], pa.string())
