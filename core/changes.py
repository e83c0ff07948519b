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
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from core.catalog import ARTICLES, Kind
from core.db import Database
from core.events import events_path
from core.taxonomy import CODE_NAMES, GROUP_OF, Taxonomy

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

    def clear_upto(self, seq: int) -> int:
        """Remove the changes up to ``seq`` (folded into the data by `compact`); answers how
        many were removed. Sequence numbers are never reused."""
        with self._writer.transaction() as conn:
            cur = conn.execute("DELETE FROM catalog_changes WHERE seq <= ?", (seq,))
        return int(cur.rowcount)

    def count(self) -> int:
        with self._reader.connection() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM catalog_changes").fetchone()[0])


def uploads_dir(db_path: Path) -> Path:
    """Where uploaded article photos are kept, beside the database (``<db stem>-images``)."""
    return db_path.with_name(f"{db_path.stem}-images")


def open_changes(db_path: Path) -> ChangeLog:
    """The catalog's change log, in the event log's file beside ``db_path``."""
    return ChangeLog(events_path(db_path))


# --- what a change may say ------------------------------------------------------------------

ARTICLE_ID = re.compile(r"^\d{10}$")
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Code7 = Annotated[str, StringConstraints(pattern=r"^\d{7}$")]
IndexCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]$")]
#: Fields a change sets that articles.csv does not have: the shop's price (in its currency),
#: stock and visibility (hidden: pulled from the shop, kept in the catalog).
SHOP_FIELDS = ("price", "in_stock", "hidden")
#: An article's ``availability`` payload field: out of stock or hidden is "unavailable", and
#: every list a shopper sees leaves it out (`ranking.request.to_store`).
AVAILABLE, UNAVAILABLE = "available", "unavailable"


def availability(fields: Mapping[str, Any]) -> str:
    """The availability of an article with these ``in_stock`` and ``hidden`` fields."""
    unavailable = fields.get("in_stock") is False or fields.get("hidden") is True
    return UNAVAILABLE if unavailable else AVAILABLE


#: What the text of an article is made of (`encoders.text.article_text`): a change to one of
#: them re-encodes its text vector.
TEXT_FIELDS = (
    "prod_name",
    "colour_group_code",
    "graphical_appearance_no",
    "product_type_no",
    "section_no",
    "detail_desc",
)


class ArticlePatch(BaseModel):
    """Any subset of an article's fields: the articles.csv columns (a code brings its name; a
    name alone is refused), the shop price, stock and visibility."""

    model_config = ConfigDict(extra="forbid")

    product_code: Code7 | None = None
    prod_name: Name | None = None
    product_type_no: int | None = None
    product_type_name: Name | None = None
    product_group_name: Name | None = None
    graphical_appearance_no: int | None = None
    graphical_appearance_name: Name | None = None
    colour_group_code: int | None = None
    colour_group_name: Name | None = None
    perceived_colour_value_id: int | None = None
    perceived_colour_value_name: Name | None = None
    perceived_colour_master_id: int | None = None
    perceived_colour_master_name: Name | None = None
    department_no: int | None = None
    department_name: Name | None = None
    index_code: IndexCode | None = None
    index_name: Name | None = None
    index_group_no: int | None = None
    index_group_name: Name | None = None
    section_no: int | None = None
    section_name: Name | None = None
    garment_group_no: int | None = None
    garment_group_name: Name | None = None
    detail_desc: Text | None = None
    price: float | None = Field(None, ge=0, le=100_000, description="shop price, its currency")
    in_stock: bool | None = None
    hidden: bool | None = Field(None, description="pulled from the shop, kept in the catalog")


class ArticleFields(ArticlePatch):
    """A whole article (create or replace): the articles.csv columns as the API's items name
    them (the id comes from the path; names may be left out, they follow from the codes), its
    shop price, stock (default in stock) and visibility (default shown)."""

    product_code: Code7
    prod_name: Name
    product_type_no: int
    graphical_appearance_no: int
    colour_group_code: int
    perceived_colour_value_id: int
    perceived_colour_master_id: int
    department_no: int
    index_code: IndexCode
    index_group_no: int
    section_no: int
    garment_group_no: int
    detail_desc: Text = ""
    price: float = Field(..., ge=0, le=100_000, description="shop price, its currency")
    in_stock: bool = True
    hidden: bool = False


def _pydantic_problems(exc: ValidationError) -> list[tuple[str, str]]:
    return [(".".join(str(p) for p in e["loc"]) or "body", str(e["msg"])) for e in exc.errors()]


def check_change(
    op: Op,
    article_id: str,
    body: Mapping[str, Any],
    taxonomy: Taxonomy,
    exists: bool,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The fields to log for a change (codes with their names), and what is wrong with it as
    ``(field, problem)`` (empty: log it). ``exists``: the article is in the served catalog."""
    problems: list[tuple[str, str]] = []
    if not ARTICLE_ID.match(article_id):
        problems.append(("article_id", f"{article_id!r} is not a 10-digit article id"))
    if op not in OPS:
        return {}, [*problems, ("op", f"must be one of {', '.join(OPS)}, got {op!r}")]
    if op != "put" and not exists and not problems:
        problems.append(("article_id", f"{article_id} is not in the catalog"))
    if op == "delete":
        if body:
            problems.append(("body", "a delete takes no fields"))
        return {}, problems
    model = ArticleFields if op == "put" else ArticlePatch
    try:
        parsed = model.model_validate(dict(body))
    except ValidationError as exc:
        return {}, [*problems, *_pydantic_problems(exc)]
    fields = parsed.model_dump(exclude_none=True)
    if op == "patch" and not fields:
        problems.append(("body", "name at least one field to change"))
    problems += taxonomy.problems(fields)
    if not problems:
        fields.update(taxonomy.names_of(fields))
    return fields, problems


def put_fields(row: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """The fields of a put from an articles.csv row (codes only: the names follow from them),
    with ``changes`` on top (a price is needed: articles.csv has none)."""
    names = {*CODE_NAMES.values(), *GROUP_OF.values(), "article_id"}
    body: dict[str, Any] = {
        c.name: int(row[c.name]) if c.kind is Kind.INT else row[c.name]
        for c in ARTICLES.columns
        if c.name not in names
    }
    desc = row.get("detail_desc")
    body["detail_desc"] = desc if isinstance(desc, str) else ""
    return body | changes
