"""Delivery leases and steps: a holder id and heartbeat per claim, the unknown-outcome marker, the
retry backoff, the chart's file id, and two new states (``chart_pending``, ``missed``).

Existing rows keep their meaning: ``posted`` still means done, ``failed`` is retried at once, and a
``claimed`` row (first-release claims had no heartbeat) counts as last seen at its ``updated_at``, so a
crashed first-release claim is taken over one lease after that, not after 15 minutes.

Revision ID: 0002_delivery_lease
Revises: 0001_baseline
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

#: Frozen here on purpose: a migration must not change when the models do later.
UTCDateTime = sa.DateTime(timezone=True)
OLD = "status IN ('claimed', 'posted', 'failed', 'skipped')"
NEW = "status IN ('claimed', 'chart_pending', 'posted', 'failed', 'missed', 'skipped')"

revision = "0002_delivery_lease"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_deliveries") as batch:
        batch.add_column(sa.Column("holder", sa.String))
        batch.add_column(sa.Column("heartbeat_at", UTCDateTime))
        batch.add_column(sa.Column("sent_at", UTCDateTime))
        batch.add_column(sa.Column("retry_at", UTCDateTime))
        batch.add_column(sa.Column("file_id", sa.String))
        batch.drop_constraint("ck_deliveries_status", type_="check")
        batch.create_check_constraint("ck_deliveries_status", NEW)
    op.execute("UPDATE digest_deliveries SET heartbeat_at = updated_at WHERE status = 'claimed'")


def downgrade() -> None:
    # The first release knows neither new state: a half-done digest becomes a claim to take over, a
    # missed day a failure.
    op.execute("UPDATE digest_deliveries SET status = 'claimed' WHERE status = 'chart_pending'")
    op.execute("UPDATE digest_deliveries SET status = 'failed' WHERE status = 'missed'")
    with op.batch_alter_table("digest_deliveries") as batch:
        batch.drop_constraint("ck_deliveries_status", type_="check")
        batch.create_check_constraint("ck_deliveries_status", OLD)
        for name in ("file_id", "retry_at", "sent_at", "heartbeat_at", "holder"):
            batch.drop_column(name)
