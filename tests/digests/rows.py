"""Rows the digest store tests share: a subscription as ``subscribe`` makes it, and fixed times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from digests.records import Subscription
from digests.store import Store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = date(2025, 3, 2)
FIRST = date(2025, 3, 1)


def subscribe(store: Store, **overrides: Any) -> tuple[Subscription, bool]:
    """A send subscription in C1 (``overrides`` change any field)."""
    args: dict[str, Any] = {
        "team_id": "T1",
        "channel_id": "C1",
        "kind": "send",
        "object_id": "camp-1",
        "send_id": "send-1",
        "hour": 9,
        "minute": 30,
        "timezone": "Europe/Berlin",
        "created_by": "U1",
        "first_day": FIRST,
        "ends_on": FIRST + timedelta(days=14),
    }
    args.update(overrides)
    return store.subscriptions.upsert(**args)
