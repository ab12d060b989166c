"""What the Slack listeners need, built once by ``bot.runtime`` and handed to each ``register``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import UTC, datetime

from catalogue.store import CatalogueStore
from digests.store import Store
from handlers.adapter.delivery import SlackDelivery
from handlers.adapter.pacing import ChannelLanes
from handlers.event_log import EventLog
from reports.braze import BrazeClient
from reports.pipeline import CampaignNames, Workers

log = logging.getLogger(__name__)


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
    #: Subscriptions and digest deliveries (``store.subscriptions``, ``store.deliveries``).
    store: Store
    #: Slack event ids already handled, so Slack's retries are answered once.
    events: EventLog
    #: Every campaign and Canvas by name; searches read only this, never Braze.
    catalogue: CatalogueStore
    #: Called after a subscription is added, changed or cancelled (the scheduler re-syncs its jobs).
    on_subscriptions_changed: Callable[[], None]
    #: Per-channel delivery queues, so pacing waits never occupy the shared job pool.
    lanes: ChannelLanes = field(default_factory=ChannelLanes)
    clock: Callable[[], datetime] = utc_now
    default_timezone: str = "UTC"

    def later(self, fn: Callable[..., object], *args: object, key: str | None = None) -> Future[object]:
        """Run ``fn`` on the job pool after the ack; a crash is logged, never lost silently.

        ``key`` (the requesting user) lets a fair pool (:class:`handlers.jobs.FairJobs`) keep one user's
        stuck reports from holding up anyone else's.
        """
        keyed = getattr(self.jobs, "submit_keyed", None)
        future = keyed(key, fn, *args) if keyed is not None and key else self.jobs.submit(fn, *args)
        future.add_done_callback(lambda f: f.exception() and log.error("background job failed", exc_info=f.exception()))
        return future
