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
from handlers.database import RecentIds
from handlers.event_log import EventLog
from handlers.promises import Promises
from reports.braze import BrazeClient
from reports.pipeline import CampaignNames, Workers

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _log_failure(future: Future[object]) -> None:
    """A job's crash, logged (a job cancelled at shutdown is not one: its requester was told)."""
    if not future.cancelled() and future.exception() is not None:
        log.error("background job failed", exc_info=future.exception())


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
    #: Acked requests whose work has not answered yet (told to run again if a shutdown cuts them off).
    promises: Promises = field(default_factory=Promises)
    #: Event ids de-duplicated in memory while the database is out (mentions still get their reports).
    seen_events: RecentIds = field(default_factory=RecentIds)
    clock: Callable[[], datetime] = utc_now
    default_timezone: str = "UTC"

    def later(self, fn: Callable[..., object], *args: object, key: str | None = None) -> Future[object]:
        """Run ``fn`` on the job pool after the ack; a crash is logged, never lost silently.

        ``key`` (the requesting user) lets a fair pool (:class:`handlers.jobs.FairJobs`) keep one user's
        stuck reports from holding up anyone else's.
        """
        keyed = getattr(self.jobs, "submit_keyed", None)
        future = keyed(key, fn, *args) if keyed is not None and key else self.jobs.submit(fn, *args)
        future.add_done_callback(_log_failure)
        return future
