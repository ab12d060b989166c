"""Schema migrations on SQLite and PostgreSQL: each revision upgrades from the one before with rows
kept, a database made by the first release's ``create_all`` is stamped (not recreated), the models and
the migrations never drift, and ``python -m bot db`` works without Slack or Braze settings."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select, text

from bot import db
from digests.store import make_engine
from tests import first_release_schema as first
from tests.harness import drop_schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'm.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = make_engine(url)
    drop_schema(engine)
    try:
        yield engine
    finally:
        drop_schema(engine)
        engine.dispose()


def revisions() -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(db.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the first release's tables, by primary key, with the first release's columns."""
    out: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as conn:
        for name, rows in first.ROWS.items():
            t = first.metadata.tables[name]
            query = select(*[t.c[c] for c in rows[0]]).order_by(*t.primary_key.columns)
            out[name] = [tuple(str(v) for v in row) for row in conn.execute(query)]
    return out


def seed_first_release_rows(engine: Engine) -> None:
    with engine.begin() as conn:
        for name, rows in first.ROWS.items():
            conn.execute(first.metadata.tables[name].insert(), rows)


def test_there_is_one_line_of_revisions_from_the_baseline() -> None:
    script = ScriptDirectory.from_config(db.alembic_config())
    assert revisions()[0] == db.BASELINE
    assert len(script.get_heads()) == 1, "two heads: chain the newer migration after the other"


def test_each_revision_upgrades_from_the_one_before_keeping_rows(engine: Engine) -> None:
    steps = revisions()
    db.upgrade(engine, steps[0])
    seed_first_release_rows(engine)
    kept = snapshot(engine)
    for revision in steps[1:]:
        _, after = db.upgrade(engine, revision)
        assert after == revision
        assert snapshot(engine) == kept, f"rows changed on the way to {revision}"
    assert db.current(engine) == db.head()


def test_a_database_made_by_the_first_release_is_stamped_not_recreated(engine: Engine) -> None:
    first.metadata.create_all(engine)
    seed_first_release_rows(engine)
    kept = snapshot(engine)
    before, after = db.upgrade(engine)
    assert (before, after) == (db.BASELINE, db.head())
    assert snapshot(engine) == kept
    assert db.upgrade(engine) == (db.head(), db.head())  # idempotent


def test_models_and_migrations_never_drift(engine: Engine) -> None:
    db.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), list(db.METADATA))
    assert diff == [], "the models differ from the migrations: add a revision (see docs/operations.md, Migrations)"
    tables = {name for m in db.METADATA for name in m.tables}
    assert set(inspect(engine).get_table_names()) == {*tables, "alembic_version"}


@pytest.mark.slow
def test_db_command_upgrades_and_reports_without_slack_settings(engine: Engine) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRAZE_"))}
    env["DATABASE_URL"] = engine.url.render_as_string(hide_password=False)

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "db", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "no revision" in run("current")
    assert f"upgraded from empty to {db.head()}" in run("upgrade")
    assert f"at {db.head()}; up to date" in run("current")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == db.head()
