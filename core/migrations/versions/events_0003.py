"""events: attribution. The lists the API served (``impressions``), and the position of an
event's article in the list its ``rec_id`` names.

Revision ID: events_0003
Revises: events_0002
Create Date: 2026-12-06

An impression is one ranked list answered: its ``rec_id`` (which names the surface, the index
version and the variant, signed by the API: `core.attribution`), when, for whom (a customer or
an anonymous visitor), the search query if any, and the article ids in order, packed as
8-byte integers; and, in ``impression_rules``, which positions merchandising rules moved.
Events find their list by ``rec_id`` (indexed now).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "events_0003"
down_revision = "events_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("position", sa.Integer))
    op.create_index("events_by_rec_id", "events", ["rec_id", "type"])
    op.create_table(
        "impressions",
        sa.Column("rec_id", sa.Text, primary_key=True),
        sa.Column("surface", sa.Text, nullable=False),
        sa.Column("ts", sa.Double, nullable=False),
        sa.Column("customer_id", sa.Text),
        sa.Column("visitor_id", sa.Text),
        sa.Column("query", sa.Text),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("items", sa.LargeBinary, nullable=False),
    )
    op.create_index("impressions_by_ts", "impressions", ["ts", "surface"])
    # The items merchandising rules moved (pinned, boosted, buried), one row each: the insights'
    # click-through of the items each rule moved.
    op.create_table(
        "impression_rules",
        sa.Column("rec_id", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("rule_id", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("rec_id", "position", "rule_id"),
    )
    op.create_index("impression_rules_by_rule", "impression_rules", ["rule_id", "rec_id"])
