"""main: merchandising rules (`core.rules`), and the version each process watches for them.

Revision ID: main_0002
Revises: main_0001
Create Date: 2026-12-06

A rule's body is one JSON document (its schema is `core.rules.RuleIn`, validated on every
write and read); the columns beside it say who wrote it and when.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "main_0002"
down_revision = "main_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text),
        sa.Column("updated_by", sa.Text),
        sqlite_autoincrement=True,
    )
    versions = sa.table("state_versions", sa.column("name", sa.Text), sa.column("version"))
    op.bulk_insert(versions, [{"name": "rules", "version": 0}])
