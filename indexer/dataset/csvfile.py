"""Reading one H&M CSV file as Arrow record batches, keeping what line numbers need.

Every column is read as bytes (``binary``, or dictionary-encoded binary where few distinct
values repeat), so a Latin-1 byte or a malformed number never stops the reader: checks come
later, vectorised. Rows with a wrong column count are skipped by Arrow and remembered by their
record number. Arrow parses serially (``use_threads=False``) because only then does it report
those record numbers; at the real size the serial parse is as fast as the threaded one on the
two cores here, measured.

Quotes are honoured only in files with free text (articles.csv). customers.csv and
transactions_train.csv can hold no comma, quote or line break in a valid value, so they are read
with quoting off: a stray quote then spoils its own row instead of swallowing the rows after it.

Arrow gives up on a few malformed files (a stray quote that swallows more than a block, or a
short row holding non-UTF-8 bytes, which it cannot hand to the row handler). Then the same file
is read again by Python's csv module, slower but never stuck; both paths yield identical batches.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from tqdm import tqdm

from core.catalog import FileSchema, Kind
from core.errors import DataFormatError
from indexer.dataset.checks import as_numpy

log = logging.getLogger(__name__)

T = TypeVar("T")
BINARY = pa.binary()
DICT = pa.dictionary(pa.int32(), pa.binary())
_FALLBACK_ROWS = 100_000


def check_header(path: Path, schema: FileSchema) -> None:
    """Raise `DataFormatError` unless `path` exists, is non-empty and has the schema's header."""
    if not path.is_file():
        raise DataFormatError(str(path), "file not found")
    with path.open("rb") as fh:
        first = fh.readline(64 * 1024)
    first = first.removeprefix(codecs.BOM_UTF8)
    if not first.strip():
        raise DataFormatError(str(path), "empty file (no header line)")
    text = first.decode("latin-1").rstrip("\r\n")
    found = next(csv.reader([text]), [])
    if found != schema.names:
        raise DataFormatError(
            str(path),
            f"wrong header: expected {','.join(schema.names)!r}, found {text[:300]!r}",
        )


@dataclass(frozen=True)
class SkippedRow:
    """A record Arrow could not split into the schema's columns."""

    record: int  # 1-based record number, header = 1
    newlines: int  # line breaks inside the record (quoted values)
    columns: int  # how many columns it had


@dataclass
class CsvScan:
    """One pass over a CSV file: batches of bytes columns plus the rows that did not fit."""

    path: Path
    schema: FileSchema
    types: dict[str, pa.DataType]
    block_size: int = 16 << 20
    fallback: bool = False
    skipped: list[SkippedRow] = field(default_factory=list)
    on_progress: Callable[[int], None] | None = None

    @property
    def quoting(self) -> bool:
        """Whether quotes delimit values: only where a free-text column can hold a comma."""
        return any(c.kind is Kind.TEXT for c in self.schema.columns)

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Yield record batches in file order; `skipped` fills as the reading goes."""
        self.skipped.clear()
        if self.fallback:
            yield from self._python_batches()
        else:
            yield from self._arrow_batches()

    def _arrow_batches(self) -> Iterator[pa.RecordBatch]:
        def on_invalid(row: pacsv.InvalidRow) -> str:
            number = row.number if row.number is not None else -1
            self.skipped.append(SkippedRow(number, row.text.count("\n"), row.actual_columns))
            return "skip"

        read = pacsv.ReadOptions(
            column_names=self.schema.names,
            skip_rows=1,
            use_threads=False,
            block_size=self.block_size,
        )
        parse = pacsv.ParseOptions(
            quote_char='"' if self.quoting else False,
            newlines_in_values=self.quoting,
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid,
        )
        convert = pacsv.ConvertOptions(column_types=self.types, strings_can_be_null=False)
        with pa.OSFile(str(self.path)) as source, _quiet_undecodable_rows(on_invalid):
            try:
                reader = pacsv.open_csv(source, read, parse, convert)
                for batch in reader:
                    if self.on_progress is not None:
                        self.on_progress(source.tell())
                    yield batch
            except pa.ArrowInvalid as exc:
                raise ReaderGaveUp(str(exc)) from exc

    def _python_batches(self) -> Iterator[pa.RecordBatch]:
        width = len(self.schema.names)
        with self.path.open("rb") as raw:
            if raw.read(3) != codecs.BOM_UTF8:
                raw.seek(0)
            # Latin-1 maps every byte to one character, so encoding back gives the bytes.
            text = io.TextIOWrapper(raw, encoding="latin-1", newline="")
            reader = csv.reader(text, quoting=csv.QUOTE_MINIMAL if self.quoting else csv.QUOTE_NONE)
            try:
                next(reader)
                rows: list[list[str]] = []
                record, last_line = 1, reader.line_num
                for fields in reader:
                    record += 1
                    newlines, last_line = reader.line_num - last_line - 1, reader.line_num
                    fields = fields or [""] * width  # Arrow reads an empty line so, too
                    if len(fields) != width:
                        self.skipped.append(SkippedRow(record, newlines, len(fields)))
                        continue
                    rows.append(fields)
                    if len(rows) == _FALLBACK_ROWS:
                        yield self._to_batch(rows)
                        rows = []
                        if self.on_progress is not None:
                            self.on_progress(raw.tell())
            except csv.Error as exc:
                raise DataFormatError(str(self.path), f"unreadable CSV: {exc}") from exc
            if rows:
                yield self._to_batch(rows)

    def _to_batch(self, rows: list[list[str]]) -> pa.RecordBatch:
        arrays: list[pa.Array] = []
        for i, name in enumerate(self.schema.names):
            column = pa.array([r[i].encode("latin-1") for r in rows], BINARY)
            if self.types[name] == DICT:
                column = pc.dictionary_encode(column)
            arrays.append(column)
        return pa.RecordBatch.from_arrays(arrays, names=self.schema.names)


@contextmanager
def _quiet_undecodable_rows(handler: Callable[..., str]) -> Iterator[None]:
    """Silence the traceback Arrow prints when a short row is not UTF-8.

    Arrow decodes the row's text before calling the handler and reports the failure through
    `sys.unraisablehook`, then stops with `ArrowInvalid`, which the fallback handles; the
    traceback would only alarm whoever reads the CLI's output.
    """
    previous = sys.unraisablehook

    def hook(info: Any) -> None:
        if info.exc_type is not UnicodeDecodeError or info.object is not handler:
            previous(info)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


class ReaderGaveUp(Exception):
    """Arrow stopped on a malformed file; the caller reads it again with the Python reader."""


def with_fallback(scan: CsvScan, consume: Callable[[CsvScan], T]) -> T:
    """Run `consume` over the Arrow scan, and once more over the Python scan if Arrow gives up.

    `consume` must start from a clean state on each call: the second call sees every row again.
    """
    try:
        return consume(scan)
    except ReaderGaveUp as exc:
        log.warning("%s: Arrow reader gave up (%s); reading with the csv module", scan.path, exc)
        scan.fallback = True
        return consume(scan)


def newline_counts(columns: list[pa.Array], rows: int) -> np.ndarray:
    """Per row, the line breaks inside the values of `columns` (binary or dictionary arrays)."""
    total = np.zeros(rows, dtype=np.int64)
    for column in columns:
        if pa.types.is_dictionary(column.type):
            per_value = as_numpy(pc.count_substring(column.dictionary, "\n"))
            if per_value.any():
                total += per_value[as_numpy(column.indices)]
        else:
            total += as_numpy(pc.count_substring(column, "\n"))
    return total


@contextmanager
def file_progress(path: Path) -> Iterator[Callable[[int], None]]:
    """A progress bar over the bytes of `path` (shown on a terminal only); yields its updater."""
    total = path.stat().st_size
    with tqdm(total=total, unit="B", unit_scale=True, desc=path.name, disable=None) as bar:

        def update(position: int) -> None:
            bar.update(max(0, min(position, total) - bar.n))

        yield update
