"""limits: the rate limiter's sliding-window counters.

Revision ID: limits_0001
Create Date: 2026-12-06

Counters are not durable by design (a crash may forget the last counts): PostgreSQL keeps them
in an UNLOGGED table (no write-ahead log, emptied after a crash), SQLite in a file written
without fsync. The table of the unversioned SQLite layout (``windows``, whose column
``window`` PostgreSQL reserves) is dropped: at most one window of counts is forgotten.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "limits_0001"
down_revision = None
branch_labels = ("limits",)
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if "windows" in sa.inspect(bind).get_table_names():
        op.drop_table("windows")
    op.create_table(
        "rate_windows",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("win", sa.BigInteger, nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("previous", sa.BigInteger, nullable=False),
        sa.Column("expires", sa.Double, nullable=False),
        sqlite_with_rowid=False,
        prefixes=["UNLOGGED"] if bind.dialect.name == "postgresql" else [],
    )
