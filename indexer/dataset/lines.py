"""Line numbers and raw text of rejected rows, and the rejects file itself.

Batches hold only the rows that parsed; a rejected row is named by its index among those kept
rows. `LineMap` turns that index into the physical line number (header = line 1), taking into
account the records Arrow skipped and line breaks inside quoted values. The raw text is then
read back from the file, only for the rejected rows, in one streaming pass.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.dataset.csvfile import SkippedRow

REJECT_COLUMNS = ("file", "line", "reason", "raw")
_CHUNK = 16 << 20


@dataclass(frozen=True)
class LineMap:
    """Maps kept-row indices and record numbers of one file to physical line numbers."""

    skipped: np.ndarray  # record numbers of skipped rows, sorted
    nl_records: np.ndarray  # records holding line breaks, sorted
    nl_cumulative: np.ndarray  # line breaks in all records before nl_records[i], length + 1

    @classmethod
    def build(
        cls, skipped: Sequence[SkippedRow], kept_rows: np.ndarray, kept_newlines: np.ndarray
    ) -> LineMap:
        """`kept_rows`/`kept_newlines`: kept rows (index) that hold line breaks, and how many."""
        skipped_records = np.sort(np.array([s.record for s in skipped], dtype=np.int64))
        bare = cls(skipped_records, np.zeros(0, np.int64), np.zeros(1, np.int64))
        records = np.concatenate(
            [
                bare.kept_records(np.asarray(kept_rows, np.int64)),
                np.array([s.record for s in skipped if s.newlines], np.int64),
            ]
        )
        counts = np.concatenate(
            [
                np.asarray(kept_newlines, np.int64),
                np.array([s.newlines for s in skipped if s.newlines], np.int64),
            ]
        )
        order = np.argsort(records, kind="stable")
        cumulative = np.concatenate([[0], np.cumsum(counts[order])])
        return cls(skipped_records, records[order], cumulative)

    def kept_records(self, rows: np.ndarray) -> np.ndarray:
        """Record number (header = 1) of each kept row index (0-based)."""
        rows = np.asarray(rows, np.int64)
        # The j-th skipped record (0-based) has skipped[j] - 2 - j kept rows before it.
        kept_before = self.skipped - 2 - np.arange(len(self.skipped))
        return np.asarray(rows + 2 + np.searchsorted(kept_before, rows, side="right"))

    def lines(self, records: np.ndarray) -> np.ndarray:
        """Physical line number (header = 1) on which each record starts."""
        records = np.asarray(records, np.int64)
        shift = self.nl_cumulative[np.searchsorted(self.nl_records, records, "left")]
        return np.asarray(records + shift)


def read_records(path: Path, starts: np.ndarray, spans: np.ndarray) -> list[bytes]:
    """The bytes of lines ``starts[i] .. starts[i] + spans[i] - 1`` (1-based), in one pass.

    `starts` must be sorted. Line ends (``\\n``, ``\\r\\n``) of the last line are dropped.
    """
    out: list[bytes] = []
    if len(starts) == 0:
        return out
    wanted = list(zip(np.asarray(starts).tolist(), np.asarray(spans).tolist(), strict=True))
    base, carry, j = 1, b"", 0  # `carry` begins with line `base`
    with path.open("rb") as fh:
        while j < len(wanted):
            chunk = fh.read(_CHUNK)
            buffer = carry + chunk
            ends = np.flatnonzero(np.frombuffer(buffer, np.uint8) == 0x0A)
            if not chunk and (not ends.size or ends[-1] != len(buffer) - 1):
                ends = np.append(ends, len(buffer))  # the last line has no line end
            begins = np.concatenate([[0], ends + 1])
            complete = len(ends)
            while j < len(wanted) and wanted[j][0] + wanted[j][1] - 1 < base + complete:
                first, span = wanted[j]
                out.append(buffer[begins[first - base] : ends[first + span - 1 - base]])
                j += 1
            if not chunk:
                break
            keep_from = min(wanted[j][0], base + complete) if j < len(wanted) else base + complete
            carry = buffer[begins[keep_from - base] :]
            base = keep_from
    out.extend(b"" for _ in range(len(wanted) - len(out)))  # past the end: cannot happen
    return [raw.removesuffix(b"\r") for raw in out]


def decode(raw: bytes) -> str:
    """UTF-8 when it is UTF-8, else Latin-1 (the one encoding that never fails)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


@dataclass(frozen=True)
class Reject:
    file: str
    line: int | None  # None for an image
    reason: str
    raw: str


class RejectsWriter:
    """Writes the rejects CSV (file, line, reason, raw) as each input is finished."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._fh)
        self._writer.writerow(REJECT_COLUMNS)
        self.count = 0

    def write(self, rejects: Iterable[Reject]) -> None:
        for r in rejects:
            self._writer.writerow((r.file, "" if r.line is None else r.line, r.reason, r.raw))
            self.count += 1

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> RejectsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def file_rejects(
    path: Path,
    width: int,
    line_map: LineMap,
    skipped: Sequence[SkippedRow],
    bad: tuple[np.ndarray, list[str], np.ndarray],
) -> list[Reject]:
    """Rejects of one CSV file in line order: `bad` = (kept row indices, reasons, line spans)."""
    rows, reasons, spans = bad
    starts = line_map.lines(line_map.kept_records(rows))
    all_starts = np.concatenate(
        [starts, line_map.lines(np.array([s.record for s in skipped], np.int64))]
    )
    all_spans = np.concatenate([spans, [1 + s.newlines for s in skipped]]).astype(np.int64)
    all_reasons = list(reasons) + [
        f"wrong column count: {s.columns} (expected {width})" for s in skipped
    ]
    order = np.argsort(all_starts, kind="stable")
    raws = read_records(path, all_starts[order], all_spans[order])
    out: list[Reject] = []
    for k, raw in zip(order.tolist(), raws, strict=True):
        reason = all_reasons[k] if raw.strip() else "wrong column count: empty line"
        out.append(Reject(path.name, int(all_starts[k]), reason, decode(raw)))
    return out
