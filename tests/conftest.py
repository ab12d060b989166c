"""Shared pytest fixtures.

Store fixtures: ``pg_url`` (a throwaway PostgreSQL database for the session, without a schema) and
``store`` (an empty :class:`digests.store.Store` on SQLite and on PostgreSQL). The migrations run once per
session for ``store``: a SQLite store is a copy of a migrated file, a PostgreSQL store the session's
migrated database, emptied after each test. The migrations' own tests (``tests/migrations/``) run them
for real, revision by revision. They depend on nothing else in this file.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bot import db
from digests.store import Store, make_engine

pytest_plugins = ["tests.harness"]

#: Server the PostgreSQL tests use; a database per session is created on it (and dropped afterwards).
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def fresh_database() -> Iterator[str]:
    """URL of a brand-new, uniquely named PostgreSQL database, dropped afterwards.

    Skips when PostgreSQL is unreachable, unless REQUIRE_POSTGRES=1 (CI), where that is a failure.
    """
    admin_url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(
        admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 3}
    )
    name = f"sendstats_t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        why = " ".join(str(exc.orig).split())
        reason = f"PostgreSQL unreachable at {admin_url.render_as_string()}: {why}"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    try:
        # Plain postgresql:// on purpose, so make_engine's driver normalisation is exercised too.
        yield admin_url.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """An empty PostgreSQL database for this session (no schema: tests that use it make their own)."""
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_postgresql() -> Iterator[str]:
    """A second PostgreSQL database of the session, brought to the head revision once: each PostgreSQL
    ``store`` uses it and empties its tables afterwards (not eight migrations and a drop a test)."""
    with fresh_database() as url:
        engine = make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file brought to the head revision by the migrations, once per session: each SQLite ``store``
    starts from a copy of it (the same file an upgrade would write, without running eight migrations a test)."""
    path = tmp_path_factory.mktemp("migrated") / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()  # the last connection closes the write-ahead log into the file
    return path


def empty_tables(engine: Engine) -> None:
    """Delete every row but Alembic's version and restart the id sequences: the schema stays as migrated."""
    with engine.begin() as conn:
        names = [name for name in inspect(conn).get_table_names() if name != "alembic_version"]
        if names:
            quoted = ", ".join(f'"{name}"' for name in names)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """An empty Store with its schema, on a SQLite file and on the session's PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("store") / "store.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        store = Store(make_engine(f"sqlite:///{path}"))
    else:
        store = Store(make_engine(request.getfixturevalue("migrated_postgresql")))
    try:
        yield store
    finally:
        if request.param == "postgresql":
            empty_tables(store.engine)  # the database is the session's: the next store finds it empty
        store.dispose()
