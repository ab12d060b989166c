"""What the digest domain stores, as plain frozen values: callers never see database rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from digests.states import DeliveryState
from reports.kinds import Kind, Target

SubscriptionStatus = Literal["active", "paused", "ended", "cancelled"]
#: ``ends_on`` of campaign and Canvas subscriptions: no end date (they end when archived or quiet).
OPEN_END = date(9999, 12, 31)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel's daily digest of one Braze send, campaign or Canvas. Its target is ``(kind, object_id,
    send_id)``: for a send, ``object_id`` is its campaign's ID and ``send_id`` the send's; for a campaign or
    Canvas, ``object_id`` is its ID and ``send_id`` is empty."""

    id: int
    team_id: str
    channel_id: str
    object_id: str  # the campaign's ID (a send's campaign, or the campaign itself) or the Canvas's
    send_id: str  # the send's ID; "" for campaigns and Canvases
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
    kind: Kind = Kind.SEND

    @property
    def target(self) -> Target:
        return Target(Kind(self.kind), self.object_id, self.send_id)

    @property
    def subject_id(self) -> str:
        """The ID people know the digested thing by: the send's ID for a send, else the campaign's or
        Canvas's (``object_id``)."""
        return self.target.ident


@dataclass(frozen=True, slots=True)
class Delivery:
    """One subscription's digest for one day: who holds it, how it went, how often it was tried."""

    id: int
    subscription_id: int
    digest_date: date
    status: DeliveryState  # see digests.states for the states and every transition between them
    attempts: int
    detail: str | None
    message_ts: str | None
    claimed_at: datetime
    updated_at: datetime
    holder: str | None = None  # who holds the lease (host:pid:random), None once released
    heartbeat_at: datetime | None = None  # renewed while the holder works; a stale one means it died
    sent_at: datetime | None = None  # a Slack write of the current step was sent, its outcome unknown
    retry_at: datetime | None = None  # a failed delivery is not retried before this (backoff)
    file_id: str | None = None  # the chart's Slack file id, once attached
