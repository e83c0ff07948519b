"""The tables of the state as SQLAlchemy Core sees them, for statements built per dialect and
for `python -m api db copy`; the migrations (`core.migrations`) are what creates them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("role", sa.Text),
    sa.Column("hash", sa.Text),
    sa.Column("hint", sa.Text),
    sa.Column("created_at", sa.Text),
    sa.Column("revoked_at", sa.Text),
)
audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", SEQ, primary_key=True),
    sa.Column("at", sa.Text),
    sa.Column("key_name", sa.Text),
    sa.Column("role", sa.Text),
    sa.Column("method", sa.Text),
    sa.Column("path", sa.Text),
    sa.Column("status", sa.Integer),
)
preferences = sa.Table(
    "preferences",
    metadata,
    sa.Column("customer_id", sa.Text, primary_key=True),
    sa.Column("body", sa.Text),
    sa.Column("updated_at", sa.Text),
)
rules = sa.Table(
    "rules",
    metadata,
    sa.Column("id", SEQ, primary_key=True),
    sa.Column("body", sa.Text),
    sa.Column("created_at", sa.Text),
    sa.Column("updated_at", sa.Text),
    sa.Column("created_by", sa.Text),
    sa.Column("updated_by", sa.Text),
)
experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("id", SEQ, primary_key=True),
    sa.Column("body", sa.Text),
    sa.Column("created_at", sa.Text),
    sa.Column("updated_at", sa.Text),
    sa.Column("created_by", sa.Text),
    sa.Column("updated_by", sa.Text),
)
state_versions = sa.Table(
    "state_versions",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("version", sa.BigInteger),
)
events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", SEQ, primary_key=True),
    sa.Column("event_id", sa.Text),
    sa.Column("type", sa.Text),
    sa.Column("customer_id", sa.Text),
    sa.Column("article_id", sa.Text),
    sa.Column("ts", sa.Double),
    sa.Column("price", sa.Double),
    sa.Column("sales_channel_id", sa.Integer),
    sa.Column("rec_id", sa.Text),
    sa.Column("received", sa.Double),
    sa.Column("position", sa.Integer),
)
impressions = sa.Table(
    "impressions",
    metadata,
    sa.Column("rec_id", sa.Text, primary_key=True),
    sa.Column("surface", sa.Text),
    sa.Column("ts", sa.Double),
    sa.Column("customer_id", sa.Text),
    sa.Column("visitor_id", sa.Text),
    sa.Column("query", sa.Text),
    sa.Column("n", sa.Integer),
    sa.Column("items", sa.LargeBinary),
    sa.Column("experiment", sa.BigInteger),
    sa.Column("variant", sa.Text),
)
impression_rules = sa.Table(
    "impression_rules",
    metadata,
    sa.Column("rec_id", sa.Text, primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("rule_id", sa.BigInteger, primary_key=True),
)
catalog_changes = sa.Table(
    "catalog_changes",
    metadata,
    sa.Column("seq", SEQ, primary_key=True),
    sa.Column("article_id", sa.Text),
    sa.Column("op", sa.Text),
    sa.Column("body", sa.Text),
    sa.Column("actor", sa.Text),
    sa.Column("received", sa.Double),
)

catalog_uploads = sa.Table(
    "catalog_uploads",
    metadata,
    sa.Column("path", sa.Text, primary_key=True),
    sa.Column("body", sa.LargeBinary),
    sa.Column("stored", sa.Double),
)

#: What `db copy` moves, per part, with the column whose sequence continues after the copy.
COPIED: dict[str, list[tuple[sa.Table, str | None]]] = {
    "main": [
        (api_keys, None),
        (audit, "id"),
        (preferences, None),
        (rules, "id"),
        (experiments, "id"),
        (state_versions, None),
    ],
    "events": [
        (events, "seq"),
        (catalog_changes, "seq"),
        (catalog_uploads, None),
        (impressions, None),
        (impression_rules, None),
    ],
}


def insert_ignoring(table: sa.Table, dialect: str, key: str) -> sa.Insert:
    """``INSERT … ON CONFLICT (key) DO NOTHING`` for ``dialect`` (the two spell it alike but
    SQLAlchemy builds it per dialect)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=[key])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=[key])
