"""events: the insights' daily roll-up (`core.rollup`).

Revision ID: events_0004
Revises: events_0003
Create Date: 2026-12-06

Per surface and UTC day (days since 1970), the sums the insights are made of: lists by their
length, lists clicked, carted and bought with the revenue and its square, lists clicked at each
position, per search query and per merchandising rule. ``rollup_days`` says which days are
rolled up and when; ``rollup_state`` (one row) holds the last event sequence number seen, when
the last refresh began and ended, and the claim of the process refreshing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "events_0004"
down_revision = "events_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    def table(name: str, key: tuple[str, ...], *columns: sa.Column[Any]) -> None:
        op.create_table(
            name,
            sa.Column("surface", sa.Text, nullable=False),
            sa.Column("day", sa.Integer, nullable=False),
            *columns,
            sa.PrimaryKeyConstraint("day", "surface", *key),
        )

    table("rollup_lists", ("n",), sa.Column("n", sa.Integer), sa.Column("lists", sa.BigInteger))
    table(
        "rollup_outcomes",
        (),
        sa.Column("clicked", sa.BigInteger),
        sa.Column("carted", sa.BigInteger),
        sa.Column("bought", sa.BigInteger),
        sa.Column("revenue", sa.Double),
        sa.Column("revenue2", sa.Double),
    )
    table(
        "rollup_positions",
        ("position",),
        sa.Column("position", sa.Integer),
        sa.Column("clicked", sa.BigInteger),
    )
    table(
        "rollup_queries",
        ("query",),
        sa.Column("query", sa.Text),
        sa.Column("lists", sa.BigInteger),
        sa.Column("clicked", sa.BigInteger),
    )
    table(
        "rollup_rules",
        ("rule_id",),
        sa.Column("rule_id", sa.BigInteger),
        sa.Column("lists", sa.BigInteger),
        sa.Column("items", sa.BigInteger),
        sa.Column("clicked", sa.BigInteger),
    )
    op.create_table(
        "rollup_days",
        sa.Column("day", sa.Integer, primary_key=True),
        sa.Column("refreshed", sa.Double, nullable=False),
    )
    state = op.create_table(
        "rollup_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq_done", sa.BigInteger, nullable=False),
        sa.Column("started", sa.Double, nullable=False),
        sa.Column("refreshed", sa.Double),
        sa.Column("claimed_until", sa.Double, nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "seq_done": 0, "started": 0.0, "claimed_until": 0.0}])


def downgrade() -> None:
    for name in (
        "rollup_state",
        "rollup_days",
        "rollup_rules",
        "rollup_queries",
        "rollup_positions",
        "rollup_outcomes",
        "rollup_lists",
    ):
        op.drop_table(name)
