"""The catalogue's tables: every campaign and Canvas Braze lists, and how each list was last read.

Registered beside :mod:`digests.tables` in Alembic's target metadata (``migrations/env.py``), so the
migrations are checked against these definitions too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


class UTCTime(TypeDecorator[datetime]):
    """TIMESTAMPTZ on PostgreSQL, naive-UTC text on SQLite; aware UTC in Python either way."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware (UTC) datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


catalogue_entries = Table(
    "catalogue_entries",
    metadata,
    Column("kind", String, nullable=False),  # campaign | canvas
    Column("object_id", String, nullable=False),  # Braze's API identifier
    Column("name", Text, nullable=False),
    Column("folded_name", Text, nullable=False),  # catalogue.fold.fold(name): what searches compare
    Column("last_edited", UTCTime),
    #: Braze stopped listing it among the live ones (archived, or deleted); kept so IDs still resolve.
    Column("archived", Boolean, nullable=False, server_default=false()),
    Column("listed_at", UTCTime, nullable=False),  # last time a list page held it
    PrimaryKeyConstraint("kind", "object_id", name="pk_catalogue_entries"),
    CheckConstraint("kind IN ('campaign', 'canvas')", name="ck_catalogue_entries_kind"),
    Index("ix_catalogue_entries_edited", "kind", "last_edited"),
)

catalogue_sync = Table(
    "catalogue_sync",
    metadata,
    Column("kind", String, primary_key=True),
    Column("full_at", UTCTime),  # last complete read of every page
    Column("incremental_at", UTCTime),  # last read of what changed since the newest edit known
    Column("attempted_at", UTCTime),
    #: The Braze permission the key lacks for this list (403), until a read succeeds again.
    Column("missing_permission", String),
    Column("error", Text),  # the last failure other than a 403, for logs and `find`
    Column("entries", Integer, nullable=False, server_default="0"),
    CheckConstraint("kind IN ('campaign', 'canvas')", name="ck_catalogue_sync_kind"),
)
