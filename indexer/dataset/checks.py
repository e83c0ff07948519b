"""Vectorised checks of one column's values against `core.catalog`, with typed results.

A check returns a problem code per row (0 = fine) and the parsed values. Dictionary-encoded
columns are checked once per distinct value and the result spread with the indices, so a
date or a price column of 31.8M rows costs a few thousand checks. Reason texts are built only
for the rows that fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.catalog import AGE_RANGE, EPOCH, PRICE_RANGE, Column, Kind

OK, MISSING, NUMBER, DATE, FORMAT, NOT_ALLOWED, RANGE, UNKNOWN, REPEATED = range(9)

_PATTERNS = {
    Kind.ID10: r"^[0-9]{10}$",
    Kind.ID7: r"^[0-9]{7}$",
    Kind.HEX64: r"^[0-9a-f]{64}$",
    # Re-saved files write whole numbers as "25.0"; 18 digits keep every value in int64.
    Kind.INT: r"^-?[0-9]{1,18}(\.0*)?$",
    Kind.FLOAT: r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$",
    Kind.DATE: r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
}
RANGES: dict[str, tuple[float, float]] = {"price": PRICE_RANGE, "age": AGE_RANGE}


def as_numpy(array: pa.Array) -> np.ndarray:
    """An Arrow array as numpy (a copy only where Arrow's layout requires one)."""
    return np.asarray(array.to_numpy(zero_copy_only=False))


@dataclass(frozen=True)
class Checked:
    """Problem code per row and the parsed values (meaningful where the code is OK)."""

    codes: np.ndarray  # uint8, one per row
    values: np.ndarray | None  # int64 (INT), float64 (FLOAT), int32 days (DATE); else None


def check(column: pa.Array, spec: Column) -> Checked:
    """Check a binary (or dictionary of binary) array of one column."""
    if pa.types.is_dictionary(column.type):
        inner = _check_values(column.dictionary, spec)
        indices = as_numpy(column.indices)
        values = None if inner.values is None else inner.values[indices]
        return Checked(inner.codes[indices], values)
    if spec.kind is Kind.DATE:  # parsed in Python, so once per distinct value
        return check(pc.dictionary_encode(column), spec)
    return _check_values(column, spec)


def _check_values(column: pa.Array, spec: Column) -> Checked:
    if spec.kind is Kind.DATE:
        return _check_dates(column, spec)
    empty = as_numpy(pc.equal(pc.binary_length(column), 0))
    codes = np.where(empty & (not spec.nullable), MISSING, OK).astype(np.uint8)
    present = ~empty
    values: np.ndarray | None = None
    if spec.kind is Kind.ENUM:
        allowed = pa.array(sorted(v.encode() for v in spec.allowed), pa.binary())
        bad = ~as_numpy(pc.is_in(column, value_set=allowed))
        codes[present & bad] = NOT_ALLOWED
    elif spec.kind in _PATTERNS:
        well_formed = pc.match_substring_regex(column, _PATTERNS[spec.kind])
        bad = present & ~as_numpy(well_formed)
        codes[bad] = FORMAT if spec.kind in (Kind.ID10, Kind.ID7, Kind.HEX64) else NUMBER
        if spec.kind in (Kind.INT, Kind.FLOAT):
            values = _parse_numbers(column, well_formed, spec.kind)
            codes[present & ~bad & _out_of_range(values, spec.name)] = RANGE
    return Checked(codes, values)


def _parse_numbers(column: pa.Array, well_formed: pa.Array, kind: Kind) -> np.ndarray:
    text = pc.cast(pc.if_else(well_formed, column, pa.scalar(b"0", pa.binary())), pa.string())
    if kind is Kind.INT:
        text = pc.replace_substring_regex(text, r"\.0*$", "")
        return as_numpy(pc.cast(text, pa.int64()))
    return as_numpy(pc.cast(text, pa.float64()))


def _out_of_range(values: np.ndarray, name: str) -> np.ndarray:
    if name not in RANGES:
        return np.zeros(len(values), dtype=bool)
    lo, hi = RANGES[name]
    with np.errstate(invalid="ignore"):
        return ~((values >= lo) & (values <= hi))  # NaN and inf fall outside too


def _check_dates(column: pa.Array, spec: Column) -> Checked:
    """`date.fromisoformat` is strict about days per month, unlike Arrow's strptime."""
    days = np.zeros(len(column), dtype=np.int32)
    codes = np.zeros(len(column), dtype=np.uint8)
    well_formed = pc.match_substring_regex(column, _PATTERNS[Kind.DATE]).to_pylist()
    for i, (raw, ok) in enumerate(zip(column.to_pylist(), well_formed, strict=True)):
        if not raw:
            codes[i] = OK if spec.nullable else MISSING
            continue
        try:
            days[i] = (date.fromisoformat(raw.decode()) - EPOCH).days if ok else 0
            codes[i] = OK if ok else DATE
        except ValueError:
            codes[i] = DATE
    return Checked(codes, days)


def describe(code: int, column: str, value: bytes) -> str:
    """The reason text for one problem in one column; `value` is the raw field."""
    shown = value.decode("utf-8", "replace")
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    if code == MISSING:
        return f"missing value: {column}"
    if code == NUMBER:
        return f"unparsable number: {column}={shown!r}"
    if code == DATE:
        return f"unparsable date: {column}={shown!r}"
    if code == FORMAT:
        return f"bad id format: {column}={shown!r}"
    if code == NOT_ALLOWED:
        return f"value not allowed: {column}={shown!r}"
    if code == RANGE:
        lo, hi = RANGES[column]
        return f"out of range: {column}={shown!r} (allowed {lo} to {hi})"
    if code == UNKNOWN:
        return f"unknown {column}: {shown!r}"
    raise ValueError(f"no reason text for code {code}")


def row_reasons(
    rows: np.ndarray, codes: dict[str, np.ndarray], columns: dict[str, pa.Array]
) -> list[list[str]]:
    """For each row index in `rows`, the reasons of every column whose code is not OK."""
    out: list[list[str]] = [[] for _ in rows]
    for name, column_codes in codes.items():
        picked = column_codes[rows]
        if not picked.any():
            continue
        where = np.flatnonzero(picked)
        raw = columns[name].take(pa.array(rows[where])).to_pylist()
        for k, value in zip(where.tolist(), raw, strict=True):
            out[k].append(describe(int(picked[k]), name, value))
    return out
