"""events: the experiment and variant of each impression (`core.experiments`).

Revision ID: events_0005
Revises: events_0004
Create Date: 2026-12-06

A list served inside an experiment records which one and which variant (null outside any), so
an experiment's results group its lists, and through their ``rec_id`` the events, by variant.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "events_0005"
down_revision = "events_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("impressions") as batch:
        batch.add_column(sa.Column("experiment", sa.BigInteger))
        batch.add_column(sa.Column("variant", sa.Text))
    op.create_index("impressions_by_experiment", "impressions", ["experiment", "variant"])


def downgrade() -> None:
    op.drop_index("impressions_by_experiment", "impressions")
    with op.batch_alter_table("impressions") as batch:
        batch.drop_column("variant")
        batch.drop_column("experiment")
