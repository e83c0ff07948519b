"""events: uploaded article photos in the database, so every host can apply a photo change.

Revision ID: events_0002
Revises: events_0001
Create Date: 2026-12-06

A photo change names a file beside ``LOOKBOOK_DB_PATH`` (``<stem>-images/``), which only the
host that took the upload had. The bytes now commit with the change that names them; a host
that lacks the file writes it from here before applying the change (`ChangeLog.fetch_uploads`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "events_0002"
down_revision = "events_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_uploads",
        sa.Column("path", sa.Text, primary_key=True),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("stored", sa.Double, nullable=False),
    )
