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
    Float,
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

#: An alert's rule: a metric of a target against a threshold, watched in one channel.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String, nullable=False),
    Column("channel_id", String, nullable=False),
    Column("kind", String, nullable=False),  # checked by the store through the kinds registry, like subscriptions
    Column("object_id", String, nullable=False),
    Column("send_id", String, nullable=False),
    Column("metric", String, nullable=False),  # a name of reports.kinds.metrics.METRICS
    Column("op", String, nullable=False),
    Column("threshold", Float, nullable=False),  # a fraction for rates (0.02 = 2%), a count otherwise
    Column("created_by", String, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String, nullable=False),
    #: ``ok`` or ``breaching``: what the last check found, moved by one conditional UPDATE per change.
    Column("state", String, nullable=False),
    #: Breaches begun so far; a breach and its clearing are posted once per episode.
    Column("episode", Integer, nullable=False),
    Column("last_value", Float),
    Column("last_day", Date),  # the day last_value is of
    Column("checked_at", UTCDateTime),
    Column("complete_through", Date),  # the last complete day checked
    UniqueConstraint("channel_id", "kind", "object_id", "send_id", "metric", "op", name="uq_alerts_rule"),
    CheckConstraint(_in("op", (">", "<")), name="ck_alerts_op"),
    CheckConstraint(_in("status", ("active", "paused", "removed")), name="ck_alerts_status"),
    CheckConstraint(_in("state", ("ok", "breaching")), name="ck_alerts_state"),
)

#: One Slack post of an alert: its breach, or the "back to normal" reply in the breach's thread. One row
#: per (alert, episode, event) is the claim that makes each post once across processes.
alert_posts = Table(
    "alert_posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("event", String, nullable=False),
    Column("status", String, nullable=False),
    Column("value", Float, nullable=False),
    Column("day", Date, nullable=False),
    Column("partial", Integer, nullable=False),  # 1: the day so far (today), 0: a complete day
    Column("attempts", Integer, nullable=False),
    Column("detail", Text),
    Column("message_ts", String),
    Column("file_id", String),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("holder", String),
    Column("heartbeat_at", UTCDateTime),
    Column("sent_at", UTCDateTime),  # a post was sent and its answer is not known yet: look before posting again
    Column("retry_at", UTCDateTime),
    UniqueConstraint("alert_id", "episode", "event", name="uq_alert_posts_event"),
    CheckConstraint(_in("event", ("breach", "clear")), name="ck_alert_posts_event"),
    CheckConstraint(_in("status", ("pending", "claimed", "posted", "failed")), name="ck_alert_posts_status"),
)

#: A round's one upload of each distinct digest chart (target, range start, day), private to the app and
#: shown in every subscribed channel by an image block. Its file id is written the moment the upload is
#: completed, before any reply shows it, so a process killed in between never uploads it again.
digest_charts = Table(
    "digest_charts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String, nullable=False),
    Column("object_id", String, nullable=False),
    Column("send_id", String, nullable=False),
    Column("span_start", Date, nullable=False),  # the chart's first day
    Column("digest_day", Date, nullable=False),  # the chart's last day (the digest's data day)
    Column("file_id", String),  # the completed private upload; NULL while it is being uploaded
    Column("holder", String),  # the uploader's lease (host:pid:random); NULL once recorded or released
    Column("heartbeat_at", UTCDateTime),  # renewed while the uploader works; stale = it died
    Column("uploaded_at", UTCDateTime),  # when the upload was completed (Slack processes it after that)
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("kind", "object_id", "send_id", "span_start", "digest_day", name="uq_digest_charts_key"),
)
