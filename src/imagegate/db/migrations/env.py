"""Alembic's environment: imagegate always hands it an open connection
(``config.attributes["connection"]``), so migrations run inside the caller's transaction and
lock, on SQLite or PostgreSQL, from the server's start or ``imagegate migrate``."""

from __future__ import annotations

from alembic import context

from imagegate.db.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by a bare `alembic` command line
    raise RuntimeError("run migrations through imagegate.db.migrate, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place: batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
