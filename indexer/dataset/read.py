"""Reading and validating a data folder in the H&M Kaggle format (DESIGN §1).

`validate` checks every row of the three CSV files and every image and writes each rejected
row to a rejects CSV (file, line, reason, raw); `load` does the same and returns the valid data.
A missing file, an empty one or a wrong header raises `DataFormatError` before any work; a bad
row never stops the run. The pieces: `csvfile` (Arrow reading, with a csv-module fallback),
`checks` (column checks), `tables` (articles, customers), `transactions`
with `ids` (id lookups), `images` with `verify` (worker side), and
`lines` (line numbers, raw text and the rejects file).

Measured at the real size (31.8M transactions, 1.37M customers, 105k articles), 2 cores: see
bench/load.py.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from core.catalog import ARTICLES, CUSTOMERS, SCHEMAS, TRANSACTIONS
from indexer.dataset.csvfile import check_header
from indexer.dataset.ids import ArticleLookup, CustomerLookup
from indexer.dataset.images import ImageCheck, ImageResult
from indexer.dataset.lines import RejectsWriter
from indexer.dataset.tables import TableResult, read_table
from indexer.dataset.transactions import Transactions, TransactionsResult, read_transactions

log = logging.getLogger(__name__)

__all__ = [
    "Dataset",
    "FileCounts",
    "ImageCounts",
    "Transactions",
    "ValidationReport",
    "load",
    "validate",
]


@dataclass(frozen=True)
class FileCounts:
    rows: int  # data records in the file (the header not counted)
    valid: int
    rejected: int


@dataclass(frozen=True)
class ImageCounts:
    found: int  # valid articles with a readable image
    missing: int  # valid articles without an image file
    unreadable: int  # valid articles whose image file does not read (kept, without image)


@dataclass(frozen=True)
class ValidationReport:
    files: dict[str, FileCounts]
    images: ImageCounts
    rejects_path: Path
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per file and "images"

    @property
    def rejected(self) -> int:
        """Rows written to the rejects file, images included."""
        return sum(c.rejected for c in self.files.values()) + self.images.unreadable

    def to_json(self) -> dict[str, Any]:
        return {
            "files": {
                name: {"rows": c.rows, "valid": c.valid, "rejected": c.rejected}
                for name, c in self.files.items()
            },
            "images": {
                "found": self.images.found,
                "missing": self.images.missing,
                "unreadable": self.images.unreadable,
            },
            "rejects_path": str(self.rejects_path),
        }

    def describe(self) -> str:
        lines = [f"{'file':<24}{'rows':>12}{'valid':>12}{'rejected':>10}"]
        for name, c in self.files.items():
            lines.append(f"{name:<24}{c.rows:>12,}{c.valid:>12,}{c.rejected:>10,}")
        i = self.images
        lines.append(
            f"images: {i.found:,} found, {i.missing:,} missing, {i.unreadable:,} unreadable"
        )
        if self.rejected:
            lines.append(f"{self.rejected:,} rejected rows written to {self.rejects_path}")
        else:
            lines.append(f"no rejected rows ({self.rejects_path} has the header only)")
        return "\n".join(lines)


@dataclass(frozen=True)
class Dataset:
    """The valid data. Transactions index into `articles` and `customers` by row position."""

    articles: pd.DataFrame  # ARTICLES columns + image_path, in file order
    customers: pd.DataFrame  # CUSTOMERS columns; FN, Active, age float with NaN
    transactions: Transactions
    report: ValidationReport


def validate(data_dir: Path, rejects_path: Path | None = None) -> ValidationReport:
    """Check every row and image of `data_dir`; rejected rows go to `rejects_path`.

    The default rejects path is ``data_dir/rejects.csv``; it is overwritten on each run.
    """
    return _run(Path(data_dir), rejects_path, until=None, verify_images=True, keep=False).report


def load(
    data_dir: Path,
    rejects_path: Path | None = None,
    *,
    until: date | None = None,
    check_images: bool = True,
) -> Dataset:
    """Validate like `validate` and return the valid data.

    `until` keeps only transactions with ``t_dat < until`` (the report still counts all rows).
    `check_images=False` only looks whether each image file exists, without opening it.
    """
    return _run(Path(data_dir), rejects_path, until=until, verify_images=check_images, keep=True)


def _run(
    data_dir: Path,
    rejects_path: Path | None,
    *,
    until: date | None,
    verify_images: bool,
    keep: bool,
) -> Dataset:
    start = time.perf_counter()
    for name, schema in SCHEMAS.items():
        check_header(data_dir / name, schema)
    with RejectsWriter(rejects_path or data_dir / "rejects.csv") as rejects:
        articles = read_table(data_dir / ARTICLES.file_name, ARTICLES)
        rejects.write(articles.rejects)
        article_ids = articles.table["article_id"].combine_chunks()
        # Images are opened by worker processes while the other two files are read.
        with ImageCheck(data_dir, article_ids.to_pylist(), verify=verify_images) as check:
            customers = read_table(data_dir / CUSTOMERS.file_name, CUSTOMERS)
            rejects.write(customers.rejects)
            tx = read_transactions(
                data_dir / TRANSACTIONS.file_name,
                ArticleLookup(article_ids),
                CustomerLookup(customers.table["customer_id"].combine_chunks()),
                until=until,
                keep=keep,
            )
            rejects.write(tx.rejects)
            images = check.result()
        rejects.write(images.rejects)
    report = _report(articles, customers, tx, images, rejects.path)
    seconds = time.perf_counter() - start
    log.info("%s checked in %.1f s: %d rejected", data_dir, seconds, report.rejected)
    articles_frame = _articles_frame(articles.table, images.paths)
    return Dataset(articles_frame, _customers_frame(customers.table), tx.transactions, report)


def _report(
    articles: TableResult,
    customers: TableResult,
    tx: TransactionsResult,
    images: ImageResult,
    rejects_path: Path,
) -> ValidationReport:
    return ValidationReport(
        files={
            ARTICLES.file_name: _counts(articles),
            CUSTOMERS.file_name: _counts(customers),
            TRANSACTIONS.file_name: FileCounts(tx.rows, tx.valid, tx.rows - tx.valid),
        },
        images=ImageCounts(images.found, images.missing, images.unreadable),
        rejects_path=rejects_path,
        seconds={
            ARTICLES.file_name: articles.seconds,
            "images": images.seconds,
            CUSTOMERS.file_name: customers.seconds,
            TRANSACTIONS.file_name: tx.seconds,
        },
    )


def _counts(result: TableResult) -> FileCounts:
    valid = result.table.num_rows
    return FileCounts(result.rows, valid, result.rows - valid)


def _articles_frame(table: pa.Table, image_paths: list[str | None]) -> pd.DataFrame:
    frame: pd.DataFrame = table.to_pandas()
    # object, not the string dtype, so that a missing image reads as None rather than NaN
    frame["image_path"] = pd.Series(image_paths, dtype=object, index=frame.index)
    return frame


def _customers_frame(table: pa.Table) -> pd.DataFrame:
    frame: pd.DataFrame = table.to_pandas()
    for name in ("FN", "Active"):
        frame[name] = np.where(frame[name] == "1.0", 1.0, np.nan)
    return frame
