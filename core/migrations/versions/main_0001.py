"""main: API keys, the audit trail, preferences, and the versions stores look at per request.

Revision ID: main_0001
Create Date: 2026-12-06

A SQLite file written before schemas were versioned already has the first three tables (same
columns): they are kept as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "main_0001"
down_revision = None
branch_labels = ("main",)
depends_on = None


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    if "api_keys" not in have:
        op.create_table(
            "api_keys",
            sa.Column("name", sa.Text, primary_key=True),
            sa.Column("role", sa.Text, nullable=False),
            sa.Column("hash", sa.Text, nullable=False, unique=True),
            sa.Column("hint", sa.Text, nullable=False),
            sa.Column("created_at", sa.Text, nullable=False),
            sa.Column("revoked_at", sa.Text),
        )
    if "audit" not in have:
        op.create_table(
            "audit",
            sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
            sa.Column("at", sa.Text, nullable=False),
            sa.Column("key_name", sa.Text, nullable=False),
            sa.Column("role", sa.Text, nullable=False),
            sa.Column("method", sa.Text, nullable=False),
            sa.Column("path", sa.Text, nullable=False),
            sa.Column("status", sa.Integer, nullable=False),
            sqlite_autoincrement=True,
        )
        op.create_index("audit_by_at", "audit", ["at"])
    if "preferences" not in have:
        op.create_table(
            "preferences",
            sa.Column("customer_id", sa.Text, primary_key=True),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("updated_at", sa.Text, nullable=False),
        )
    versions = op.create_table(
        "state_versions",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(versions, [{"name": n, "version": 0} for n in ("keys", "preferences")])
