"""The catalogue's background refresh, on the digest scheduler's APScheduler.

Runs where the scheduler runs (``python -m bot`` with SCHEDULER=on, or the ``clock`` process), so one
process reads Braze's lists and every web process searches the shared tables. The first refresh starts
a second after start-up, then every CATALOGUE_REFRESH_MINUTES.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from catalogue.refresh import CatalogueRefresher

JOB_ID = "catalogue:refresh"


def schedule_refresh(scheduler: BaseScheduler, refresher: CatalogueRefresher, *, minutes: float) -> None:
    """Refresh now (in the background) and then periodically; one run at a time, missed runs merged."""
    scheduler.add_job(
        refresher.refresh,
        IntervalTrigger(minutes=minutes),
        id=JOB_ID,
        next_run_time=datetime.now(UTC) + timedelta(seconds=1),
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
