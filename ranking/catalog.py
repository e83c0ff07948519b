"""The live catalog: the change log applied to a served version (issue 16, DESIGN §9).

Every API process applies the catalog's change log itself, from the sequence number its
version already holds (``catalog_seq`` in the manifest: a build folds the log up to there) to
the log's high-water mark, so several processes need no messages between them. A run of
changes is folded (`core.changes.fold`) into each article's resulting state, and that state
is written whole, so applying a change twice (a restart, another replica of a shared server
collection) gives the same catalog:

* the engine, through `StoreReader.apply`: a new or replaced article is upserted with its
  vectors (`ranking.catalog_vectors`: text encoded now from `article_text`, image from its
  uploaded photo with the version's own encoder, cf kept from the build: a new article has
  none, a cold item); a price, stock or visibility change sets those payload fields; a
  delete removes the point;
* the columns (`Columns.patched` for field changes, `Columns.changed` when articles come or
  go), so counts, facets, price bounds and sorts follow;
* the article matrices, through an overlay of the new text and image rows
  (`ArticleVectors.with_rows`), so exact scoring and the feed's reasons see them.

The engine is written only where it differs from that state (a Qdrant server's collection is
shared: the first replica writes a change, the others find it written), while the columns and
the overlay are compared with this process's own, so every replica follows the log. An article
whose changes cannot be applied (its photo is gone) is set aside whole and tried again
(`ranking.catalog_held`); the others apply.

An article out of stock or hidden carries ``availability: "unavailable"``, which every
shopper-facing list leaves out (`ranking.request.to_store`).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.catalog import ARTICLES, EPOCH, Kind, point_id
from core.changes import (
    AVAILABLE,
    TEXT_FIELDS,
    ArticleState,
    Change,
    availability,
    fold,
    uploads_dir,
)
from core.settings import Settings
from core.store.base import Change as StoreChange
from core.store.base import Delete, Match, Record, SetPayload
from ranking.catalog_held import set_aside
from ranking.catalog_vectors import Item, encode
from ranking.catalog_vectors import from_engine as vectors_from_engine
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
    """What one run of changes does: the store changes, the columns' new slim rows, the
    overlay's new vectors, the removed ids, and the articles whose changes could not be
    applied (article id → why; nothing of theirs is in the rest)."""

    def __init__(self) -> None:
        self.store: list[StoreChange] = []
        self.slim: dict[int, dict[str, Any]] = {}
        self.new: set[int] = set()
        self.removed: list[int] = []
        self.vectors: dict[int, dict[str, Sequence[float] | None]] = {}
        self.failed: dict[str, str] = {}


@dataclass
class Target:
    """What the log says one article is now (``payload`` None: deleted), the payload fields
    its changes name (the ones this process's columns may lack), and what the engine lacks:
    ``write`` (fields to set) or ``encode`` (an upsert with vectors)."""

    article_id: str
    payload: dict[str, Any] | None
    named: set[str] = field(default_factory=set)
    write: dict[str, Any] | None = None
    encode: bool = False

    @property
    def vectors_named(self) -> bool:
        """Whether its text or image vector may have changed."""
        return any(k in self.named for k in (*TEXT_FIELDS, "image_upload"))


def plan_changes(
    snap: Any, changes: Sequence[Change], settings: Settings, uploads: Path
) -> Applied:
    """Turn a run of logged changes into what `apply_changes` writes (nothing written yet).

    The engine is written only where it differs from what the log says (on a shared server
    another replica may have written it already; a stock feed re-states most articles as they
    are, and every point the engine updates leaves its indexed segment for an unindexed one).
    This process's columns and vectors follow the log whatever the engine already holds. An
    article whose changes cannot be applied (its photo is unreadable) is left out whole."""
    states = fold(changes)
    out = Applied()
    if not states:
        return out
    pid_of = {a: point_id(a) for a in states}
    current = {
        r.id: r for r in snap.reader.retrieve("articles", list(pid_of.values()))
    }  # full payloads
    targets: dict[int, Target] = {}
    for article_id, state in states.items():
        pid = pid_of[article_id]
        try:
            target = _target(article_id, state, current.get(pid), snap, settings)
        except Exception as exc:  # one bad change must not stop the others
            log.exception("catalog: the changes of %s cannot be planned", article_id)
            out.failed[article_id] = f"{type(exc).__name__}: {exc}"
            continue
        if target is not None:
            targets[pid] = target
    _write(snap, targets, current, out, uploads)
    _follow(snap, targets, out)
    return out


def _target(
    article_id: str, state: ArticleState, before: Record | None, snap: Any, settings: Settings
) -> Target | None:
    """One article's state after the log, and what of it the engine lacks (None: a patch of an
    article this version does not have, as a build removed it)."""
    if state.fields is None:
        return Target(article_id, None)
    multiplier = settings.shop.price_multiplier
    given = payload_fields(state.fields, multiplier)
    if state.replaced:
        payload = _new_payload(article_id, given, before, snap)
        same = before is not None and before.payload == payload
        return Target(article_id, payload, set(payload), encode=not same)
    if before is None:
        return None
    changed = {k: v for k, v in given.items() if not _same(k, before.payload.get(k), v, multiplier)}
    payload = {**before.payload, **changed}
    payload["availability"] = availability(payload)
    if payload["availability"] != before.payload.get("availability", AVAILABLE):
        changed["availability"] = payload["availability"]
    target = Target(article_id, payload, {*given, "availability"})
    if any(k in changed for k in (*TEXT_FIELDS, "image_upload")):
        target.encode = True
    elif changed:
        target.write = {k: payload[k] for k in changed}
    return target


def _write(
    snap: Any, targets: dict[int, Target], current: dict[int, Record], out: Applied, uploads: Path
) -> None:
    """The engine's changes: a delete, an update of payload fields, an upsert with vectors."""
    to_encode: list[Item] = []
    same_payload: dict[str, list[int]] = {}
    for pid, t in targets.items():
        before = current.get(pid)
        if t.payload is None:
            if before is not None:
                out.store.append(Delete((pid,)))
        elif t.encode:
            to_encode.append((pid, t.payload, before.payload if before else None))
        elif t.write:
            same_payload.setdefault(json.dumps(t.write, sort_keys=True), []).append(pid)
    # One engine operation for the articles a change sets alike (a stock feed's runs of
    # "out of stock"): an update costs the engine a quarter of a millisecond, however few ids.
    for body, pids in same_payload.items():
        out.store.append(SetPayload(tuple(pids), json.loads(body)))
    if to_encode:
        upsert, vectors, failed = encode(snap, to_encode, uploads)
        out.store += [upsert] if upsert else []
        out.vectors.update(vectors)
        out.failed.update(failed)
        for pid, payload, _ in to_encode:
            if payload["article_id"] in failed:
                del targets[pid]  # the article keeps the state it is served in


def _follow(snap: Any, targets: dict[int, Target], out: Applied) -> None:
    """This process's columns and vectors: the rows that differ from what the log says."""
    own = snap.columns
    from_engine: list[int] = []
    for pid, t in targets.items():
        mine = own.payload_of(pid)
        if t.payload is None:
            if mine:
                out.removed.append(pid)
            continue
        slim = {k: v for k, v in t.payload.items() if k in _SLIM}
        if not mine:
            out.new.add(pid)
            out.slim[pid] = slim
        else:
            differ = {k: v for k, v in slim.items() if k in t.named and not _equal(mine.get(k), v)}
            if differ:
                out.slim[pid] = differ
        if t.vectors_named and pid not in out.vectors:
            from_engine.append(pid)
    if from_engine and snap.vectors is not None:
        out.vectors.update(vectors_from_engine(snap, from_engine))


def _equal(mine: Any, theirs: Any) -> bool:
    if isinstance(mine, int | float) and isinstance(theirs, int | float):
        return math.isclose(float(mine), float(theirs), rel_tol=1e-9, abs_tol=1e-12)
    return bool(mine == theirs)


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


def apply_changes(
    snap: Any,
    changes: Sequence[Change],
    settings: Settings,
    uploads: Path,
    now: float | None = None,
    exclusive: Callable[[], AbstractContextManager[None]] | None = None,
) -> Any:
    """``snap`` with ``changes`` applied (a new snapshot; ``snap`` stays as it was for the
    requests still reading it, though its engine sees the changes too).

    ``exclusive``: the engine is shared (a Qdrant server): its writes are planned again and
    made under this lock (`ChangeLog.exclusive_apply`), so another process that wrote them
    meanwhile is not written after, and one that died part-way is completed.

    The changes an article could not take are set aside (``held``) and tried again with them
    when a new change of that article comes, or once their wait (``now``: monotonic) is over."""
    now = time.monotonic() if now is None else now
    held = dict(snap.held)
    touched = {c.article_id for c in changes}
    retried = {a: held.pop(a) for a in list(held) if a in touched or held[a].retry_at <= now}
    run = [*changes, *(c for h in retried.values() for c in h.changes)]
    if not run:
        return snap
    start = time.perf_counter()
    plan = plan_changes(snap, run, settings, uploads)
    if plan.store and exclusive is not None:
        with exclusive():
            plan = plan_changes(snap, run, settings, uploads)  # what is still to write
            if plan.store:
                snap.reader.apply("articles", plan.store)
    elif plan.store:
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
    held.update(set_aside(run, plan.failed, retried, now))
    for article_id in retried.keys() - plan.failed.keys():
        log.info("catalog: the set-aside changes of %s applied", article_id)
    seq = max([snap.catalog_seq, *(c.seq for c in changes)])
    log.info(
        "catalog: %d changes applied up to seq %d in %.1f ms (%d articles set aside)",
        len(run),
        seq,
        (time.perf_counter() - start) * 1000,
        len(held),
    )
    out = snap.with_catalog(columns, vectors, seq)
    out.held = held
    return out


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
