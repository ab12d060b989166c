"""Builds every long-lived object from :class:`bot.config.Settings`, and tears them down again.

``python -m bot``, the demo, the digest command and the tests all assemble the bot here, so the tested
wiring is the shipped wiring.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot import db
from bot.app import create_app, make_slack_client
from bot.catalogue_jobs import schedule_refresh
from bot.config import Settings
from bot.event_jobs import schedule_forgetting
from bot.health import Health
from bot.scheduler import DigestScheduler
from catalogue.refresh import CatalogueRefresher
from catalogue.store import CatalogueStore
from digests.alert_check import AlertContext
from digests.context import RoundContext
from digests.lease import LeaseKeeper
from digests.store import Store, make_engine
from handlers.adapter.delivery import SlackDelivery
from handlers.adapter.ratelimit import HISTORY_METHODS, PacedWebClient, history_rate
from handlers.deps import Deps
from handlers.event_log import EventLog
from handlers.flows.alert_posting import SlackAlertSender
from handlers.flows.digest_posting import SlackDigestSender
from handlers.flows.stopping import tell_unfinished
from handlers.installation import InstallSalt
from handlers.jobs import FairJobs
from reports.braze import BrazeClient
from reports.pipeline import CampaignNames
from reports.render_pool import ChartRenderer

log = logging.getLogger(__name__)
#: The last seconds of STOP_GRACE_SECONDS (at most a third of it) go to telling the requesters of work
#: that could not finish to run it again: each tell is one response_url or Slack call.
NOTICE_SECONDS = 5.0


def _bounded(timeout: float, fn: Callable[[], object], what: str) -> None:
    """Run ``fn`` on a daemon thread and wait for it at most ``timeout`` s."""
    thread = threading.Thread(target=fn, name=f"stop-{what}", daemon=True)
    thread.start()
    thread.join(max(timeout, 0.0))
    if thread.is_alive():
        log.warning("stopping: %s did not finish in the grace period", what)


@dataclass
class Runtime:
    """The assembled bot. ``ready`` flips once workers are warm and the schema exists."""

    settings: Settings
    slack: WebClient
    braze: BrazeClient
    renderer: ChartRenderer
    store: Store
    jobs: FairJobs
    deps: Deps
    rounds: RoundContext
    app: App
    health: Health
    ready: bool = False
    scheduler: DigestScheduler | None = None
    #: Reads Braze's campaign and Canvas lists into the catalogue (scheduled where the scheduler runs).
    catalogue: CatalogueRefresher | None = None
    #: When SIGTERM arrived (``time.monotonic()``), from which STOP_GRACE_SECONDS counts; None: running.
    stop_started: float | None = None
    #: This install's salt (keys its tagged Slack messages), read at start so reports never need the database.
    salt: InstallSalt | None = None
    #: What an alert check needs (the scheduler's hourly job and ``python -m bot alerts``).
    alerts: AlertContext | None = None

    def start(self, *, scheduler: bool | None = None) -> None:
        """Slow start-up work, done before the health check says ready.

        ``scheduler`` defaults to the SCHEDULER setting; ``web`` processes run with it off.
        """
        db.upgrade(self.store.engine)
        if self.salt is not None:
            self.salt()  # made or read now, while the database is known to be there
        self.renderer.start()
        if self.settings.scheduler == "on" if scheduler is None else scheduler:
            self.scheduler = DigestScheduler(
                self.rounds,
                sweep_minutes=self.settings.digest_sweep_seconds / 60,
                alerts=self.alerts,
                alert_minutes=self.settings.alert_check_minutes,
            )
            self.scheduler.start()
            schedule_forgetting(self.scheduler.scheduler, self.deps.events)
            if self.catalogue is not None:
                schedule_refresh(
                    self.scheduler.scheduler, self.catalogue, minutes=self.settings.catalogue_refresh_minutes
                )
        self.ready = True
        self.health.started()

    def health_state(self) -> str:
        """What ``/healthz`` says: ``ok``, ``starting``, ``stopping`` or why the database is not usable."""
        return self.health.state()

    def subscriptions_changed(self) -> None:
        """A subscription was added, changed or cancelled: re-sync the scheduler's slot jobs, if any
        (not while stopping: the next process builds its jobs from the tables)."""
        if self.scheduler is not None and self.stop_started is None:
            self.scheduler.sync()

    def stopping(self) -> None:
        """SIGTERM arrived: ``/healthz`` says ``stopping`` and the grace period starts now (the command
        that runs the bot ends the process STOP_GRACE_SECONDS from now whatever still runs:
        :func:`bot.starting.exit_after_grace`)."""
        if self.stop_started is None:
            self.stop_started = time.monotonic()
            self.health.stop()

    def close(self) -> None:
        """Stop within STOP_GRACE_SECONDS of SIGTERM (or of this call) however stuck the work is.

        Work in flight finishes first: the reports and subscribes already acked (queued ones start
        too), the posts in hand, the digest rounds (they stop between digests and release the rest,
        which the next process resumes at once). What is still unanswered when only the last seconds
        are left is given up, and its requesters are told privately to run it again
        (:func:`handlers.flows.stopping.tell_unfinished`); work that answers after that stays silent.
        """
        grace = self.settings.stop_grace_seconds
        notice = min(NOTICE_SECONDS, grace / 3)
        work_ends = (self.stop_started or time.monotonic()) + grace - notice

        def left() -> float:
            return max(0.0, work_ends - time.monotonic())

        self.ready = False
        self.health.stop()
        self.rounds.stopping.set()  # rounds finish the post in hand and leave the rest resumable
        if self.alerts is not None:
            self.alerts.stopping.set()
        if self.catalogue is not None:
            self.catalogue.stopping.set()  # a list read stops between pages
        if self.scheduler is not None:
            _bounded(left(), self.scheduler.shutdown, "the digest scheduler")
        jobs = self.deps.jobs
        if isinstance(jobs, FairJobs):
            jobs.shutdown(wait=True, cancel_futures=False, timeout=left())
        else:
            jobs.shutdown(wait=True, cancel_futures=False)
        self.deps.lanes.wait_idle(timeout=left())
        tell_unfinished(self.deps, timeout=max(notice - 1.0, 0.5))
        if isinstance(jobs, FairJobs):
            jobs.shutdown(wait=False, cancel_futures=True)  # what never started was told to run again
        _bounded(2.0, self.rounds.keeper.close, "the lease heartbeat")
        if self.alerts is not None:
            _bounded(2.0, self.alerts.keeper.close, "the alert posts' lease heartbeat")
        self.renderer.close()
        self.braze.close()


def digest_slack_client(settings: Settings, shared: PacedWebClient) -> PacedWebClient:
    """The digests' own Slack client: paced by the same buckets as every other call, it waits out 429s
    (Slack did nothing) but never re-sends after a timeout, a dropped connection or a 5xx, when Slack
    may have posted: the round looks first (message metadata in the channel's history)."""
    return PacedWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=int(max(1, round(settings.slack_timeout_seconds))),
        retry_handlers=[],
        limits=shared.limits,
        pacer=shared.pacer,
        rates=shared.rates,
    )


def history_rates(settings: Settings) -> dict[str, tuple[float, int]]:
    """The history look-ups' pace from ``SLACK_HISTORY_CALLS_PER_MINUTE`` (Tier 3 unless set lower)."""
    rate = history_rate(settings.slack_history_calls_per_minute)
    return {method: rate for method in HISTORY_METHODS}


def make_delivery(settings: Settings, client: WebClient, salt: InstallSalt | None = None) -> SlackDelivery:
    """A :class:`SlackDelivery` with the settings' history limit and share wait, keying its tagged messages
    with this install's ``salt``."""
    return SlackDelivery(
        client,
        history_limit=settings.slack_history_limit,
        share_wait=settings.slack_share_wait_seconds,
        look_interval=60 / settings.slack_history_calls_per_minute,
        install_salt=salt,
    )


def build_runtime(settings: Settings, *, verify_token: bool = True, **overrides: Any) -> Runtime:
    """Wire the bot. ``overrides`` replace ``Deps`` fields (tests inject clocks and small pools)."""
    slack = make_slack_client(
        settings.slack_bot_token.get_secret_value(), settings.slack_api_url, rates=history_rates(settings)
    )
    braze = BrazeClient(
        settings.braze_rest_endpoint,
        settings.braze_api_key.get_secret_value(),
        company_timezone=settings.braze_company_timezone,
    )
    renderer = ChartRenderer(settings.render_processes)
    store = Store(make_engine(settings.database_url))
    catalogue = CatalogueStore(store.engine)
    jobs = FairJobs(active=settings.report_workers)
    names = CampaignNames(braze)
    salt = InstallSalt(store.engine)
    delivery = make_delivery(settings, slack, salt)
    runtime: Runtime | None = None

    def subscriptions_changed() -> None:
        if runtime is not None:
            runtime.subscriptions_changed()

    deps = Deps(
        braze=braze,
        renderer=renderer,
        names=names,
        delivery=delivery,
        jobs=jobs,
        store=store,
        events=EventLog(store.engine),
        catalogue=catalogue,
        on_subscriptions_changed=subscriptions_changed,
        default_timezone=settings.digest_timezone,
    )
    for name, value in overrides.items():
        setattr(deps, name, value)
    rounds = RoundContext(
        braze=braze,
        renderer=renderer,
        names=names,
        store=store,
        sender=SlackDigestSender(make_delivery(settings, digest_slack_client(settings, slack), salt)),
        lease=LeaseKeeper(store.deliveries, lease_seconds=settings.digest_lease_seconds, charts=store.charts),
        shared_charts=settings.digest_shared_charts,
    )
    app = create_app(slack, settings.slack_signing_secret.get_secret_value(), deps, verify_token=verify_token)
    runtime = Runtime(settings, slack, braze, renderer, store, jobs, deps, rounds, app, Health(store.ping))
    runtime.salt = salt
    runtime.alerts = AlertContext(
        braze=braze,
        renderer=renderer,
        names=names,
        store=store,
        sender=SlackAlertSender(make_delivery(settings, digest_slack_client(settings, slack), salt)),
        lease=LeaseKeeper(store.alert_posts, lease_seconds=settings.digest_lease_seconds),
    )
    runtime.catalogue = CatalogueRefresher(braze, catalogue, budget_share=settings.braze_catalogue_budget_share)
    return runtime
