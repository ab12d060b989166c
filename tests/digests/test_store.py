"""digests.store on SQLite and PostgreSQL: subscriptions, exactly-once digest claims, event de-duplication."""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.pool import StaticPool

from bot import db
from digests.store import Delivery, Store, Subscription, make_engine
from tests.harness import drop_schema

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = date(2025, 3, 2)
FIRST = date(2025, 3, 1)


def subscribe(store: Store, **overrides: Any) -> tuple[Subscription, bool]:
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
    return store.upsert_subscription(**args)


# -- make_engine ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["postgres://u:p@db.example:5432/app", "postgresql://u:p@db.example/app", "postgresql+psycopg://u@h/app"],
)
def test_postgres_urls_get_the_psycopg_driver(url: str) -> None:
    engine = make_engine(url)  # no connection is made
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.url.database == "app"


def test_sqlite_memory_is_one_shared_connection() -> None:
    store = Store(make_engine("sqlite://"))
    db.upgrade(store.engine)
    assert isinstance(store.engine.pool, StaticPool)
    sub, _ = subscribe(store)
    # Another thread sees the same in-memory database.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(store.get_subscription, sub.id).result() == sub


def test_sqlite_file_pragmas(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        pragmas = [
            conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in ("journal_mode", "busy_timeout", "foreign_keys")
        ]
    assert pragmas == ["wal", 5000, 1]
    engine.dispose()


def test_unsupported_url() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        make_engine("mysql://u@h/db")


# -- schema and subscriptions --------------------------------------------------------------------------


def test_upgrade_is_idempotent(store: Store) -> None:
    sub, _ = subscribe(store)
    db.upgrade(store.engine)
    assert store.get_subscription(sub.id) == sub


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
    assert len(store.list_channel("C1", include_inactive=True)) == 1


@pytest.mark.parametrize("stop", ["cancel", "pause", "end"])
def test_upsert_reactivates(store: Store, stop: str) -> None:
    sub, _ = subscribe(store)
    assert store.cancel(sub.id) if stop == "cancel" else getattr(store, stop)(sub.id, "because")
    assert store.get_subscription(sub.id).status != "active"  # type: ignore[union-attr]
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
    assert store.find_subscription("C1", "canvas", "id-1", "") == canvas
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
    assert store.active_subscriptions() == []


def test_lookups(store: Store) -> None:
    a, _ = subscribe(store, created_by="U1")
    b, _ = subscribe(store, send_id="send-2", created_by="U2")
    c, _ = subscribe(store, channel_id="C2", created_by="U1")
    assert store.get_subscription(a.id) == a
    assert store.get_subscription(9999) is None
    assert store.find_subscription("C1", "send", "camp-1", "send-2") == b
    assert store.find_subscription("C1", "send", "camp-1", "nope") is None
    assert store.list_channel("C1") == [a, b]
    assert store.list_by_user("U1") == [a, c]
    assert store.active_subscriptions() == [a, b, c]

    assert store.pause(b.id, "bot not in channel")
    assert store.list_channel("C1") == [a]
    assert [s.status for s in store.list_channel("C1", include_inactive=True)] == ["active", "paused"]
    assert store.list_by_user("U2") == []
    assert [s.id for s in store.list_by_user("U2", include_inactive=True)] == [b.id]
    assert store.active_subscriptions() == [a, c]
    assert store.find_subscription("C1", "send", "camp-1", "send-2").status_reason == "bot not in channel"  # type: ignore[union-attr]


def test_status_transitions(store: Store) -> None:
    sub, _ = subscribe(store)
    assert store.pause(sub.id, "channel archived")
    assert not store.pause(sub.id, "again")  # only active subscriptions pause
    assert store.end(sub.id, "Braze data expired")
    assert not store.pause(sub.id, "x")  # a pause never revives an ended subscription
    assert store.get_subscription(sub.id).status_reason == "Braze data expired"  # type: ignore[union-attr]
    assert store.cancel(sub.id)
    assert not store.cancel(sub.id)
    assert not store.end(sub.id, "x")  # ending never overrides a cancellation
    cancelled = store.get_subscription(sub.id)
    assert cancelled is not None and (cancelled.status, cancelled.status_reason) == ("cancelled", None)
    assert not store.cancel(9999)


# -- claims --------------------------------------------------------------------------------------------


LEASE = timedelta(seconds=60)


def test_claim_once(store: Store) -> None:
    sub, _ = subscribe(store)
    won = store.claim(sub.id, DAY, holder="A", now=T0)
    assert isinstance(won, Delivery)
    assert (won.subscription_id, won.digest_date, won.status, won.attempts) == (sub.id, DAY, "claimed", 1)
    assert won.claimed_at == won.updated_at == won.heartbeat_at == T0 and won.holder == "A"
    assert store.claim(sub.id, DAY, holder="B", now=T0) is None
    assert store.claim(sub.id, DAY, holder="B", now=T0 + timedelta(seconds=59)) is None  # lease still live
    assert store.claim(sub.id, DAY + timedelta(days=1), holder="B", now=T0) is not None  # other day, other claim


def test_a_renewed_lease_is_never_taken_over_however_long(store: Store) -> None:
    sub, _ = subscribe(store)
    held = store.claim(sub.id, DAY, holder="A", now=T0)
    assert held is not None
    for minute in range(1, 90):  # a 90-minute round, heartbeating every minute
        now = T0 + timedelta(minutes=minute)
        assert store.renew("A", [held.id], now=now) == 1
        assert store.claim(sub.id, DAY, holder="B", lease=LEASE, now=now + timedelta(seconds=30)) is None
    assert store.renew("B", [held.id], now=T0) == 0  # only the holder renews


def test_a_dead_holders_lease_is_taken_over_one_lease_after_its_last_heartbeat(store: Store) -> None:
    sub, _ = subscribe(store)
    crashed = store.claim(sub.id, DAY, holder="A", now=T0)
    assert crashed is not None and store.renew("A", [crashed.id], now=T0 + timedelta(minutes=30)) == 1
    last_beat = T0 + timedelta(minutes=30)
    assert store.claim(sub.id, DAY, holder="B", lease=LEASE, now=last_beat + timedelta(seconds=59)) is None
    taken = store.claim(sub.id, DAY, holder="B", lease=LEASE, now=last_beat + timedelta(seconds=61))
    assert taken is not None and (taken.id, taken.attempts, taken.holder) == (crashed.id, 2, "B")
    assert not store.mark_sent(crashed.id, "A")  # the old holder lost it: it must not post
    assert store.mark_sent(crashed.id, "B")


def test_steps_move_forward_and_a_taken_over_chart_step_stays_a_chart_step(store: Store) -> None:
    sub, _ = subscribe(store)
    held = store.claim(sub.id, DAY, holder="A", now=T0)
    assert held is not None and store.mark_sent(held.id, "A", now=T0)
    assert store.get_delivery(sub.id, DAY).sent_at == T0  # type: ignore[union-attr]
    assert store.record_message(held.id, "A", "17.1", chart_follows=True, now=T0)
    step = store.get_delivery(sub.id, DAY)
    assert step is not None and (step.status, step.message_ts, step.sent_at) == ("chart_pending", "17.1", None)
    assert store.get_subscription(sub.id).last_digest_on is None  # type: ignore[union-attr]  # not done yet
    assert not store.record_message(held.id, "A", "17.2", chart_follows=False)  # never back, never twice
    taken = store.claim(sub.id, DAY, holder="B", lease=LEASE, now=T0 + timedelta(minutes=5))
    assert taken is not None and (taken.status, taken.message_ts) == ("chart_pending", "17.1")
    assert not store.record_chart(held.id, "A", file_id="F1")
    assert store.record_chart(held.id, "B", file_id="F1")
    done = store.get_delivery(sub.id, DAY)
    assert done is not None and (done.status, done.file_id, done.holder) == ("posted", "F1", None)
    assert store.get_subscription(sub.id).last_digest_on == DAY  # type: ignore[union-attr]


def test_failures_wait_for_their_backoff_unless_forced_and_missed_days_only_by_force(store: Store) -> None:
    sub, _ = subscribe(store)
    held = store.claim(sub.id, DAY, holder="A", now=T0)
    assert held is not None and store.mark_sent(held.id, "A", now=T0)
    retry = T0 + timedelta(minutes=2)
    assert store.record_failure(held.id, "A", "slack: timeout", retry_at=retry, outcome_unknown=True, now=T0)
    failed = store.get_delivery(sub.id, DAY)
    assert failed is not None and (failed.status, failed.sent_at, failed.holder) == ("failed", T0, None)
    assert store.claim(sub.id, DAY, holder="B", now=retry - timedelta(seconds=1)) is None
    forced = store.claim(sub.id, DAY, holder="B", force=True, now=T0 + timedelta(seconds=5))
    assert forced is not None and forced.sent_at == T0  # still unknown: B must look in Slack first
    assert store.record_failure(forced.id, "B", "slack: fatal_error", retry_at=None)
    assert store.get_delivery(sub.id, DAY).sent_at is None  # type: ignore[union-attr]  # a definite answer
    assert [d.id for d in store.failed_deliveries()] == [held.id]
    assert store.record_missed(held.id, "slack: fatal_error (gave up at the end of the day)")
    assert not store.record_missed(held.id, "again")  # exactly one caller tells the subscriber
    assert store.claim(sub.id, DAY, holder="C", now=T0 + timedelta(days=2)) is None
    assert store.claim(sub.id, DAY, holder="C", force=True, now=T0 + timedelta(days=2)) is not None


def test_released_leases_are_taken_over_at_once(store: Store) -> None:
    sub, _ = subscribe(store)
    held = store.claim(sub.id, DAY, holder="A", now=T0)
    assert held is not None and store.release(held.id, "A")
    assert store.claim(sub.id, DAY, holder="B", now=T0) is not None


@pytest.mark.parametrize("outcome", ["posted", "skipped"])
def test_done_days_are_never_reclaimed(store: Store, outcome: str) -> None:
    sub, _ = subscribe(store)
    delivery = store.claim(sub.id, DAY, now=T0)
    assert delivery is not None
    assert store.finish(delivery.id, outcome, detail="no sends that day" if outcome == "skipped" else None)  # type: ignore[arg-type]
    for later in (T0 + timedelta(minutes=20), T0 + timedelta(days=30)):
        assert store.claim(sub.id, DAY, force=True, lease=timedelta(0), now=later) is None


def test_claim_unknown_subscription(store: Store) -> None:
    assert store.claim(424242, DAY) is None  # the foreign key refuses it (also on SQLite)


def test_finish_records_outcome_and_last_digest_on(store: Store) -> None:
    sub, _ = subscribe(store)
    day2, day3 = DAY + timedelta(days=1), DAY + timedelta(days=2)
    d3 = store.claim(sub.id, day3, now=T0)
    d2 = store.claim(sub.id, day2, now=T0)
    d1 = store.claim(sub.id, DAY, now=T0)
    assert d1 and d2 and d3

    finished_at = datetime(2025, 3, 4, 9, 0, tzinfo=timezone(timedelta(hours=2)))  # any offset, stored as UTC
    assert store.finish(d3.id, "posted", message_ts="1711111111.000100", now=finished_at)
    assert store.get_subscription(sub.id).last_digest_on == day3  # type: ignore[union-attr]
    assert store.finish(d2.id, "skipped", detail="no data yet")
    assert store.get_subscription(sub.id).last_digest_on == day3  # type: ignore[union-attr]  # max, never back
    assert store.finish(d1.id, "failed", detail="channel_not_found")
    assert store.get_subscription(sub.id).last_digest_on == day3  # type: ignore[union-attr]

    assert not store.finish(d3.id, "failed")  # the first outcome stands
    assert not store.finish(9999, "posted")
    with pytest.raises(ValueError):
        store.finish(d1.id, "claimed")  # type: ignore[arg-type]

    rows = store.deliveries_for(sub.id)
    assert [(r.digest_date, r.status, r.detail, r.message_ts) for r in rows] == [
        (DAY, "failed", "channel_not_found", None),
        (day2, "skipped", "no data yet", None),
        (day3, "posted", None, "1711111111.000100"),
    ]
    assert rows[2].updated_at == finished_at and rows[2].updated_at.tzinfo == UTC
    assert all(r.claimed_at == T0 and r.claimed_at.tzinfo == UTC for r in rows)
    assert store.deliveries_for(9999) == []


def test_last_digest_on_first_set_by_skip(store: Store) -> None:
    sub, _ = subscribe(store)
    d = store.claim(sub.id, DAY)
    assert d is not None and store.finish(d.id, "skipped", detail="Braze has no data")
    assert store.get_subscription(sub.id).last_digest_on == DAY  # type: ignore[union-attr]


def test_naive_datetimes_are_refused(store: Store) -> None:
    sub, _ = subscribe(store)
    with pytest.raises(ValueError, match="naive"):
        store.claim(sub.id, DAY, now=datetime(2025, 3, 1, 12, 0))
    with pytest.raises(ValueError, match="naive"):
        store.remember_event("Ev1", now=datetime(2025, 3, 1))


# -- Slack events --------------------------------------------------------------------------------------


def test_remember_and_forget_events(store: Store) -> None:
    assert store.remember_event("Ev1", now=T0)
    assert not store.remember_event("Ev1", now=T0 + timedelta(seconds=30))  # Slack's retry
    assert store.remember_event("Ev2", now=T0 + timedelta(hours=2))
    assert store.forget_events_before(T0 + timedelta(hours=1)) == 1
    assert store.remember_event("Ev1")  # forgotten, so new again
    assert not store.remember_event("Ev2")


# -- concurrency ---------------------------------------------------------------------------------------


def seed_race(store: Store) -> dict[tuple[int, date], int]:
    """50 (subscription, day) pairs; returns the attempt number the single winner of each must get.

    A third are unclaimed (race on INSERT), a third failed once and a third were claimed by a process
    that died an hour ago (both race on the conditional UPDATE).
    """
    expected: dict[tuple[int, date], int] = {}
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    for s in range(5):
        sub, _ = subscribe(store, send_id=f"send-{s}")
        for i in range(10):
            day = FIRST + timedelta(days=i)
            kind = (s * 10 + i) % 3
            if kind == 1:
                failed = store.claim(sub.id, day)
                assert failed is not None and store.finish(failed.id, "failed", detail="boom")
            elif kind == 2:
                assert store.claim(sub.id, day, now=long_ago) is not None
            expected[(sub.id, day)] = 1 if kind == 0 else 2
    return expected


def claim_all(store: Store, pairs: list[tuple[int, date]]) -> list[tuple[int, date, int]]:
    won = []
    for sub_id, day in pairs:
        delivery = store.claim(sub_id, day)
        if delivery is not None:
            won.append((sub_id, day, delivery.attempts))
    return won


def check_race(store: Store, expected: dict[tuple[int, date], int], won: list[tuple[int, date, int]]) -> None:
    winners = Counter((sub_id, day) for sub_id, day, _ in won)
    assert set(winners) == set(expected)
    assert [pair for pair, n in winners.items() if n != 1] == []  # never two winners
    assert {(sub_id, day): attempts for sub_id, day, attempts in won} == expected
    stored = {
        (d.subscription_id, d.digest_date): (d.status, d.attempts)
        for sub_id in {p[0] for p in expected}
        for d in store.deliveries_for(sub_id)
    }
    assert stored == {pair: ("claimed", attempts) for pair, attempts in expected.items()}


def _claim_in_process(url: str, pairs: list[tuple[int, date]], barrier: Any, results: Any) -> None:
    """Child process (spawn): own engine, wait for the others, then claim every pair."""
    store = Store(make_engine(url))
    try:
        store.engine.connect().close()  # connect before the barrier so the race is on the claims
        barrier.wait(timeout=60)
        results.put(claim_all(store, pairs))
    except BaseException:
        results.put(traceback.format_exc())
        raise
    finally:
        store.dispose()


@pytest.mark.slow
def test_concurrent_claims_postgres_processes(pg_url: str) -> None:
    store = Store(make_engine(pg_url))
    db.upgrade(store.engine)
    try:
        expected = seed_race(store)
        ctx = multiprocessing.get_context("spawn")
        barrier, results = ctx.Barrier(2), ctx.Queue()
        workers = [
            ctx.Process(target=_claim_in_process, args=(pg_url, list(expected), barrier, results)) for _ in range(2)
        ]
        for w in workers:
            w.start()
        outcomes = [results.get(timeout=90) for _ in workers]
        for w in workers:
            w.join(timeout=30)
        errors = [o for o in outcomes if isinstance(o, str)]
        assert errors == [], "\n".join(errors)
        assert all(w.exitcode == 0 for w in workers)
        won = [item for outcome in outcomes for item in outcome]
        check_race(store, expected, won)
    finally:
        drop_schema(store.engine)
        store.dispose()


def test_concurrent_claims_sqlite_threads(tmp_path: Any) -> None:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'race.db'}"))
    db.upgrade(store.engine)
    expected = seed_race(store)
    barrier = threading.Barrier(8)

    def racer() -> list[tuple[int, date, int]]:
        barrier.wait(timeout=30)
        return claim_all(store, list(expected))

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(racer) for _ in range(8)]
        won = [item for f in futures for item in f.result(timeout=60)]
    check_race(store, expected, won)
    store.dispose()


def test_concurrent_upgrades_postgres(pg_url: str) -> None:
    stores = [Store(make_engine(pg_url)) for _ in range(4)]
    drop_schema(stores[0].engine)
    barrier = threading.Barrier(len(stores))

    def create(store: Store) -> None:
        store.engine.connect().close()
        barrier.wait(timeout=30)
        db.upgrade(store.engine)

    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            for future in [pool.submit(create, s) for s in stores]:
                future.result(timeout=60)
        sub, created = subscribe(stores[1])
        assert created and stores[2].get_subscription(sub.id) == sub
    finally:
        drop_schema(stores[0].engine)
        for s in stores:
            s.dispose()
