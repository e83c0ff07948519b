"""The catalog's change log: article creations, edits, stock and visibility, removals, each with
a sequence number (DESIGN §9; the live catalog, issue 16).

The log lives in the ``events`` part of the state beside the shoppers' events (their SQLite file,
or the shared PostgreSQL database), in its own table, and is the source of truth for the
catalog between builds: a change is acknowledged once durably committed, its sequence number
commits in order (a reader never skips one committed late), a build applies every change up to
the log's high-water mark on top of ``articles.csv`` and records that number, and whatever
reads a version applies the changes after it. `fold` turns a run of changes into each article's
resulting state, the one meaning both of them share.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import bindparam, text

from core import tables
from core.catalog import ARTICLES, Kind
from core.errors import pydantic_problems
from core.state import file_lock, open_part
from core.tables import insert_ignoring
from core.taxonomy import CODE_NAMES, GROUP_OF, Taxonomy

if TYPE_CHECKING:
    from core.settings import Settings

Op = Literal["put", "patch", "delete"]
OPS: tuple[Op, ...] = ("put", "patch", "delete")
#: The advisory lock of the one applier of the log to a shared engine.
APPLY_LOCK = 1_003


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

    def __init__(self, target: Settings | Path | str) -> None:
        self._db = open_part(target, "events")
        self.database = self._db.name

    def append(
        self,
        changes: Sequence[tuple[str, Op, Mapping[str, Any]]],
        actor: str,
        uploads: Mapping[str, bytes] | None = None,
    ) -> list[int]:
        """Append ``(article_id, op, fields)`` changes in one transaction, committed before
        this returns; answers their sequence numbers. ``uploads``: the photos (by the path
        under the uploads folder a change's ``image`` names) committed with them, so every
        host can apply the change (`fetch_uploads`)."""
        for _, op, _ in changes:
            if op not in OPS:
                raise ValueError(f"op must be one of {OPS}, got {op!r}")
        now = datetime.now(UTC).timestamp()
        insert = text(
            "INSERT INTO catalog_changes (article_id, op, body, actor, received) "
            "VALUES (:a, :op, :body, :actor, :now) RETURNING seq"
        )
        seqs = []
        with self._db.write(serial="catalog_changes") as conn:
            for article_id, op, fields in changes:
                body = json.dumps(dict(fields), sort_keys=True)
                args = {"a": article_id, "op": op, "body": body, "actor": actor, "now": now}
                seqs.append(int(conn.execute(insert, args).scalar_one()))
            for path, jpeg in (uploads or {}).items():
                photo = insert_ignoring(tables.catalog_uploads, self._db.dialect, "path")
                conn.execute(photo.values(path=path, body=jpeg, stored=now))
        return seqs

    def fetch_uploads(self, changes: Iterable[Change], folder: Path) -> int:
        """Write into ``folder`` the photos ``changes`` name that it lacks (another host took
        the upload), each whole before it is there; answers how many. A photo the database
        does not have either stays missing: its change is set aside (`ranking.catalog_held`)."""
        wanted = {
            str(c.fields["image"])
            for c in changes
            if "image" in c.fields and not (folder / str(c.fields["image"])).is_file()
        }
        if not wanted:
            return 0
        q = text("SELECT path, body FROM catalog_uploads WHERE path IN :paths").bindparams(
            bindparam("paths", expanding=True)
        )
        with self._db.read() as conn:
            found = conn.execute(q, {"paths": sorted(wanted)}).all()
        for rel, body in found:
            path = (folder / rel).resolve()
            if folder.resolve() not in path.parents:
                continue  # never outside the folder, whatever a row says
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(bytes(body))
            tmp.replace(path)
        return len(found)

    def drop_uploads(self, paths: Iterable[str]) -> int:
        """Delete these photos from the database (nothing names them any more)."""
        q = text("DELETE FROM catalog_uploads WHERE path IN :paths").bindparams(
            bindparam("paths", expanding=True)
        )
        names = sorted(paths)
        if not names:
            return 0
        with self._db.write() as conn:
            return int(conn.execute(q, {"paths": names}).rowcount)

    def since(self, after_seq: int, upto_seq: int | None = None) -> list[Change]:
        """Changes with ``after_seq < seq <= upto_seq``, in order."""
        q = text(
            "SELECT seq, article_id, op, body, actor FROM catalog_changes "
            "WHERE seq > :after AND seq <= :upto ORDER BY seq"
        )
        upto = upto_seq if upto_seq is not None else 2**62
        with self._db.read() as conn:
            rows = conn.execute(q, {"after": after_seq, "upto": upto}).all()
        return [Change(int(s), a, op, json.loads(body), actor) for s, a, op, body, actor in rows]

    def high_water(self) -> int:
        """The newest sequence number (0: no change yet)."""
        ((high,),) = self._db.rows("SELECT MAX(seq) FROM catalog_changes")
        return int(high or 0)

    @contextmanager
    def exclusive_apply(self) -> Iterator[None]:
        """Hold the right to write the log to a shared engine (a Qdrant server), one applier
        at a time on every host: PostgreSQL's advisory lock, taken in a transaction so that a
        process that dies mid-apply lets go of it at once; on SQLite, a file lock beside the
        log (one host). The holder writes only what the engine still lacks, so what an
        applier that died wrote in part is completed, never written twice."""
        if self._db.postgres:
            with self._db.write() as conn:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPLY_LOCK})
                yield
            return
        with file_lock(Path(self._db.url.removeprefix("sqlite:///") + ".apply.lock")):
            yield

    def close(self) -> None:
        self._db.close()

    def clear_upto(self, seq: int) -> int:
        """Remove the changes up to ``seq`` (folded into the data by `compact`); answers how
        many were removed. Sequence numbers are never reused."""
        with self._db.write() as conn:
            q = text("DELETE FROM catalog_changes WHERE seq <= :seq")
            return int(conn.execute(q, {"seq": seq}).rowcount)

    def count(self) -> int:
        with self._db.read() as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM catalog_changes")).scalar() or 0)


def uploads_dir(db_path: Path) -> Path:
    """Where uploaded article photos are kept, beside the database (``<db stem>-images``)."""
    return db_path.with_name(f"{db_path.stem}-images")


def open_changes(target: Settings | Path | str) -> ChangeLog:
    """The catalog's change log of these settings (or beside this SQLite database path, or at
    this PostgreSQL URL), beside the shoppers' events."""
    return ChangeLog(target)


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
        return {}, [*problems, *pydantic_problems(exc)]
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
