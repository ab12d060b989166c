"""The digests' tables (subscriptions and their deliveries). Alembic's migrations (``migrations/``) are
checked against these, :mod:`catalogue.tables` and :mod:`handlers.event_log` (see ``bot.db.METADATA``).

Every datetime column is timezone-aware UTC going in and coming out (SQLite stores naive UTC text).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

from digests.records import SubscriptionStatus
from digests.states import DeliveryState


def as_utc(value: datetime | None) -> datetime:
    """``value`` (default: now) as aware UTC; naive datetimes are refused, not guessed."""
    if value is None:
        return datetime.now(UTC)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: pass a timezone-aware (UTC) datetime")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """TIMESTAMPTZ on PostgreSQL, naive-UTC text on SQLite; aware UTC in Python either way.

    Naive datetimes are refused on the way in: a naive value is a bug (whose local time?), not data.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        # SQLite keeps no offset; storing naive UTC keeps its text comparisons (claimed_at < cutoff) right.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


metadata = MetaData()

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String, nullable=False),
    Column("channel_id", String, nullable=False),  # Slack channel ID (C…/G…), never a name
    #: The target is (kind, object_id, send_id): a send's campaign ID and send ID, or a campaign's or
    #: Canvas's ID and an empty send_id.
    Column("object_id", String, nullable=False),
    Column("send_id", String, nullable=False),
    Column("hour", Integer, nullable=False),
    Column("minute", Integer, nullable=False),
    Column("timezone", String, nullable=False),  # IANA name, e.g. Europe/Berlin
    Column("created_by", String, nullable=False),  # Slack user ID
    Column("created_at", UTCDateTime, nullable=False),
    Column("first_day", Date, nullable=False),  # the send's first day with data
    Column("ends_on", Date, nullable=False),  # last day Braze still has data for the send
    Column("status", String, nullable=False),
    Column("status_reason", Text),
    Column("last_digest_on", Date),
    #: send | campaign | canvas: checked by the store, not by a CHECK, so a new kind needs no migration.
    Column("kind", String, nullable=False, server_default="send"),
    UniqueConstraint("channel_id", "kind", "object_id", "send_id", name="uq_subscriptions_key"),
    CheckConstraint("hour BETWEEN 0 AND 23", name="ck_subscriptions_hour"),
    CheckConstraint("minute BETWEEN 0 AND 59", name="ck_subscriptions_minute"),
    CheckConstraint("ends_on >= first_day", name="ck_subscriptions_days"),
    CheckConstraint(_in("status", get_args(SubscriptionStatus)), name="ck_subscriptions_status"),
    Index("ix_subscriptions_created_by", "created_by"),
)

digest_deliveries = Table(
    "digest_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", Integer, ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("digest_date", Date, nullable=False),
    Column("status", String, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("detail", Text),  # the Slack/Braze error, or why the digest was skipped
    Column("message_ts", String),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("holder", String),  # the lease holder (host:pid:random); NULL when released
    Column("heartbeat_at", UTCDateTime),  # renewed while the holder works; stale = holder died
    Column("sent_at", UTCDateTime),  # a Slack write was sent and its outcome is not known yet
    Column("retry_at", UTCDateTime),  # backoff: a failed delivery waits until then
    Column("file_id", String),  # the chart's Slack file id
    UniqueConstraint("subscription_id", "digest_date", name="uq_deliveries_day"),
    CheckConstraint(_in("status", tuple(s.value for s in DeliveryState)), name="ck_deliveries_status"),
)
