"""Alerts: a rule per (channel, target, metric, op) with its stored state, and one row per Slack post of
a breach or its clearing (the claim that posts each once across processes).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

#: Frozen here on purpose: a migration must not change when the models do later.
UTCDateTime = sa.DateTime(timezone=True)

revision = "0008"
down_revision = "0007"  # chained after 0007 (one chart upload per send)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String, nullable=False),
        sa.Column("channel_id", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("object_id", sa.String, nullable=False),
        sa.Column("send_id", sa.String, nullable=False),
        sa.Column("metric", sa.String, nullable=False),
        sa.Column("op", sa.String, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("created_by", sa.String, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("last_value", sa.Float),
        sa.Column("last_day", sa.Date),
        sa.Column("checked_at", UTCDateTime),
        sa.Column("complete_through", sa.Date),
        sa.UniqueConstraint("channel_id", "kind", "object_id", "send_id", "metric", "op", name="uq_alerts_rule"),
        sa.CheckConstraint("op IN ('>', '<')", name="ck_alerts_op"),
        sa.CheckConstraint("status IN ('active', 'paused', 'removed')", name="ck_alerts_status"),
        sa.CheckConstraint("state IN ('ok', 'breaching')", name="ck_alerts_state"),
    )
    op.create_table(
        "alert_posts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("event", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("partial", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("message_ts", sa.String),
        sa.Column("file_id", sa.String),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("holder", sa.String),
        sa.Column("heartbeat_at", UTCDateTime),
        sa.Column("sent_at", UTCDateTime),
        sa.Column("retry_at", UTCDateTime),
        sa.UniqueConstraint("alert_id", "episode", "event", name="uq_alert_posts_event"),
        sa.CheckConstraint("event IN ('breach', 'clear')", name="ck_alert_posts_event"),
        sa.CheckConstraint("status IN ('pending', 'claimed', 'posted', 'failed')", name="ck_alert_posts_status"),
    )


def downgrade() -> None:
    op.drop_table("alert_posts")
    op.drop_table("alerts")
