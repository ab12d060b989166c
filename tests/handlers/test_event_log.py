"""handlers.event_log on SQLite and PostgreSQL: each Slack event id is handled once, and old ids are
forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digests.store import Store
from handlers.event_log import EventLog

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_remember_and_forget_events(store: Store) -> None:
    events = EventLog(store.engine)
    assert events.remember("Ev1", now=T0)
    assert not events.remember("Ev1", now=T0 + timedelta(seconds=30))  # Slack's retry
    assert events.remember("Ev2", now=T0 + timedelta(hours=2))
    assert events.forget_before(T0 + timedelta(hours=1)) == 1
    assert events.remember("Ev1")  # forgotten, so new again
    assert not events.remember("Ev2")


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        EventLog(store.engine).remember("Ev1", now=datetime(2025, 3, 1))
