"""Baseline: the schema the first release made with ``create_all`` (subscriptions, digest deliveries,
processed Slack events). Databases made by that release are recognised and stamped at this revision.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

#: Frozen here on purpose: a migration must not change when the models do later.
UTCDateTime = sa.DateTime(timezone=True)

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String, nullable=False),
        sa.Column("channel_id", sa.String, nullable=False),
        sa.Column("campaign_id", sa.String, nullable=False),
        sa.Column("send_id", sa.String, nullable=False),
        sa.Column("hour", sa.Integer, nullable=False),
        sa.Column("minute", sa.Integer, nullable=False),
        sa.Column("timezone", sa.String, nullable=False),
        sa.Column("created_by", sa.String, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("status_reason", sa.Text),
        sa.Column("last_digest_on", sa.Date),
        sa.UniqueConstraint("channel_id", "campaign_id", "send_id", name="uq_subscriptions_key"),
        sa.CheckConstraint("hour BETWEEN 0 AND 23", name="ck_subscriptions_hour"),
        sa.CheckConstraint("minute BETWEEN 0 AND 59", name="ck_subscriptions_minute"),
        sa.CheckConstraint("ends_on >= first_day", name="ck_subscriptions_days"),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'ended', 'cancelled')", name="ck_subscriptions_status"
        ),
    )
    op.create_index("ix_subscriptions_created_by", "subscriptions", ["created_by"])
    op.create_table(
        "digest_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_id",
            sa.Integer,
            sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("digest_date", sa.Date, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("message_ts", sa.String),
        sa.Column("claimed_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("subscription_id", "digest_date", name="uq_deliveries_day"),
        sa.CheckConstraint("status IN ('claimed', 'posted', 'failed', 'skipped')", name="ck_deliveries_status"),
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String, primary_key=True),
        sa.Column("received_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_processed_events_received_at", "processed_events", ["received_at"])


def downgrade() -> None:
    op.drop_table("processed_events")
    op.drop_table("digest_deliveries")
    op.drop_table("subscriptions")
