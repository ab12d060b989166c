"""digests.subscriptions on SQLite and PostgreSQL: one subscription per channel and target, and its
status changes."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from digests.records import Subscription
from digests.store import Store
from tests.digests.rows import FIRST, subscribe


def test_upsert_creates(store: Store) -> None:
    sub, created = subscribe(store)
    assert created
    assert isinstance(sub, Subscription)
    assert (sub.channel_id, sub.object_id, sub.send_id, sub.hour, sub.minute) == ("C1", "camp-1", "send-1", 9, 30)
    assert (sub.first_day, sub.ends_on) == (FIRST, date(2025, 3, 15))
    assert sub.status == "active" and sub.status_reason is None and sub.last_digest_on is None
    assert sub.created_at.tzinfo == UTC
    assert abs(datetime.now(UTC) - sub.created_at) < timedelta(minutes=1)
    with pytest.raises(FrozenInstanceError):
        sub.hour = 10  # type: ignore[misc]


def test_upsert_updates_existing(store: Store) -> None:
    first, _ = subscribe(store)
    again, created = subscribe(store, hour=17, minute=5, timezone="America/New_York", created_by="U2")
    assert not created
    assert again.id == first.id and again.created_at == first.created_at
    assert (again.hour, again.minute, again.timezone, again.created_by) == (17, 5, "America/New_York", "U2")
    assert len(store.subscriptions.in_channel("C1", include_inactive=True)) == 1


@pytest.mark.parametrize("stop", ["cancel", "pause", "end"])
def test_upsert_reactivates(store: Store, stop: str) -> None:
    sub, _ = subscribe(store)
    subs = store.subscriptions
    assert subs.cancel(sub.id) if stop == "cancel" else getattr(subs, stop)(sub.id, "because")
    assert store.subscriptions.get(sub.id).status != "active"  # type: ignore[union-attr]
    again, created = subscribe(store, hour=8)
    assert not created and again.id == sub.id
    assert (again.status, again.status_reason, again.hour) == ("active", None, 8)


def test_other_send_or_channel_is_another_subscription(store: Store) -> None:
    a, _ = subscribe(store)
    b, created_b = subscribe(store, send_id="send-2")
    c, created_c = subscribe(store, channel_id="C2")
    assert created_b and created_c and len({a.id, b.id, c.id}) == 3


def test_the_kind_is_part_of_the_target(store: Store) -> None:
    """A campaign and a Canvas may share an ID: one channel can follow both."""
    whole = {"send_id": "", "ends_on": date(9999, 12, 31)}
    campaign, _ = subscribe(store, kind="campaign", object_id="id-1", **whole)
    canvas, created = subscribe(store, kind="canvas", object_id="id-1", **whole)
    assert created and canvas.id != campaign.id
    assert store.subscriptions.find("C1", "canvas", "id-1", "") == canvas
    assert (campaign.subject_id, canvas.subject_id) == ("id-1", "id-1")
    send, _ = subscribe(store)
    assert (send.object_id, send.send_id, send.subject_id) == ("camp-1", "send-1", "send-1")
    with pytest.raises(ValueError):
        subscribe(store, kind="campaign", object_id="id-1")  # a campaign has no send ID
    with pytest.raises(ValueError):
        subscribe(store, kind="send", send_id="")


@pytest.mark.parametrize(
    ("field", "value"),
    [("hour", 24), ("minute", -1), ("timezone", "Mars/Olympus"), ("ends_on", FIRST - timedelta(days=1))],
)
def test_upsert_rejects_bad_values(store: Store, field: str, value: Any) -> None:
    with pytest.raises(ValueError):
        subscribe(store, **{field: value})
    assert store.subscriptions.active() == []


def test_lookups(store: Store) -> None:
    a, _ = subscribe(store, created_by="U1")
    b, _ = subscribe(store, send_id="send-2", created_by="U2")
    c, _ = subscribe(store, channel_id="C2", created_by="U1")
    assert store.subscriptions.get(a.id) == a
    assert store.subscriptions.get(9999) is None
    assert store.subscriptions.find("C1", "send", "camp-1", "send-2") == b
    assert store.subscriptions.find("C1", "send", "camp-1", "nope") is None
    assert store.subscriptions.in_channel("C1") == [a, b]
    assert store.subscriptions.by_user("U1") == [a, c]
    assert store.subscriptions.active() == [a, b, c]

    assert store.subscriptions.pause(b.id, "bot not in channel")
    assert store.subscriptions.in_channel("C1") == [a]
    assert [s.status for s in store.subscriptions.in_channel("C1", include_inactive=True)] == ["active", "paused"]
    assert store.subscriptions.by_user("U2") == []
    assert [s.id for s in store.subscriptions.by_user("U2", include_inactive=True)] == [b.id]
    assert store.subscriptions.active() == [a, c]
    assert store.subscriptions.find("C1", "send", "camp-1", "send-2").status_reason == "bot not in channel"  # type: ignore[union-attr]


def test_status_transitions(store: Store) -> None:
    sub, _ = subscribe(store)
    assert store.subscriptions.pause(sub.id, "channel archived")
    assert not store.subscriptions.pause(sub.id, "again")  # only active subscriptions pause
    assert store.subscriptions.end(sub.id, "Braze data expired")
    assert not store.subscriptions.pause(sub.id, "x")  # a pause never revives an ended subscription
    assert store.subscriptions.get(sub.id).status_reason == "Braze data expired"  # type: ignore[union-attr]
    assert store.subscriptions.cancel(sub.id)
    assert not store.subscriptions.cancel(sub.id)
    assert not store.subscriptions.end(sub.id, "x")  # ending never overrides a cancellation
    cancelled = store.subscriptions.get(sub.id)
    assert cancelled is not None and (cancelled.status, cancelled.status_reason) == ("cancelled", None)
    assert not store.subscriptions.cancel(9999)
