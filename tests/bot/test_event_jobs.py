"""The scheduler's job that forgets Slack event ids older than a day (Slack retries for minutes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.event_jobs import JOB_ID, schedule_forgetting
from tests.harness import BotUnderTest


def test_the_scheduled_job_forgets_event_ids_older_than_a_day(bot: BotUnderTest) -> None:
    events = bot.runtime.deps.events
    assert events.remember("EvOLD", now=datetime.now(UTC) - timedelta(days=2))
    assert events.remember("EvNEW")
    scheduler = BackgroundScheduler(timezone=UTC)
    schedule_forgetting(scheduler, events)
    job = scheduler.get_job(JOB_ID)
    assert job is not None
    assert job.func(*job.args) == 1
    assert events.remember("EvOLD")  # forgotten, so new again
    assert not events.remember("EvNEW")
