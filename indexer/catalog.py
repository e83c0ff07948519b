"""The catalog's change log from the command line (issue 16):

* ``python -m indexer apply FILE``: a batch feed (a nightly price file, a stock feed) as CSV or
  JSON lines, one change a row, checked like the API's writes against the served catalog; the
  valid rows are logged (every API process serves them within seconds), the others written to
  a rejects file with their line numbers, as `validate` does;
* ``python -m indexer compact --data DIR``: fold the changes every servable version already
  holds (the published one, and the older ones a rollback may publish again) into the data
  folder (articles.csv, the shop file, images/), clear them from the log, and remove the
  uploaded photos nothing names any more (`indexer.servable`).

A row of a CSV feed: ``article_id``, optionally ``op`` (put, patch, delete; default patch), and
any of the fields of the API's article writes; an empty cell is a field not given. A JSON line:
``{"article_id": ..., "op": ..., <fields>}``.
"""

from __future__ import annotations

import csv
import fcntl
import json
import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from tqdm import tqdm

from core.catalog import ARTICLES, image_relpath
from core.changes import (
    OPS,
    SHOP_FIELDS,
    ArticleState,
    ChangeLog,
    Op,
    check_change,
    fold,
    open_changes,
    uploads_dir,
)
from core.errors import DataFormatError, IndexNotReady
from core.settings import Settings
from core.store import open_store
from core.taxonomy import Taxonomy
from indexer.dataset.lines import Reject, RejectsWriter
from indexer.servable import remove_unused_photos, servable_versions

log = logging.getLogger(__name__)
#: Rows logged in one transaction.
BATCH = 500
#: The data folder's file of the shop fields articles.csv has no column for.
SHOP_FILE = "catalog_shop.csv"
SHOP_COLUMNS = ("article_id", "price", "in_stock", "hidden", "deleted")
LOCK_FILE = ".lookbook-data.lock"


@contextmanager
def data_lock(data_dir: Path, exclusive: bool) -> Iterator[None]:
    """A lock on the data folder: a build holds it shared from reading the log until its
    version is published, `compact` rewrites the folder exclusively, so no build reads new
    CSVs with an old log or old CSVs with a cleared one, and compaction sees every version
    that will read the log (it waits for the builds running)."""
    path = data_dir / LOCK_FILE
    try:
        fh = path.open("a")
    except OSError:  # a read-only data folder: nothing rewrites it
        yield
        return
    with fh:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fh, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info(
                "waiting for the %s lock on %s",
                "builds' shared" if exclusive else "compaction's",
                data_dir,
            )
            fcntl.flock(fh, mode)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class Served:
    """What a change is checked against: the served version's taxonomy and which articles
    exist once the log is applied to it."""

    taxonomy: Taxonomy
    known: set[str]
    catalog_seq: int


def served_catalog(settings: Settings, changes: ChangeLog) -> Served:
    """The published version's catalog with every logged change applied (read from its models
    folder and the log: no store is opened, so a running API keeps its files)."""
    store = open_store(settings)
    try:
        version = store.current_version()
    finally:
        store.close()
    if version is None:
        raise IndexNotReady("no index version is published: build one before applying changes")
    models = settings.index_dir / "models" / version
    manifest = json.loads((models / "manifest.json").read_text())
    with np.load(models / "ids.npz", allow_pickle=False) as ids:
        known = {str(a) for a in ids["article_id"]}
    taxonomy = Taxonomy.load(models)
    if taxonomy is None:
        rows = pd.read_csv(Path(manifest["data_dir"]) / "articles.csv", dtype=str)
        taxonomy = Taxonomy.of(rows.to_dict("records"))
    for article_id, state in fold(changes.since(0)).items():
        if state.fields is None:
            known.discard(article_id)
        elif state.replaced:
            known.add(article_id)
    return Served(taxonomy, known, int(manifest.get("catalog_seq", 0)))


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any], str]]:
    """(line number, fields, raw line) of a CSV or JSON-lines feed."""
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield n, {"__error__": f"not JSON: {exc.msg}"}, line.rstrip("\n")
                    continue
                if not isinstance(row, dict):
                    row = {"__error__": "a line must be one JSON object"}
                yield n, row, line.rstrip("\n")
        return
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header or "article_id" not in header:
            raise DataFormatError(str(path), "the header must name an article_id column")
        for values in reader:
            n = reader.line_num
            if len(values) != len(header):
                why = f"{len(values)} fields, the header has {len(header)}"
                yield n, {"__error__": why}, ",".join(values)
                continue
            row = {k: v for k, v in zip(header, values, strict=True) if v != ""}
            yield n, row, ",".join(values)


@dataclass
class ApplySummary:
    rows: int = 0
    applied: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPS, 0))
    rejected: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    seconds: float = 0.0
    rejects_path: str = ""

    def describe(self) -> str:
        done = ", ".join(f"{n:,} {op}" for op, n in self.applied.items() if n)
        seqs = f" (seq {self.first_seq}–{self.last_seq})" if self.first_seq is not None else ""
        return (
            f"{self.rows:,} rows: {sum(self.applied.values()):,} applied{seqs}"
            f"{': ' + done if done else ''}; {self.rejected:,} rejected"
            f"{' → ' + self.rejects_path if self.rejected else ''}; {self.seconds:.1f} s"
        )


def apply_file(
    settings: Settings, path: Path, rejects_path: Path | None = None, actor: str = "cli"
) -> ApplySummary:
    """Log the valid changes of a feed file, reject the others with their line numbers."""
    start = time.perf_counter()
    rejects_path = rejects_path or path.with_name(f"{path.stem}.rejects.csv")
    changes = open_changes(settings)
    summary = ApplySummary(rejects_path=str(rejects_path))
    pending: list[tuple[str, Op, dict[str, Any]]] = []

    def flush() -> None:
        if pending:
            seqs = changes.append(pending, actor)
            summary.first_seq = summary.first_seq or seqs[0]
            summary.last_seq = seqs[-1]
            pending.clear()

    try:
        served = served_catalog(settings, changes)
        with RejectsWriter(rejects_path) as rejects:
            for n, row, raw in tqdm(_rows(path), desc=f"apply {path.name}", unit="row"):
                summary.rows += 1
                problem = row.pop("__error__", None)
                article_id = str(row.pop("article_id", ""))
                op = str(row.pop("op", "patch"))
                found: list[tuple[str, str]] = [("row", problem)] if problem else []
                if op not in OPS:
                    found.append(("op", f"must be one of {', '.join(OPS)}, got {op!r}"))
                if not found:
                    exists = article_id in served.known
                    fields, found = check_change(
                        cast(Op, op), article_id, row, served.taxonomy, exists
                    )
                if found:
                    why = "; ".join(f"{f}: {p}" for f, p in found)
                    rejects.write([Reject(path.name, n, why, raw)])
                    summary.rejected += 1
                    continue
                pending.append((article_id, cast(Op, op), fields))
                summary.applied[op] += 1
                if op == "delete":
                    served.known.discard(article_id)
                elif op == "put":
                    served.known.add(article_id)
                if len(pending) >= BATCH:
                    flush()
            flush()
    finally:
        changes.close()
    summary.seconds = time.perf_counter() - start
    return summary


# --- compact ---------------------------------------------------------------------------------


@dataclass
class CompactSummary:
    folded: int
    upto_seq: int
    articles_changed: int
    added: int
    deleted: int
    images: int
    seconds: float
    #: Versions that can still be served holding fewer changes than the published one (their
    #: ``catalog_seq``): the changes they lack stay in the log.
    held_by: dict[str, int] = field(default_factory=dict)
    photos_removed: int = 0

    def describe(self) -> str:
        text = (
            f"{self.folded:,} changes up to seq {self.upto_seq} folded into the data: "
            f"{self.articles_changed:,} articles changed ({self.added:,} new, {self.deleted:,} "
            f"deleted), {self.images:,} photos; {self.photos_removed:,} uploaded photos "
            f"nothing needs removed; {self.seconds:.1f} s"
        )
        if self.held_by:
            held = ", ".join(f"{v} (catalog_seq {s})" for v, s in sorted(self.held_by.items()))
            text += (
                f"\nkept the changes after seq {self.upto_seq}: versions that can still be "
                f"served or rolled back to lack them: {held}. Remove the versions you will "
                "never roll back to (Edge: <index>/store/versions/V and <index>/models/V) "
                "and compact again."
            )
        return text


def read_shop_file(data_dir: Path) -> pd.DataFrame | None:
    """The shop file `compact` writes (None: the folder has none)."""
    path = data_dir / SHOP_FILE
    if not path.is_file():
        return None
    frame = pd.read_csv(path, dtype={"article_id": str})
    missing = set(SHOP_COLUMNS) - set(frame.columns)
    if missing:
        raise DataFormatError(str(path), f"missing columns {sorted(missing)}")
    return frame


def _write_atomic(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(path)


def compact(settings: Settings, data_dir: Path) -> CompactSummary:
    """Fold the changes every servable version holds (up to the smallest ``catalog_seq``: a
    rollback or a process still serving an older version applies the rest) into ``data_dir``,
    clear them from the log, and remove the uploaded photos nothing names any more
    (`indexer.servable`). Later changes stay in the log, and the next build reads them."""
    start = time.perf_counter()
    changes = open_changes(settings)
    uploads = uploads_dir(settings.db_path)
    try:
        # Under the lock no build is running (one holds it until it is published), so every
        # version that will ever read these changes from the log is in the store.
        with data_lock(data_dir, exclusive=True):
            servable = servable_versions(settings)
            upto = servable.floor()
            logged = changes.since(0, upto)
            changes.fetch_uploads(logged, uploads)  # photos taken on another host
            states = fold(logged)
            added, deleted, images = _fold_into(data_dir, states, uploads)
            changes.clear_upto(upto)
            gone = remove_unused_photos(uploads, changes.since(upto), servable)
            changes.drop_uploads(gone)
            removed = len(gone)
    finally:
        changes.close()
    if servable.held_by():
        log.warning("compaction kept the changes after seq %d for %s", upto, servable.held_by())
    return CompactSummary(
        len(logged),
        upto,
        len(states),
        added,
        deleted,
        images,
        time.perf_counter() - start,
        servable.held_by(),
        removed,
    )


def _fold_into(data_dir: Path, states: dict[str, ArticleState], uploads: Path) -> tuple[int, ...]:
    """Write the articles' folded states into articles.csv, the shop file and images/;
    answers how many articles were added and deleted and how many photos copied."""
    arts = pd.read_csv(data_dir / "articles.csv", dtype=str, keep_default_na=False)
    shop = read_shop_file(data_dir)
    shop = shop if shop is not None else pd.DataFrame(columns=list(SHOP_COLUMNS))
    shop_rows = {str(r["article_id"]): dict(r) for r in shop.to_dict("records")}
    row_of = {a: i for i, a in enumerate(arts["article_id"])}
    csv_columns = [c.name for c in ARTICLES.columns]
    added, deleted, images, new_rows = 0, 0, 0, []
    for article_id, state in states.items():
        entry = shop_rows.setdefault(article_id, {"article_id": article_id})
        if state.fields is None:
            entry["deleted"] = True
            deleted += 1
            continue
        entry["deleted"] = False
        values = {k: str(v) for k, v in state.fields.items() if k in csv_columns}
        for key in SHOP_FIELDS:
            if key in state.fields:
                entry[key] = state.fields[key]
        if "image" in state.fields:
            dst = data_dir / "images" / image_relpath(article_id)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(uploads / str(state.fields["image"]), dst)
            images += 1
        i = row_of.get(article_id)
        if i is None:
            new_rows.append(
                {c: values.get(c, "") for c in csv_columns} | {"article_id": article_id}
            )
            added += 1
            continue
        for key, value in values.items():
            arts.iat[i, arts.columns.get_loc(key)] = value
    if new_rows:
        arts = pd.concat([arts, pd.DataFrame(new_rows, columns=arts.columns)])
    _write_atomic(arts, data_dir / "articles.csv")
    table = pd.DataFrame(list(shop_rows.values()), columns=list(SHOP_COLUMNS))
    _write_atomic(table.sort_values("article_id"), data_dir / SHOP_FILE)
    return added, deleted, images
