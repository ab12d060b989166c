"""Schema migrations (Alembic), run at start-up and by ``python -m bot db upgrade|current``.

Start-up upgrades to head under a lock, so several processes starting at once (web + clock, many
dynos) migrate once: a PostgreSQL transaction-level advisory lock, or a lock file beside a SQLite
database. A database made by the first release (``create_all``, no ``alembic_version`` table) is
recognised and stamped at the baseline, never recreated, so it keeps its rows.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect, text

from catalogue import tables as catalogue_tables
from digests import tables as digest_tables
from handlers import event_log, installation

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BASELINE = "0001_baseline"
#: Arbitrary constant key of the PostgreSQL advisory lock that serialises migrations.
_LOCK_KEY = 0x5E_5D_57_A7
#: A table only the first release's schema has, to recognise its databases.
_BASELINE_MARKER = "subscriptions"
#: Every table the migrations must produce (Alembic's target metadata; the drift test compares them).
METADATA: tuple[MetaData, ...] = (
    digest_tables.metadata,
    catalogue_tables.metadata,
    event_log.metadata,
    installation.metadata,
)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this code knows."""
    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


def current(engine: Engine) -> str | None:
    """The revision the database is at; None for an empty (or pre-Alembic) database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextlib.contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction that holds the migration lock for as long as it runs."""
    lock_file = None
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        lock_file = Path(f"{engine.url.database}.migrate.lock").open("a")  # noqa: SIM115 (held until the end)
        fcntl.flock(lock_file, fcntl.LOCK_EX)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            yield conn
    finally:
        if lock_file is not None:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
            lock_file.close()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring the schema to ``revision``; returns (revision before, revision after)."""
    with _migrating(engine) as conn:
        config = alembic_config(conn)
        before = MigrationContext.configure(conn).get_current_revision()
        if before is None and inspect(conn).has_table(_BASELINE_MARKER):
            log.info("database made before migrations existed: stamping it at %s", BASELINE)
            command.stamp(config, BASELINE)
            before = BASELINE
        command.upgrade(config, revision)
        after = MigrationContext.configure(conn).get_current_revision() or ""
    if before != after:
        log.info("database schema upgraded from %s to %s", before or "empty", after)
    return before, after
