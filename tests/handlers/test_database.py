"""Database calls on Slack's clock (``handlers.database``) and the one-line log of an outage, against real
databases: a closed port, a locked SQLite file, bad SQL, and PostgreSQL behind the TCP proxy."""

from __future__ import annotations

import logging
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from tenacity import Retrying, stop_after_attempt

from bot.logs import OutagesInOneLine
from digests.store import TCP_BOUNDS, make_engine
from fakes.tcp_proxy import TcpProxy
from handlers.database import (
    NOT_ANSWERING,
    UNAVAILABLE,
    DatabaseUnavailable,
    RecentIds,
    is_outage,
    reason_of,
    within,
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def refused_error() -> OperationalError:
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{closed_port()}/nothing")
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("a closed port accepted a connection")


def select_one(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT 1")).scalar_one())


def test_a_quick_call_answers_with_its_value(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert within(2.0, select_one, engine) == 1


def test_a_refused_database_is_unavailable_and_says_so_in_one_line() -> None:
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{closed_port()}/nothing")
    with pytest.raises(DatabaseUnavailable) as info:
        within(2.0, select_one, engine)
    assert info.value.reason == UNAVAILABLE
    reason = reason_of(info.value.__cause__)
    assert reason.startswith("OperationalError: ") and "refused" in reason and "\n" not in reason
    assert "sqlalche.me" not in reason and "[SQL" not in reason


def test_a_call_past_its_budget_is_not_answering_and_the_caller_goes_on() -> None:
    release = threading.Event()
    with pytest.raises(DatabaseUnavailable) as info:
        within(0.2, release.wait)  # stands in for a query on a connection that never answers
    release.set()
    assert info.value.reason == NOT_ANSWERING


def test_bad_sql_is_a_bug_not_an_outage(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")

    def bad() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(OperationalError) as sqlite_info:  # SQLite says "no such table" as an OperationalError
        bad()
    assert is_outage(sqlite_info.value)  # so SQLite's schema errors count as outages: the safe side
    pg = ProgrammingError("SELECT nonsense", {}, Exception("syntax error at or near nonsense"))
    assert not is_outage(pg) and not is_outage(ValueError("x")) and not is_outage(None)

    def raises_programming_error() -> None:
        raise pg

    with pytest.raises(ProgrammingError):
        within(2.0, raises_programming_error)


def test_a_locked_sqlite_file_is_an_outage(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    engine = make_engine(f"sqlite:///{path}", busy_timeout_ms=100)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(OperationalError) as info, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert is_outage(info.value) and "locked" in reason_of(info.value)


def test_an_outage_is_found_through_retries_and_wrappers() -> None:
    outage = refused_error()
    with pytest.raises(OperationalError) as retried:
        for attempt in Retrying(stop=stop_after_attempt(2), reraise=True):
            with attempt:
                raise outage
    assert is_outage(retried.value)
    try:
        try:
            raise outage
        except OperationalError as exc:
            raise RuntimeError("could not record the message") from exc
    except RuntimeError as wrapped:
        assert is_outage(wrapped)
        assert "refused" in reason_of(wrapped)


def test_a_connection_lost_mid_query_counts_even_when_the_driver_reports_a_state_error() -> None:
    """As seen after a PostgreSQL restart: psycopg loses the socket, then refuses to reset the connection,
    and SQLAlchemy wraps that second error, whose context is the first."""
    try:
        try:
            raise psycopg.OperationalError("connection socket closed")
        except psycopg.OperationalError:
            raise psycopg.ProgrammingError("can't change 'autocommit' now: connection in transaction status ACTIVE")  # noqa: B904 (as psycopg does)
    except psycopg.ProgrammingError as state_error:
        wrapped = ProgrammingError("SELECT 1", {}, state_error)
    assert is_outage(wrapped)
    assert reason_of(wrapped) == "OperationalError: connection socket closed"


def test_outage_records_keep_one_line_and_bugs_keep_their_traceback() -> None:
    outage, bug = refused_error(), KeyError("x")
    records = []
    for error in (outage, bug):
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "digest for %s failed", ("#3",), None)
        record.exc_info = (type(error), error, error.__traceback__)
        assert OutagesInOneLine().filter(record)
        records.append(record)
    one_line, traced = records
    assert one_line.exc_info is None and "\n" not in one_line.getMessage()
    assert one_line.getMessage().startswith("digest for #3 failed: the database: OperationalError: ")
    assert traced.exc_info is not None and traced.getMessage() == "digest for #3 failed"


def test_recent_ids_answer_first_time_once_and_forget_the_oldest() -> None:
    seen = RecentIds(size=2)
    assert seen.first_time("Ev1") and not seen.first_time("Ev1")
    assert seen.first_time("Ev2") and seen.first_time("Ev3")  # Ev1 is forgotten now
    assert seen.first_time("Ev1") and not seen.first_time("Ev3")


@pytest.fixture
def proxied_pg(pg_url: str) -> Iterator[tuple[TcpProxy, str]]:
    """The session's PostgreSQL database behind the TCP proxy, and its URL through the proxy."""
    direct = make_url(pg_url)
    with TcpProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
        yield proxy, direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def test_a_pooled_connection_that_stops_answering_costs_the_caller_its_budget_only(
    proxied_pg: tuple[TcpProxy, str],
) -> None:
    proxy, url = proxied_pg
    engine = make_engine(url)
    try:
        assert within(2.0, select_one, engine) == 1  # the pool now holds a live connection
        proxy.set_mode("hang")
        with pytest.raises(DatabaseUnavailable) as info:
            within(0.5, select_one, engine)
        assert info.value.reason == NOT_ANSWERING
        proxy.set_mode("pass")
        assert within(10.0, select_one, engine) == 1  # and it answers again once the hang ends
    finally:
        engine.dispose()


def test_postgresql_connections_carry_the_tcp_bounds(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            parameters = conn.connection.driver_connection.info.get_parameters()  # type: ignore[union-attr]
    finally:
        engine.dispose()
    assert {name: parameters.get(name) for name in TCP_BOUNDS} == {k: str(v) for k, v in TCP_BOUNDS.items()}
    assert parameters["connect_timeout"] == "5"
