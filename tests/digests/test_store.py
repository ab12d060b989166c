"""digests.store on SQLite and PostgreSQL: engines, the schema, and exactly-once claims raced across
threads and processes."""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.pool import StaticPool

from bot import db
from digests.store import Store, make_engine
from tests.digests.rows import FIRST, subscribe
from tests.harness import drop_schema

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
        assert pool.submit(store.subscriptions.get, sub.id).result() == sub


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


# -- schema --------------------------------------------------------------------------------------------


def test_upgrade_is_idempotent(store: Store) -> None:
    sub, _ = subscribe(store)
    db.upgrade(store.engine)
    assert store.subscriptions.get(sub.id) == sub


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
                failed = store.deliveries.claim(sub.id, day, holder="A")
                assert failed is not None and store.deliveries.record_failure(failed.id, "A", "boom", retry_at=None)
            elif kind == 2:
                assert store.deliveries.claim(sub.id, day, now=long_ago) is not None
            expected[(sub.id, day)] = 1 if kind == 0 else 2
    return expected


def claim_all(store: Store, pairs: list[tuple[int, date]]) -> list[tuple[int, date, int]]:
    won = []
    for sub_id, day in pairs:
        delivery = store.deliveries.claim(sub_id, day)
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
        for d in store.deliveries.of_subscription(sub_id)
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
        assert created and stores[2].subscriptions.get(sub.id) == sub
    finally:
        drop_schema(stores[0].engine)
        for s in stores:
            s.dispose()
