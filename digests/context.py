"""What a digest round carries: its collaborators (:class:`RoundContext`), one claimed digest
(:class:`Job`) and the tally of outcomes (:class:`RoundResult`) that ``python -m bot digest`` prints."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from digests.lease import LeaseKeeper, backoff
from digests.ports import DigestSender
from digests.records import Delivery, Subscription
from digests.store import Store
from reports.braze import BrazeClient
from reports.pipeline import CampaignNames, Workers


@dataclass
class RoundResult:
    """What a round did, by outcome (also the figures ``python -m bot digest`` prints)."""

    posted: int = 0
    quiet: int = 0  # posted a short "no activity" digest
    skipped: int = 0
    failed: int = 0  # failed for now; retried with backoff until the subscriber's day ends
    missed: int = 0  # given up (the subscriber's local day ended), or a missed day seen again
    paused: int = 0
    ended: int = 0
    not_due: int = 0
    already_done: int = 0  # already posted (or skipped) before this round
    in_progress: int = 0  # held by another live process (or another round of this one)
    waiting: int = 0  # failed earlier; its retry backoff has not passed yet
    stopped: int = 0  # left resumable because the process is shutting down
    braze_calls: int = 0
    chart_uploads: int = 0  # shared chart uploads this round made (one per distinct chart)
    chart_fallbacks: int = 0  # digests whose chart reply Slack refused: uploaded into their thread instead
    errors: list[str] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    #: Subscriptions whose digest another holder had, for ``digest`` to wait on.
    elsewhere: list[int] = field(default_factory=list)

    def count(self, name: str, reason: str | None = None) -> None:
        with _COUNT_LOCK:
            setattr(self, name, getattr(self, name) + 1)
            if reason:
                self.reasons[reason] += 1

    def held_elsewhere(self, sub_id: int) -> None:
        """This subscription's digest is held by another live holder: ``digest`` waits on it."""
        with _COUNT_LOCK:
            self.elsewhere.append(sub_id)

    @property
    def left(self) -> int:
        """Digests of this round not posted: anything but 0 means someone has to look."""
        return self.failed + self.missed + self.in_progress + self.waiting + self.stopped

    def absorb(self, later: RoundResult) -> None:
        """Fold a follow-up round over the in-progress subscriptions into this one."""
        for name in ("posted", "quiet", "skipped", "failed", "missed", "paused", "ended", "waiting", "stopped"):
            setattr(self, name, getattr(self, name) + getattr(later, name))
        self.already_done += later.already_done
        self.braze_calls += later.braze_calls
        self.chart_uploads += later.chart_uploads
        self.chart_fallbacks += later.chart_fallbacks
        self.in_progress, self.elsewhere = later.in_progress, later.elsewhere
        self.errors += later.errors
        self.reasons.update(later.reasons)


_COUNT_LOCK = threading.Lock()


#: Seconds after a shared chart's upload was completed before the first reply tries to show it (Slack
#: processes an upload asynchronously; "a second or two" for a chart is an assumption), then between that
#: reply's tries while Slack answers ``invalid_blocks``: about half a minute in all, after which Slack has
#: surely processed it and a refusal is the channel's (a Slack Connect channel, a workspace policy).
PROCESSING_WAITS: tuple[float, ...] = (2.0, 2.0, 4.0, 8.0, 16.0)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RoundContext:
    """What a round needs: Braze, the chart workers, the store, a way to Slack (the port), the
    process's lease heartbeat, and a stop signal (SIGTERM) that rounds obey between digests."""

    braze: BrazeClient
    renderer: Workers
    names: CampaignNames
    store: Store
    sender: DigestSender
    clock: Callable[[], datetime] = _utc_now
    lease: LeaseKeeper | None = None
    stopping: threading.Event = field(default_factory=threading.Event)
    #: Backoff of failed digests: first retry after this, doubling up to ``retry_max``.
    retry_base: timedelta = timedelta(minutes=1)
    retry_max: timedelta = timedelta(minutes=30)
    #: Upload each distinct chart once and show it in every digest's thread by its file id; False uploads it
    #: into each digest's thread (what every digest did before, and what a fallback does).
    shared_charts: bool = True
    processing_waits: tuple[float, ...] = PROCESSING_WAITS

    def __post_init__(self) -> None:
        if self.lease is None:
            self.lease = LeaseKeeper(self.store.deliveries, charts=self.store.charts)

    @property
    def keeper(self) -> LeaseKeeper:
        assert self.lease is not None
        return self.lease

    def retry_at(self, delivery: Delivery, now: datetime) -> datetime:
        return now + backoff(delivery.attempts, self.retry_base, self.retry_max)


@dataclass
class Job:
    sub: Subscription
    claim: Delivery
    digest_date: date
    now: datetime  # the round's clock: backoffs count from it


