"""The build's view of the catalog's change log: articles.csv with every logged change up to
the log's high-water mark applied (DESIGN §9; issue 16). The log is the overlay every build
applies on top of the CSVs until `indexer compact` folds it into them, so a change is never
undone by a build, and the API applies only the changes logged after the build's
``catalog_seq``.

What a build does with each article's folded state:

* a put or a patch changes the articles.csv columns (a new article is appended: it has no
  sales, so the transactions' row positions are unchanged);
* the shop fields (price in the shop's currency, stock, visibility) and an uploaded photo go
  into columns of their own that the payload reads;
* a deleted article stays in the data (its sales still teach the ALS model about the
  customers who bought it) but gets no point: it is not served.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.catalog import ARTICLES, Kind
from core.changes import ChangeLog, fold
from indexer.catalog import read_shop_file
from indexer.dataset.read import Dataset

log = logging.getLogger(__name__)
#: Columns the changes add to the articles frame, and their values for an article no change
#: names.
SHOP_DEFAULTS: dict[str, Any] = {
    "shop_price": np.nan,
    "in_stock": True,
    "hidden": False,
    "deleted": False,
    "image_upload": None,
}
_KINDS = {c.name: c.kind for c in ARTICLES.columns}


@dataclass(frozen=True)
class CatalogFolded:
    """What a build took from the catalog's change log."""

    catalog_seq: int  # the log's high-water mark when the build read it
    changed: int  # articles the log changed (created, edited or removed)
    added: int  # articles only the log has
    deleted: int  # articles the log removed


def _value(key: str, value: Any) -> Any:
    return int(value) if _KINDS.get(key) is Kind.INT else value


def with_catalog_changes(
    ds: Dataset, changes: ChangeLog, upto_seq: int, uploads: Path, data_dir: Path | None = None
) -> tuple[Dataset, CatalogFolded]:
    """``ds`` with the data folder's shop file (what `indexer compact` folded) and the
    catalog's changes up to ``upto_seq`` applied (see the module)."""
    logged = changes.since(0, upto_seq)
    changes.fetch_uploads(logged, uploads)  # photos taken on another host
    states = fold(logged)
    arts = ds.articles.copy()
    for column, default in SHOP_DEFAULTS.items():
        arts[column] = pd.Series([default] * len(arts), index=arts.index)
    row_of = {str(a): i for i, a in enumerate(arts["article_id"])}
    shop = read_shop_file(data_dir) if data_dir is not None else None
    for entry in shop.to_dict("records") if shop is not None else ():
        i = row_of.get(str(entry["article_id"]))
        if i is None:
            continue
        for key, column in (
            ("price", "shop_price"),
            ("in_stock", "in_stock"),
            ("hidden", "hidden"),
        ):
            if pd.notna(entry[key]):
                arts.iat[i, arts.columns.get_loc(column)] = _shop_value(key, entry[key])
        if pd.notna(entry["deleted"]) and _truthy(entry["deleted"]):
            arts.iat[i, arts.columns.get_loc("deleted")] = True
    new_rows: list[dict[str, Any]] = []
    columns = [c.name for c in ARTICLES.columns]
    deleted = 0
    for article_id, state in states.items():
        i = row_of.get(article_id)
        if state.fields is None:
            if i is not None:
                arts.iat[i, arts.columns.get_loc("deleted")] = True
                deleted += 1
            continue
        updates = _updates(state.fields, uploads)
        if i is None:
            if not state.replaced:
                continue  # a patch of an article the data no longer has
            row: dict[str, Any] = {c: None for c in columns}
            row |= {"article_id": article_id, "image_path": None}
            row |= SHOP_DEFAULTS | updates
            new_rows.append(row)
            continue
        for key, value in updates.items():
            arts.iat[i, arts.columns.get_loc(key)] = value
    if new_rows:
        added = pd.DataFrame(new_rows, columns=arts.columns)
        for c in arts.columns:
            if arts[c].dtype.kind in "iu" and added[c].notna().all():
                added[c] = added[c].astype(arts[c].dtype)
        arts = pd.concat([arts, added], ignore_index=True)
    folded = CatalogFolded(upto_seq, len(states), len(new_rows), deleted)
    if states:
        log.info(
            "catalog log: %d articles changed (%d new, %d deleted) up to seq %d",
            folded.changed,
            folded.added,
            folded.deleted,
            upto_seq,
        )
    return replace(ds, articles=arts), folded


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "1.0", "yes")


def _shop_value(key: str, value: Any) -> Any:
    return float(value) if key == "price" else _truthy(value)


def _updates(fields: dict[str, Any], uploads: Path) -> dict[str, Any]:
    """The article frame's cells a change sets."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "price":
            out["shop_price"] = float(value)
        elif key == "image":
            out["image_upload"] = str(value)
            out["image_path"] = str(uploads / str(value))  # absolute: the build reads it
        elif key in ("in_stock", "hidden") or key in _KINDS:
            out[key] = _value(key, value)
    return out
