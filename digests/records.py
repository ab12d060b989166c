"""What the digest domain stores, as plain frozen values: callers never see database rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

SubscriptionStatus = Literal["active", "paused", "ended", "cancelled"]
DeliveryStatus = Literal["claimed", "posted", "failed", "skipped"]
#: Outcomes that count as "today's digest is done": they advance ``last_digest_on``.
DONE_STATUSES: tuple[DeliveryStatus, ...] = ("posted", "skipped")


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel's daily digest of one Braze send."""

    id: int
    team_id: str
    channel_id: str
    campaign_id: str
    send_id: str
    hour: int
    minute: int
    timezone: str
    created_by: str
    created_at: datetime
    first_day: date
    ends_on: date
    status: SubscriptionStatus
    status_reason: str | None
    last_digest_on: date | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One subscription's digest for one day: who holds it, how it went, how often it was tried."""

    id: int
    subscription_id: int
    digest_date: date
    status: DeliveryStatus
    attempts: int
    detail: str | None
    message_ts: str | None
    claimed_at: datetime
    updated_at: datetime
