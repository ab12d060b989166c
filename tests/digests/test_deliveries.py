"""digests.deliveries on SQLite and PostgreSQL: exactly-once claims under a lease, and each step
recorded the moment it happens. (tests/digests/test_states.py walks every transition.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from digests.records import Delivery
from digests.store import Store
from tests.digests.rows import DAY, T0, subscribe

LEASE = timedelta(seconds=60)


def test_claim_once(store: Store) -> None:
    sub, _ = subscribe(store)
    won = store.deliveries.claim(sub.id, DAY, holder="A", now=T0)
    assert isinstance(won, Delivery)
    assert (won.subscription_id, won.digest_date, won.status, won.attempts) == (sub.id, DAY, "claimed", 1)
    assert won.claimed_at == won.updated_at == won.heartbeat_at == T0 and won.holder == "A"
    assert store.deliveries.claim(sub.id, DAY, holder="B", now=T0) is None
    assert store.deliveries.claim(sub.id, DAY, holder="B", now=T0 + timedelta(seconds=59)) is None  # lease still live
    other_day = DAY + timedelta(days=1)
    assert store.deliveries.claim(sub.id, other_day, holder="B", now=T0) is not None  # other day, other claim


def test_a_renewed_lease_is_never_taken_over_however_long(store: Store) -> None:
    sub, _ = subscribe(store)
    held = store.deliveries.claim(sub.id, DAY, holder="A", now=T0)
    assert held is not None
    for minute in range(1, 90):  # a 90-minute round, heartbeating every minute
        now = T0 + timedelta(minutes=minute)
        assert store.deliveries.renew("A", [held.id], now=now) == 1
        assert store.deliveries.claim(sub.id, DAY, holder="B", lease=LEASE, now=now + timedelta(seconds=30)) is None
    assert store.deliveries.renew("B", [held.id], now=T0) == 0  # only the holder renews


def test_a_dead_holders_lease_is_taken_over_one_lease_after_its_last_heartbeat(store: Store) -> None:
    sub, _ = subscribe(store)
    crashed = store.deliveries.claim(sub.id, DAY, holder="A", now=T0)
    assert crashed is not None and store.deliveries.renew("A", [crashed.id], now=T0 + timedelta(minutes=30)) == 1
    last_beat = T0 + timedelta(minutes=30)
    assert store.deliveries.claim(sub.id, DAY, holder="B", lease=LEASE, now=last_beat + timedelta(seconds=59)) is None
    taken = store.deliveries.claim(sub.id, DAY, holder="B", lease=LEASE, now=last_beat + timedelta(seconds=61))
    assert taken is not None and (taken.id, taken.attempts, taken.holder) == (crashed.id, 2, "B")
    assert not store.deliveries.mark_sent(crashed.id, "A")  # the old holder lost it: it must not post
    assert store.deliveries.mark_sent(crashed.id, "B")


def test_steps_move_forward_and_a_taken_over_chart_step_stays_a_chart_step(store: Store) -> None:
    sub, _ = subscribe(store)
    held = store.deliveries.claim(sub.id, DAY, holder="A", now=T0)
    assert held is not None and store.deliveries.mark_sent(held.id, "A", now=T0)
    assert store.deliveries.get(sub.id, DAY).sent_at == T0  # type: ignore[union-attr]
    assert store.deliveries.record_message(held.id, "A", "17.1", chart_follows=True, now=T0)
    step = store.deliveries.get(sub.id, DAY)
    assert step is not None and (step.status, step.message_ts, step.sent_at) == ("chart_pending", "17.1", None)
    assert store.subscriptions.get(sub.id).last_digest_on is None  # type: ignore[union-attr]  # not done yet
    assert not store.deliveries.record_message(held.id, "A", "17.2", chart_follows=False)  # never back, never twice
    taken = store.deliveries.claim(sub.id, DAY, holder="B", lease=LEASE, now=T0 + timedelta(minutes=5))
    assert taken is not None and (taken.status, taken.message_ts) == ("chart_pending", "17.1")
    assert not store.deliveries.record_chart(held.id, "A", file_id="F1")
    assert store.deliveries.record_chart(held.id, "B", file_id="F1")
    done = store.deliveries.get(sub.id, DAY)
    assert done is not None and (done.status, done.file_id, done.holder) == ("posted", "F1", None)
    assert store.subscriptions.get(sub.id).last_digest_on == DAY  # type: ignore[union-attr]


def test_failures_wait_for_their_backoff_unless_forced_and_missed_days_only_by_force(store: Store) -> None:
    sub, _ = subscribe(store)
    held = store.deliveries.claim(sub.id, DAY, holder="A", now=T0)
    assert held is not None and store.deliveries.mark_sent(held.id, "A", now=T0)
    retry = T0 + timedelta(minutes=2)
    assert store.deliveries.record_failure(held.id, "A", "slack: timeout", retry_at=retry, outcome_unknown=True, now=T0)
    failed = store.deliveries.get(sub.id, DAY)
    assert failed is not None and (failed.status, failed.sent_at, failed.holder) == ("failed", T0, None)
    assert store.deliveries.claim(sub.id, DAY, holder="B", now=retry - timedelta(seconds=1)) is None
    forced = store.deliveries.claim(sub.id, DAY, holder="B", force=True, now=T0 + timedelta(seconds=5))
    assert forced is not None and forced.sent_at == T0  # still unknown: B must look in Slack first
    assert store.deliveries.record_failure(forced.id, "B", "slack: fatal_error", retry_at=None)
    assert store.deliveries.get(sub.id, DAY).sent_at is None  # type: ignore[union-attr]  # a definite answer
    assert [d.id for d in store.deliveries.failed()] == [held.id]
    assert store.deliveries.record_missed(held.id, "slack: fatal_error (gave up at the end of the day)")
    assert not store.deliveries.record_missed(held.id, "again")  # exactly one caller tells the subscriber
    assert store.deliveries.claim(sub.id, DAY, holder="C", now=T0 + timedelta(days=2)) is None
    assert store.deliveries.claim(sub.id, DAY, holder="C", force=True, now=T0 + timedelta(days=2)) is not None


def test_released_leases_are_taken_over_at_once(store: Store) -> None:
    sub, _ = subscribe(store)
    held = store.deliveries.claim(sub.id, DAY, holder="A", now=T0)
    assert held is not None and store.deliveries.release(held.id, "A")
    assert store.deliveries.claim(sub.id, DAY, holder="B", now=T0) is not None


@pytest.mark.parametrize("outcome", ["posted", "skipped"])
def test_done_days_are_never_reclaimed(store: Store, outcome: str) -> None:
    sub, _ = subscribe(store)
    delivery = store.deliveries.claim(sub.id, DAY, holder="A", now=T0)
    assert delivery is not None
    if outcome == "posted":
        assert store.deliveries.record_message(delivery.id, "A", "1.1", chart_follows=False)
    else:
        assert store.deliveries.record_skip(delivery.id, "A", "no sends that day")
    for later in (T0 + timedelta(minutes=20), T0 + timedelta(days=30)):
        assert store.deliveries.claim(sub.id, DAY, force=True, lease=timedelta(0), now=later) is None


def test_claim_unknown_subscription(store: Store) -> None:
    assert store.deliveries.claim(424242, DAY) is None  # the foreign key refuses it (also on SQLite)


def test_outcomes_are_recorded_and_advance_last_digest_on(store: Store) -> None:
    sub, _ = subscribe(store)
    day2, day3 = DAY + timedelta(days=1), DAY + timedelta(days=2)
    deliveries = store.deliveries
    d3 = deliveries.claim(sub.id, day3, holder="A", now=T0)
    d2 = deliveries.claim(sub.id, day2, holder="A", now=T0)
    d1 = deliveries.claim(sub.id, DAY, holder="A", now=T0)
    assert d1 and d2 and d3

    finished_at = datetime(2025, 3, 4, 9, 0, tzinfo=timezone(timedelta(hours=2)))  # any offset, stored as UTC
    assert deliveries.record_message(d3.id, "A", "1711111111.000100", chart_follows=False, now=finished_at)
    assert store.subscriptions.get(sub.id).last_digest_on == day3  # type: ignore[union-attr]
    assert deliveries.record_skip(d2.id, "A", "no data yet")
    assert store.subscriptions.get(sub.id).last_digest_on == day3  # type: ignore[union-attr]  # max, never back
    assert deliveries.record_failure(d1.id, "A", "channel_not_found", retry_at=None)
    assert store.subscriptions.get(sub.id).last_digest_on == day3  # type: ignore[union-attr]

    assert not deliveries.record_failure(d3.id, "A", "late", retry_at=None)  # the first outcome stands
    assert not deliveries.record_message(9999, "A", "1.1", chart_follows=False)

    rows = store.deliveries.of_subscription(sub.id)
    assert [(r.digest_date, r.status, r.detail, r.message_ts) for r in rows] == [
        (DAY, "failed", "channel_not_found", None),
        (day2, "skipped", "no data yet", None),
        (day3, "posted", None, "1711111111.000100"),
    ]
    assert rows[2].updated_at == finished_at and rows[2].updated_at.tzinfo == UTC
    assert all(r.claimed_at == T0 and r.claimed_at.tzinfo == UTC for r in rows)
    assert store.deliveries.of_subscription(9999) == []


def test_last_digest_on_first_set_by_skip(store: Store) -> None:
    sub, _ = subscribe(store)
    d = store.deliveries.claim(sub.id, DAY, holder="A")
    assert d is not None and store.deliveries.record_skip(d.id, "A", "Braze has no data")
    assert store.subscriptions.get(sub.id).last_digest_on == DAY  # type: ignore[union-attr]


def test_naive_datetimes_are_refused(store: Store) -> None:
    sub, _ = subscribe(store)
    with pytest.raises(ValueError, match="naive"):
        store.deliveries.claim(sub.id, DAY, now=datetime(2025, 3, 1, 12, 0))
    with pytest.raises(ValueError, match="naive"):
        store.deliveries.renew("A", [1], now=datetime(2025, 3, 1))
