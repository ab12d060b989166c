"""Forgetting old Slack event ids, on the digest scheduler's APScheduler.

Slack retries an event for a few minutes at most, so an id a day old is never needed again. Runs where
the scheduler runs (``python -m bot`` with SCHEDULER=on, or the ``clock`` process): the table is shared.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from handlers.event_log import EventLog

log = logging.getLogger(__name__)
JOB_ID = "events:forget"
#: How long an event id is kept: Slack's retries end within minutes.
KEEP = timedelta(days=1)


def forget_old_events(events: EventLog, *, now: datetime | None = None) -> int:
    """Prune event ids older than :data:`KEEP`; a database hiccup waits for the next run."""
    try:
        return events.forget_before((now or datetime.now(UTC)) - KEEP)
    except Exception:
        log.warning("could not forget old Slack event ids; the next run tries again", exc_info=True)
        return 0


def schedule_forgetting(scheduler: BaseScheduler, events: EventLog, *, minutes: float = 60) -> None:
    """Forget old event ids soon after start-up, then every ``minutes``."""
    scheduler.add_job(
        forget_old_events,
        IntervalTrigger(minutes=minutes),
        args=[events],
        id=JOB_ID,
        next_run_time=datetime.now(UTC) + timedelta(seconds=5),
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
