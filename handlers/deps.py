"""What the Slack listeners need, built once by ``bot.runtime`` and handed to each ``register``."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from handlers.delivery import SlackDelivery
from handlers.pacing import ChannelLanes
from reports.braze import BrazeClient
from reports.pipeline import CampaignNames, Workers

if TYPE_CHECKING:
    from bot.store import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """Long-lived collaborators of the listeners; tests build it around fakes on 127.0.0.1."""

    braze: BrazeClient
    renderer: Workers
    names: CampaignNames
    delivery: SlackDelivery
    #: Runs the slow part of a request after Slack has been acknowledged.
    jobs: Executor
    store: Store | None = None
    #: Per-channel delivery queues, so pacing waits never occupy the shared job pool.
    lanes: ChannelLanes = field(default_factory=ChannelLanes)
    clock: Callable[[], datetime] = utc_now
    default_timezone: str = "UTC"
    #: Called after a subscription is added, changed or cancelled (the scheduler re-syncs its jobs).
    on_subscriptions_changed: Callable[[], None] | None = None
