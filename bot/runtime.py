"""Builds every long-lived object from :class:`bot.config.Settings`, and tears them down again.

``python -m bot``, the demo, the digest command and the tests all assemble the bot here, so the tested
wiring is the shipped wiring.
"""

from __future__ import annotations

import logging
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
from digests.context import RoundContext
from digests.lease import LeaseKeeper
from digests.store import Store, make_engine
from handlers.adapter.delivery import SlackDelivery
from handlers.adapter.ratelimit import PacedWebClient
from handlers.deps import Deps
from handlers.event_log import EventLog
from handlers.flows.digest_posting import SlackDigestSender
from handlers.jobs import FairJobs
from reports.braze import BrazeClient
from reports.pipeline import CampaignNames
from reports.render_pool import ChartRenderer

log = logging.getLogger(__name__)


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
    #: How long SIGTERM waits for running jobs (a job stuck on Braze ends by the client's deadline anyway).
    stop_wait: float = 10.0

    def start(self, *, scheduler: bool | None = None) -> None:
        """Slow start-up work, done before the health check says ready.

        ``scheduler`` defaults to the SCHEDULER setting; ``web`` processes run with it off.
        """
        db.upgrade(self.store.engine)
        self.renderer.start()
        if self.settings.scheduler == "on" if scheduler is None else scheduler:
            self.scheduler = DigestScheduler(self.rounds, sweep_minutes=self.settings.digest_sweep_seconds / 60)
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
        """A subscription was added, changed or cancelled: re-sync the scheduler's slot jobs, if any."""
        if self.scheduler is not None:
            self.scheduler.sync()

    def close(self) -> None:
        """Stop within about ``stop_wait`` s however stuck the jobs are (they are daemon threads)."""
        self.ready = False
        self.health.stop()
        self.rounds.stopping.set()  # rounds finish the post in hand and leave the rest resumable
        if self.catalogue is not None:
            self.catalogue.stopping.set()  # a list read stops between pages
        if self.scheduler is not None:
            self.scheduler.shutdown()
        self.rounds.keeper.close()
        jobs = self.deps.jobs
        if isinstance(jobs, FairJobs):
            jobs.shutdown(wait=True, cancel_futures=True, timeout=self.stop_wait)
        else:
            jobs.shutdown(wait=True, cancel_futures=False)
        self.deps.lanes.wait_idle(timeout=self.stop_wait)
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
    )


def build_runtime(settings: Settings, *, verify_token: bool = True, **overrides: Any) -> Runtime:
    """Wire the bot. ``overrides`` replace ``Deps`` fields (tests inject clocks and small pools)."""
    slack = make_slack_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
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
    delivery = SlackDelivery(slack)
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
        sender=SlackDigestSender(SlackDelivery(digest_slack_client(settings, slack))),
        lease=LeaseKeeper(store.deliveries, lease_seconds=settings.digest_lease_seconds),
    )
    app = create_app(slack, settings.slack_signing_secret.get_secret_value(), deps, verify_token=verify_token)
    runtime = Runtime(settings, slack, braze, renderer, store, jobs, deps, rounds, app, Health(store.ping))
    runtime.catalogue = CatalogueRefresher(braze, catalogue, budget_share=settings.braze_catalogue_budget_share)
    return runtime
