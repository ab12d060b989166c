"""Alembic environment: runs on the connection that ``bot.db`` hands over (already locked and in a
transaction), so start-up upgrades, ``python -m bot db`` and the tests share one code path."""

from __future__ import annotations

from alembic import context

from digests.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
