"""The live catalog: the change log applied to a served version (issue 16, DESIGN §9).

Every API process applies the catalog's change log itself, from the sequence number its
version already holds (``catalog_seq`` in the manifest: a build folds the log up to there) to
the log's high-water mark, so several processes need no messages between them. A run of
changes is folded (`core.changes.fold`) into each article's resulting state, and that state
is written whole, so applying a change twice (a restart, another replica of a shared server
collection) gives the same catalog:

* the engine, through `StoreReader.apply`: a new or replaced article is upserted with its
  vectors (text encoded now from `article_text`, image from its uploaded photo with the
  version's own encoder, cf kept from the build: a new article has none, a cold item); a
  price, stock or visibility change sets those payload fields; a delete removes the point;
* the columns (`Columns.patched` for field changes, `Columns.changed` when articles come or
  go), so counts, facets, price bounds and sorts follow;
* the article matrices, through an overlay of the new text and image rows
  (`ArticleVectors.with_rows`), so exact scoring and the feed's reasons see them.

An article out of stock or hidden carries ``availability: "unavailable"``, which every
shopper-facing list leaves out (`ranking.request.to_store`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image

from core.catalog import ARTICLES, EPOCH, Kind, point_id
from core.changes import AVAILABLE, TEXT_FIELDS, Change, availability, fold, uploads_dir
from core.settings import Settings
from core.store.base import Change as StoreChange
from core.store.base import Delete, Match, Point, Record, SetPayload, Upsert
from encoders.text import article_text
from ranking.columns import KEYWORDS, NUMBERS

log = logging.getLogger(__name__)
__all__ = ["apply_changes", "image_of", "uploads_dir"]

#: Figures of a built article that a replacement keeps (they come from its sales and its cf).
KEPT_ON_PUT = (
    "sales_7d",
    "sales_30d",
    "sales_total",
    "trend_score",
    "first_sale_day",
    "first_sale",
    "colourways",
    "cf_norm",
    "has_image",
    "image_path",
    "image_upload",
)
_SLIM = set(KEYWORDS) | set(NUMBERS)
_CSV_KINDS = {c.name: c.kind for c in ARTICLES.columns}


def upload_relpath(article_id: str, seq_hint: str) -> Path:
    """An uploaded photo's path under `uploads_dir`; every upload gets a new name, so a logged
    change always points at the very bytes it was made with."""
    return Path(article_id[:3]) / f"{article_id}-{seq_hint}.jpg"


def today() -> int:
    """Today as the builds count days (since 1970-01-01)."""
    return (datetime.now(UTC).date() - EPOCH).days


def payload_fields(fields: Mapping[str, Any], multiplier: float) -> dict[str, Any]:
    """The store payload a change's fields set: the shop price back on the data's scale, the
    upload's path, the rest as they are."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "price":
            out["price"] = float(value) / multiplier
        elif key == "image":
            out["image_upload"] = str(value)
            out["has_image"] = True
        elif _CSV_KINDS.get(key) is Kind.INT:
            out[key] = int(value)
        else:
            out[key] = value
    return out


def _same(key: str, before: Any, after: Any, multiplier: float) -> bool:
    """Whether a field keeps its value (a price to the shop's cent)."""
    if key == "price" and before is not None:
        return round(float(before) * multiplier, 2) == round(float(after) * multiplier, 2)
    return bool(before == after)


class Applied:
    """What one run of changes did: the store changes, the columns' new slim rows, the
    overlay's new vectors and the removed ids."""

    def __init__(self) -> None:
        self.store: list[StoreChange] = []
        self.slim: dict[int, dict[str, Any]] = {}
        self.new: set[int] = set()
        self.removed: list[int] = []
        self.vectors: dict[int, dict[str, Sequence[float] | None]] = {}


def plan_changes(
    snap: Any, changes: Sequence[Change], settings: Settings, uploads: Path
) -> Applied:
    """Turn a run of logged changes into what `apply_changes` writes (nothing written yet)."""
    states = fold(changes)
    out = Applied()
    if not states:
        return out
    pid_of = {a: point_id(a) for a in states}
    current = {
        r.id: r for r in snap.reader.retrieve("articles", list(pid_of.values()))
    }  # full payloads
    multiplier = settings.shop.price_multiplier
    to_encode: list[tuple[int, dict[str, Any], dict[str, Any] | None]] = []
    same_payload: dict[str, list[int]] = {}
    for article_id, state in states.items():
        pid = pid_of[article_id]
        before = current.get(pid)
        if state.fields is None:
            if before is not None:
                out.store.append(Delete((pid,)))
                out.removed.append(pid)
            continue
        given = payload_fields(state.fields, multiplier)
        if state.replaced:
            payload = _new_payload(article_id, given, before, snap)
            to_encode.append((pid, payload, before.payload if before else None))
            continue
        if before is None:
            continue  # a patch of an article this version does not have (a build removed it)
        # Only what differs: a stock feed re-states most articles as they are, and every
        # point the engine updates leaves its indexed segment for an unindexed one.
        given = {
            k: v for k, v in given.items() if not _same(k, before.payload.get(k), v, multiplier)
        }
        payload = {**before.payload, **given}
        payload["availability"] = availability(payload)
        if payload["availability"] != before.payload.get("availability", AVAILABLE):
            given["availability"] = payload["availability"]
        if not given:
            continue
        if any(k in given for k in (*TEXT_FIELDS, "image_upload")):
            to_encode.append((pid, payload, before.payload))
        else:
            changed = {k: payload[k] for k in given}
            same_payload.setdefault(json.dumps(changed, sort_keys=True), []).append(pid)
            out.slim[pid] = {k: v for k, v in changed.items() if k in _SLIM}
    # One engine operation for the articles a change sets alike (a stock feed's runs of
    # "out of stock"): an update costs the engine a quarter of a millisecond, however few ids.
    for body, pids in same_payload.items():
        out.store.append(SetPayload(tuple(pids), json.loads(body)))
    if to_encode:
        _encode(snap, to_encode, out, uploads)
    return out


def _new_payload(
    article_id: str, given: dict[str, Any], before: Record | None, snap: Any
) -> dict[str, Any]:
    """A put's payload: its fields, the built figures of the article it replaces (a new one
    starts with none, first on sale today: a new arrival)."""
    if before is not None:
        kept = {k: before.payload[k] for k in KEPT_ON_PUT if k in before.payload}
        payload: dict[str, Any] = {"article_id": article_id, **kept, **given}
    else:
        payload = {"article_id": article_id, **given}
        day = today()
        same = snap.columns.count_match(Match("product_code", (str(given["product_code"]),)))
        payload.update(
            sales_7d=0,
            sales_30d=0,
            sales_total=0,
            trend_score=0.0,
            first_sale_day=day,
            first_sale=(EPOCH + timedelta(days=day)).isoformat(),
            colourways=same + 1,
            has_image="image_upload" in given,
        )
    payload.setdefault("in_stock", True)
    payload.setdefault("hidden", False)
    payload["availability"] = availability(payload)
    return payload


def _encode(
    snap: Any,
    items: list[tuple[int, dict[str, Any], dict[str, Any] | None]],
    out: Applied,
    uploads: Path,
) -> None:
    """Upserts with vectors: text encoded from the new fields, image from the upload (else the
    built one), cf as built."""
    pids = [pid for pid, _, _ in items]
    kept = {
        r.id: r.vectors
        for r in snap.reader.retrieve(
            "articles", pids, with_vectors=("image", "cf", "cf_cosine"), payload_fields=()
        )
    }
    texts = snap.text_encoder.encode([article_text(p) for _, p, _ in items])
    points = []
    for (pid, payload, before), text in zip(items, texts, strict=True):
        vectors: dict[str, list[float]] = {"text": [float(x) for x in text]}
        vectors.update({k: list(v) for k, v in kept.get(pid, {}).items() if v})
        image: list[float] | None = vectors.get("image")
        upload = payload.get("image_upload")
        if upload and (before is None or before.get("image_upload") != upload):
            with Image.open(uploads / upload) as img:
                encoded = snap.image_encoder.encode_images([img.convert("RGB")])[0]
            image = vectors["image"] = [float(x) for x in encoded]
        points.append(Point(pid, vectors, payload))
        out.vectors[pid] = {"text": vectors["text"], "image": image}
        out.slim[pid] = {k: v for k, v in payload.items() if k in _SLIM}
        if before is None:
            out.new.add(pid)
    out.store.append(Upsert(tuple(points)))


def apply_changes(snap: Any, changes: Sequence[Change], settings: Settings, uploads: Path) -> Any:
    """``snap`` with ``changes`` applied (a new snapshot; ``snap`` stays as it was for the
    requests still reading it, though its engine sees the changes too)."""
    if not changes:
        return snap
    start = time.perf_counter()
    plan = plan_changes(snap, changes, settings, uploads)
    if plan.store:
        snap.reader.apply("articles", plan.store)
    columns = snap.columns
    if plan.new or plan.removed:
        records = [
            Record(pid, {**columns.payload_of(pid), **slim}) for pid, slim in plan.slim.items()
        ]
        columns = columns.changed(records, plan.removed)
    elif plan.slim:
        columns = columns.patched(plan.slim)
    vectors = snap.vectors
    if vectors is not None and plan.vectors:
        vectors = vectors.with_rows(plan.vectors)
    seq = max(c.seq for c in changes)
    log.info(
        "catalog: %d changes applied up to seq %d in %.1f ms",
        len(changes),
        seq,
        (time.perf_counter() - start) * 1000,
    )
    return snap.with_catalog(columns, vectors, seq)


def image_of(payload: Mapping[str, Any], data_dir: Path, uploads: Path) -> Path | None:
    """The article's photo on disk: an upload, else the data's image (None: none)."""
    upload = payload.get("image_upload")
    if upload:
        path = (uploads / str(upload)).resolve()
        if path.is_file() and uploads.resolve() in path.parents:
            return path
    rel = payload.get("image_path")
    if rel:
        path = (data_dir / str(rel)).resolve()
        if path.is_file() and data_dir.resolve() in path.parents:
            return path
    return None
