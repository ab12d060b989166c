"""Subscriptions name their target as ``(kind, object_id, send_id)``: ``campaign_id`` (which held Canvas IDs
too) becomes ``object_id``, and the unique key includes the kind, so a campaign and a Canvas that share
an ID are two subscriptions. Every row is kept, digest deliveries included.

SQLite cannot change a table's UNIQUE constraint in place, so there the table is rebuilt (copied,
dropped, renamed). With foreign keys on, dropping the old copy cascade-deletes every digest delivery,
and ``PRAGMA foreign_keys`` cannot be switched off inside the migration's transaction; so the
deliveries are copied aside first and put back, ids and all, in the same transaction.

Revision ID: 0004_subscription_target
Revises: 0003_catalogue
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Callable

from alembic import op

revision = "0004_subscription_target"
down_revision = "0003_catalogue"
branch_labels = None
depends_on = None

#: Frozen here on purpose: the columns of ``digest_deliveries`` at this revision.
DELIVERY_COLUMNS = (
    "id, subscription_id, digest_date, status, attempts, detail, message_ts, claimed_at, updated_at, "
    "holder, heartbeat_at, sent_at, retry_at, file_id"
)
KEEP = "_keep_digest_deliveries"


def upgrade() -> None:
    def change() -> None:
        # In place on both backends (SQLite 3.25+ renames inside the old key too). Not in the batch below:
        # a batch rebuild drops any new constraint that names a column it renames.
        op.alter_column("subscriptions", "campaign_id", new_column_name="object_id")
        with op.batch_alter_table("subscriptions") as batch:
            batch.drop_constraint("uq_subscriptions_key", type_="unique")
            batch.create_unique_constraint("uq_subscriptions_key", ["channel_id", "kind", "object_id", "send_id"])

    _keeping_deliveries(change)


def downgrade() -> None:
    # The older key ignores the kind: of a campaign and a Canvas with one ID in one channel, the older
    # code can keep only one, so the later subscription (and its deliveries) goes.
    op.execute(
        "DELETE FROM subscriptions WHERE id IN (SELECT later.id FROM subscriptions AS later JOIN subscriptions AS"
        " earlier ON earlier.channel_id = later.channel_id AND earlier.object_id = later.object_id"
        " AND earlier.send_id = later.send_id AND earlier.id < later.id)"
    )

    def change() -> None:
        op.alter_column("subscriptions", "object_id", new_column_name="campaign_id")
        with op.batch_alter_table("subscriptions") as batch:
            batch.drop_constraint("uq_subscriptions_key", type_="unique")
            batch.create_unique_constraint("uq_subscriptions_key", ["channel_id", "campaign_id", "send_id"])

    _keeping_deliveries(change)


def _keeping_deliveries(change: Callable[[], None]) -> None:
    """Run ``change`` on ``subscriptions``; on SQLite, where it rebuilds the table, put back the deliveries
    the rebuild's DROP cascade-deleted."""
    if op.get_bind().dialect.name != "sqlite":
        change()  # PostgreSQL alters the table in place: nothing cascades
        return
    op.execute(f"CREATE TEMPORARY TABLE {KEEP} AS SELECT {DELIVERY_COLUMNS} FROM digest_deliveries")
    change()
    op.execute("DELETE FROM digest_deliveries")  # whatever the cascade left (nothing, with foreign keys on)
    op.execute(f"INSERT INTO digest_deliveries ({DELIVERY_COLUMNS}) SELECT {DELIVERY_COLUMNS} FROM {KEEP}")
    op.execute(f"DROP TABLE {KEEP}")
