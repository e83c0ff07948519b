"""events: shoppers' events and the catalog's change log, each with its sequence number.

Revision ID: events_0001
Create Date: 2026-12-06

A SQLite file written before schemas were versioned already has both tables: kept as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "events_0001"
down_revision = None
branch_labels = ("events",)
depends_on = None

#: SQLite: INTEGER PRIMARY KEY AUTOINCREMENT (never reused); PostgreSQL: a bigint identity.
SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    if "events" not in have:
        op.create_table(
            "events",
            sa.Column("seq", SEQ, sa.Identity(), primary_key=True),
            sa.Column("event_id", sa.Text, nullable=False, unique=True),
            sa.Column("type", sa.Text, nullable=False),
            sa.Column("customer_id", sa.Text, nullable=False),
            sa.Column("article_id", sa.Text, nullable=False),
            sa.Column("ts", sa.Double, nullable=False),
            sa.Column("price", sa.Double),
            sa.Column("sales_channel_id", sa.Integer),
            sa.Column("rec_id", sa.Text),
            sa.Column("received", sa.Double, nullable=False),
            sa.CheckConstraint("type IN ('view', 'add_to_cart', 'purchase')", name="events_type"),
            sqlite_autoincrement=True,
        )
        op.create_index("events_by_customer", "events", ["customer_id", "type", "seq"])
        op.create_index("events_by_type", "events", ["type", "seq"])
        op.create_index("events_by_type_ts", "events", ["type", "ts"])
    if "catalog_changes" not in have:
        op.create_table(
            "catalog_changes",
            sa.Column("seq", SEQ, sa.Identity(), primary_key=True),
            sa.Column("article_id", sa.Text, nullable=False),
            sa.Column("op", sa.Text, nullable=False),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("actor", sa.Text, nullable=False),
            sa.Column("received", sa.Double, nullable=False),
            sa.CheckConstraint("op IN ('put', 'patch', 'delete')", name="catalog_changes_op"),
            sqlite_autoincrement=True,
        )
        op.create_index("catalog_changes_by_article", "catalog_changes", ["article_id", "seq"])
