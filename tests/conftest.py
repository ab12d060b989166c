"""Shared pytest fixtures.

Store fixtures: ``pg_url`` (a throwaway PostgreSQL database for the session) and ``store`` (a fresh
:class:`digests.store.Store` on SQLite and on PostgreSQL). They depend on nothing else in this file.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bot import db
from digests.store import Store, make_engine

pytest_plugins = ["tests.harness"]

#: Server the PostgreSQL tests use; a database per session is created on it (and dropped afterwards).
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a brand-new, uniquely named PostgreSQL database that lives for this session only.

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
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file brought to the head revision by the migrations, once per session: each SQLite ``store``
    starts from a copy of it (the same file an upgrade would write, without running eight migrations a test)."""
    path = tmp_path_factory.mktemp("migrated") / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()  # the last connection closes the write-ahead log into the file
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """An empty Store with its schema, on a SQLite file and on the session's PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("store") / "store.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        store = Store(make_engine(f"sqlite:///{path}"))
    else:
        store = Store(make_engine(request.getfixturevalue("pg_url")))
        db.upgrade(store.engine)
    try:
        yield store
    finally:
        if request.param == "postgresql":
            from tests.harness import drop_schema  # a plugin module: imported once pytest has loaded it

            drop_schema(store.engine)  # the database is shared by the session: leave it empty
        store.dispose()
