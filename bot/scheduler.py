"""Daily digests on APScheduler 3.x, rebuilt from our own tables at start.

Jobs live in APScheduler's in-memory store: subscriptions live in our tables, which several processes
may share, and a persistent APScheduler job store must never be shared by two schedulers. There is one
cron job per distinct (time, zone) slot, so a slot's round fetches each send once however many channels
subscribe. A sweep every few minutes catches up what a restart or a Braze outage left undone today, and
re-reads the tables so a separate ``clock`` process sees subscriptions made in ``web`` processes.

APScheduler runs a scheduler's jobs concurrently, so the sweep and a slot round may overlap: that is
safe because every digest is a lease held by this process's heartbeat, which a second round of the same
process sees as "in progress", never as stale. The store's leases make all of this post each digest once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from digests.alert_check import AlertContext, CheckResult, check_alerts
from digests.context import RoundContext, RoundResult
from digests.records import Subscription
from digests.round import close_out_days, resume_past_days, run_round
from digests.store import Store

log = logging.getLogger(__name__)
Slot = tuple[int, int, str]
#: A digest may run this late (bot busy or restarting) and still go out: generous, since the claim
#: guarantees once and a digest at 09:20 beats none.
MISFIRE_GRACE_SECONDS = 6 * 3600
#: Sweeps resume what a dead process left (its lease lapses within a minute), retry failures whose
#: backoff has passed, and give up days that have ended: every minute keeps a takeover within 2 minutes.
SWEEP_MINUTES = 1
#: Alerts are checked this often (today's data so far; the first check after midnight also judges the
#: complete day before). Every process with a scheduler checks: the store posts each change once.
ALERT_MINUTES = 60


def slot_of(sub: Subscription) -> Slot:
    return sub.hour, sub.minute, sub.timezone


def slot_id(slot: Slot) -> str:
    return f"digest:{slot[2]}:{slot[0]:02d}:{slot[1]:02d}"


class DigestScheduler:
    """Owns the BackgroundScheduler and keeps its slot jobs in step with the subscriptions table."""

    def __init__(
        self,
        rounds: RoundContext,
        *,
        sweep_minutes: float = SWEEP_MINUTES,
        trigger_for: Callable[[Slot], CronTrigger] | None = None,
        alerts: AlertContext | None = None,
        alert_minutes: float = ALERT_MINUTES,
    ) -> None:
        self._rounds = rounds
        self._alerts = alerts
        self._alert_minutes = alert_minutes
        self._store: Store = rounds.store
        self._sweep_minutes = sweep_minutes
        self._trigger_for = trigger_for or (lambda s: CronTrigger(hour=s[0], minute=s[1], timezone=ZoneInfo(s[2])))
        self._sync_lock = threading.Lock()
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "misfire_grace_time": MISFIRE_GRACE_SECONDS, "max_instances": 1},
        )

    def start(self) -> None:
        """Build the slot jobs from the tables, start, and run a catch-up sweep right away."""
        self.sync()
        self.scheduler.add_job(
            self.sweep,
            IntervalTrigger(minutes=self._sweep_minutes),
            id="digest:sweep",
            next_run_time=datetime.now(UTC) + timedelta(seconds=2),
            replace_existing=True,
        )
        if self._alerts is not None:
            self.scheduler.add_job(
                self.check_alerts,
                IntervalTrigger(minutes=self._alert_minutes),
                id="alerts:check",
                next_run_time=datetime.now(UTC) + timedelta(seconds=5),
                replace_existing=True,
            )
        self.scheduler.start()
        log.info("digest scheduler started with %d slot(s)", len(self.slots()))

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def slots(self) -> set[Slot]:
        return {slot_of(s) for s in self._store.subscriptions.active()}

    def sync(self) -> None:
        """Add jobs for new slots and remove jobs for slots nobody uses any more."""
        with self._sync_lock:
            wanted = {slot_id(s): s for s in self.slots()}
            existing = {
                j.id for j in self.scheduler.get_jobs() if j.id.startswith("digest:") and j.id != "digest:sweep"
            }
            for job_id in existing - wanted.keys():
                self.scheduler.remove_job(job_id)
            for job_id in wanted.keys() - existing:
                slot = wanted[job_id]
                self.scheduler.add_job(
                    self.run_slot, self._trigger_for(slot), args=[slot], id=job_id, replace_existing=True
                )

    def run_slot(self, slot: Slot) -> RoundResult:
        """The cron job: one round over the subscriptions of this slot."""
        subs = [s for s in self._store.subscriptions.active() if slot_of(s) == slot]
        return run_round(self._rounds, subs)

    def check_alerts(self) -> CheckResult | None:
        """The hourly job: one alert check (a failure is logged; the next check tries again)."""
        if self._alerts is None:
            return None
        try:
            return check_alerts(self._alerts)
        except Exception:
            log.exception("alert check failed")
            return None

    def sweep(self) -> RoundResult | None:
        """Re-sync jobs and post whatever is due today but not yet posted (after restarts, failures)."""
        try:
            self.sync()
            close_out_days(self._rounds)
            resume_past_days(self._rounds)
            return run_round(self._rounds, self._store.subscriptions.active())
        except Exception:
            log.exception("digest sweep failed")
            return None
