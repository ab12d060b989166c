"""The schema exactly as the first release created it with ``metadata.create_all`` (bot/store.py at
567b93d), frozen here so the migration tests can build a database the way deployed installs have one."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()
Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String, nullable=False),
    Column("channel_id", String, nullable=False),
    Column("campaign_id", String, nullable=False),
    Column("send_id", String, nullable=False),
    Column("hour", Integer, nullable=False),
    Column("minute", Integer, nullable=False),
    Column("timezone", String, nullable=False),
    Column("created_by", String, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("first_day", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("status", String, nullable=False),
    Column("status_reason", Text),
    Column("last_digest_on", Date),
    UniqueConstraint("channel_id", "campaign_id", "send_id", name="uq_subscriptions_key"),
    CheckConstraint("hour BETWEEN 0 AND 23", name="ck_subscriptions_hour"),
    CheckConstraint("minute BETWEEN 0 AND 59", name="ck_subscriptions_minute"),
    CheckConstraint("ends_on >= first_day", name="ck_subscriptions_days"),
    CheckConstraint("status IN ('active', 'paused', 'ended', 'cancelled')", name="ck_subscriptions_status"),
    Index("ix_subscriptions_created_by", "created_by"),
)
Table(
    "digest_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", Integer, ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("digest_date", Date, nullable=False),
    Column("status", String, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("detail", Text),
    Column("message_ts", String),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("subscription_id", "digest_date", name="uq_deliveries_day"),
    CheckConstraint("status IN ('claimed', 'posted', 'failed', 'skipped')", name="ck_deliveries_status"),
)
Table(
    "processed_events",
    metadata,
    Column("event_id", String, primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("ix_processed_events_received_at", "received_at"),
)

#: One row per table, written with the first release's columns (naive UTC, as its SQLite rows are).
ROWS = {
    "subscriptions": [
        {
            "id": 1,
            "team_id": "T1",
            "channel_id": "C1",
            "campaign_id": "cmp-1",
            "send_id": "send-1",
            "hour": 9,
            "minute": 0,
            "timezone": "Europe/Berlin",
            "created_by": "U1",
            "created_at": datetime(2026, 11, 1, 8, 0, 0),
            "first_day": date(2026, 11, 1),
            "ends_on": date(2026, 11, 15),
            "status": "active",
            "status_reason": None,
            "last_digest_on": date(2026, 11, 3),
        }
    ],
    "digest_deliveries": [
        {
            "id": 1,
            "subscription_id": 1,
            "digest_date": date(2026, 11, 3),
            "status": "posted",
            "attempts": 1,
            "detail": None,
            "message_ts": "1762156800.000100",
            "claimed_at": datetime(2026, 11, 3, 8, 0, 1),
            "updated_at": datetime(2026, 11, 3, 8, 0, 2),
        }
    ],
    "processed_events": [{"event_id": "Ev1", "received_at": datetime(2026, 11, 3, 8, 0, 0)}],
}
