"""`python -m api db copy --to postgresql://…`: a shop moves from one machine to several.

Copies the embedded SQLite state (keys, the audit trail, preferences, events, catalog changes)
with their sequence numbers into an empty PostgreSQL database (upgraded first), and moves its
sequences past the copied numbers, so a build's high-water mark (``events_seq``,
``catalog_seq``) means the same rows on both. A database that holds any of those rows is
refused before anything is written; the copy is one transaction, so a failure leaves it empty.
Rate-limit counters are not copied (they expire within two windows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Table, func, select, text, tuple_

from core import tables
from core.db import PARTS, Database, sqlite_path
from core.errors import LookbookError
from core.state import open_sqlite, upgrade

#: Rows read and written per statement.
CHUNK = 5000


class TargetNotEmpty(LookbookError):
    """The database to copy into already holds state."""


@dataclass(frozen=True)
class Copied:
    table: str
    rows: int
    last: int | None  # the highest sequence number copied (None: no sequence)


def copy_state(
    db_path: Path, to_url: str, progress: Callable[[str, int, int], None] | None = None
) -> list[Copied]:
    """Copy the SQLite state beside ``db_path`` into the PostgreSQL database ``to_url``.
    ``progress(table, done, total)`` is called after each chunk."""
    target = Database.open(to_url)
    try:
        upgrade(target, PARTS)
        with target.read() as conn:
            held = {
                t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for part in tables.COPIED.values()
                for t, _ in part
                if t is not tables.state_versions
            }
        if any(held.values()):
            said = ", ".join(f"{n} {name}" for name, n in held.items() if n)
            raise TargetNotEmpty(
                f"{target.name} already holds state ({said}): copy only into an empty database"
            )
        done: list[Copied] = []
        with target.write() as out:
            for part, copied in tables.COPIED.items():
                source = open_sqlite(sqlite_path(db_path, part), part)  # type: ignore[arg-type]
                try:
                    for table, seq in copied:
                        done.append(_copy_table(source, out, table, seq, progress))
                finally:
                    source.close()
        return done
    finally:
        target.close()


def _copy_table(
    source: Database,
    out: Connection,
    table: Table,
    seq: str | None,
    progress: Callable[[str, int, int], None] | None,
) -> Copied:
    if table is tables.state_versions:
        # The target's versions stay its own: every process starts by reading them afresh.
        return Copied(table.name, 0, None)
    # Paged by the whole primary key: a key of several columns (impression_rules) has rows
    # that share its first column, which a page boundary must not split.
    keys = list(table.primary_key.columns)
    with source.read() as conn:
        total = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    n, after, last = 0, None, None
    while True:
        q = select(table).order_by(*keys).limit(CHUNK)
        if after is not None:
            q = q.where(tuple_(*keys) > tuple_(*after))
        with source.read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(q)]
        if not rows:
            break
        out.execute(table.insert(), rows)
        n += len(rows)
        after = [rows[-1][k.name] for k in keys]
        if progress is not None:
            progress(table.name, n, total)
    if seq is not None:
        last = int(after[0]) if after is not None else None
        # Identity columns continue after the copied numbers (never reusing one).
        out.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{seq}'), :v, :called)"),
            {"v": last or 1, "called": last is not None},
        )
    return Copied(table.name, n, last)
