"""The catalog's change log: article creations, edits, stock and visibility, removals, each with
a sequence number (DESIGN §9; the live catalog, issue 16).

The log lives in the same SQLite file as the shoppers' events (`core.events.events_path`), in
its own table, and is the source of truth for the catalog between builds: a change is
acknowledged once committed (``synchronous=FULL``), a build applies every change up to the
log's high-water mark on top of ``articles.csv`` and records that number, and whatever reads a
version applies the changes after it. `fold` turns a run of changes into each article's
resulting state, the one meaning both of them share.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from core.db import Database
from core.events import events_path

Op = Literal["put", "patch", "delete"]
OPS: tuple[Op, ...] = ("put", "patch", "delete")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS catalog_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('put', 'patch', 'delete')),
    body TEXT NOT NULL,
    actor TEXT NOT NULL,
    received REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS catalog_changes_by_article ON catalog_changes (article_id, seq);
"""


@dataclass(frozen=True)
class Change:
    """One logged change. ``fields``: the whole article for a put, the changed fields for a
    patch, nothing for a delete."""

    seq: int
    article_id: str
    op: Op
    fields: Mapping[str, Any] = field(default_factory=dict)
    actor: str = ""


@dataclass
class ArticleState:
    """What the log says of one article after a run of changes: its fields (``None``: the
    log deleted it), and whether a put replaced the built article (else the fields patch it)."""

    fields: dict[str, Any] | None
    replaced: bool
    seq: int


def fold(changes: Iterable[Change]) -> dict[str, ArticleState]:
    """Each article's state after ``changes`` (in sequence order).

    A put replaces everything before it; a patch updates the fields it names on top of the
    put before it, or of the built article when there was none; a delete removes the
    article, and a patch after a delete is ignored (nothing to patch).
    """
    out: dict[str, ArticleState] = {}
    for c in sorted(changes, key=lambda c: c.seq):
        before = out.get(c.article_id)
        if c.op == "put":
            out[c.article_id] = ArticleState(dict(c.fields), True, c.seq)
        elif c.op == "delete":
            out[c.article_id] = ArticleState(None, True, c.seq)
        elif before is None:
            out[c.article_id] = ArticleState(dict(c.fields), False, c.seq)
        elif before.fields is not None:
            before.fields.update(c.fields)
            before.seq = c.seq
    return out


class ChangeLog:
    """Append changes (each gets the next sequence number) and read them back in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = Database(path, _SCHEMA)
        self._reader = Database(path, _SCHEMA)

    def append(self, changes: Sequence[tuple[str, Op, Mapping[str, Any]]], actor: str) -> list[int]:
        """Append ``(article_id, op, fields)`` changes in one transaction, committed before
        this returns; answers their sequence numbers."""
        for _, op, _ in changes:
            if op not in OPS:
                raise ValueError(f"op must be one of {OPS}, got {op!r}")
        now = datetime.now(UTC).timestamp()
        seqs = []
        with self._writer.transaction() as conn:
            for article_id, op, fields in changes:
                cur = conn.execute(
                    "INSERT INTO catalog_changes (article_id, op, body, actor, received) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (article_id, op, json.dumps(dict(fields), sort_keys=True), actor, now),
                )
                seqs.append(int(cur.lastrowid or 0))
        return seqs

    def since(self, after_seq: int, upto_seq: int | None = None) -> list[Change]:
        """Changes with ``after_seq < seq <= upto_seq``, in order."""
        with self._reader.connection() as conn:
            rows = conn.execute(
                "SELECT seq, article_id, op, body, actor FROM catalog_changes "
                "WHERE seq > ? AND seq <= ? ORDER BY seq",
                (after_seq, upto_seq if upto_seq is not None else 2**62),
            ).fetchall()
        return [Change(int(s), a, op, json.loads(body), actor) for s, a, op, body, actor in rows]

    def high_water(self) -> int:
        """The newest sequence number (0: no change yet)."""
        with self._reader.connection() as conn:
            row = conn.execute("SELECT MAX(seq) FROM catalog_changes").fetchone()
        return int(row[0] or 0)

    def close(self) -> None:
        self._writer.close()
        self._reader.close()


def open_changes(db_path: Path) -> ChangeLog:
    """The catalog's change log, in the event log's file beside ``db_path``."""
    return ChangeLog(events_path(db_path))
