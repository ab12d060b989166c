"""The catalogue: every campaign and Canvas Braze lists (searchable by folded name), and how each list
was last read. Subscriptions gain a ``kind`` (send, campaign, Canvas); existing rows are sends.

Revision ID: 0003_catalogue
Revises: 0002_delivery_lease
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

#: Frozen here on purpose: a migration must not change when the models do later.
UTCDateTime = sa.DateTime(timezone=True)

revision = "0003_catalogue"
down_revision = "0002_delivery_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogue_entries",
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("object_id", sa.String, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("folded_name", sa.Text, nullable=False),
        sa.Column("last_edited", UTCDateTime),
        sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("listed_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("kind", "object_id", name="pk_catalogue_entries"),
        sa.CheckConstraint("kind IN ('campaign', 'canvas')", name="ck_catalogue_entries_kind"),
    )
    op.create_index("ix_catalogue_entries_edited", "catalogue_entries", ["kind", "last_edited"])
    op.create_table(
        "catalogue_sync",
        sa.Column("kind", sa.String, primary_key=True),
        sa.Column("full_at", UTCDateTime),
        sa.Column("incremental_at", UTCDateTime),
        sa.Column("attempted_at", UTCDateTime),
        sa.Column("missing_permission", sa.String),
        sa.Column("error", sa.Text),
        sa.Column("entries", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("kind IN ('campaign', 'canvas')", name="ck_catalogue_sync_kind"),
    )
    # A plain ADD COLUMN on both backends: a CHECK would make SQLite rebuild the table, and dropping the
    # old copy with foreign keys on would cascade-delete the digest deliveries. The store checks values.
    op.add_column("subscriptions", sa.Column("kind", sa.String, nullable=False, server_default="send"))


def downgrade() -> None:
    op.execute("DELETE FROM subscriptions WHERE kind <> 'send'")  # the older code knows only sends
    # Not in batch mode: SQLite (3.35+) drops a column in place, without the rebuild that would cascade.
    op.drop_column("subscriptions", "kind")
    op.drop_table("catalogue_sync")
    op.drop_table("catalogue_entries")
