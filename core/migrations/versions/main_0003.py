"""main: experiments (`core.experiments`), and the version each process watches for them.

Revision ID: main_0003
Revises: main_0002
Create Date: 2026-12-06

An experiment's body is one JSON document (its schema is `core.experiments.ExperimentBody`,
validated on every write and read); the columns beside it say who wrote it and when.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "main_0003"
down_revision = "main_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text),
        sa.Column("updated_by", sa.Text),
        sqlite_autoincrement=True,
    )
    versions = sa.table("state_versions", sa.column("name", sa.Text), sa.column("version"))
    op.bulk_insert(versions, [{"name": "experiments", "version": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM state_versions WHERE name = 'experiments'")
    op.drop_table("experiments")
