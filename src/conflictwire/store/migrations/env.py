"""Alembic environment: runs the package's migrations on the connection the store hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from conflictwire.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - guarded by Store.upgrade, which always passes one
    raise RuntimeError("conflictwire migrations run through conflictwire.store.migrate only")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Two processes opening a fresh database at once must not both create the tables.
        connection.execute(text("SELECT pg_advisory_xact_lock(7345119021)"))
    context.run_migrations()
