"""The schema of what is written after a build, versioned by Alembic (see `core.schema`)."""
