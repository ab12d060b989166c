"""Schema migrations on SQLite and PostgreSQL: each revision upgrades from the one before with rows
kept, a database made by the first release's ``create_all`` is stamped (not recreated), the models and
the migrations never drift, and ``python -m bot db`` works without Slack or Braze settings."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Date, Engine, Integer, String, column, inspect, select, table, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import TableClause

from bot import db
from digests.charts import ChartKey
from digests.store import Store
from digests.tables import UTCDateTime
from handlers.installation import InstallSalt
from reports.kinds import Kind, Target
from tests import first_release_schema as first

ROOT = Path(__file__).resolve().parents[2]


def revisions() -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(db.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


#: Columns renamed since the first release: (table, first release's name) → today's name.
RENAMED = {("subscriptions", "campaign_id"): "object_id"}


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the first release's tables, by primary key, with the first release's columns (under
    their names at the database's revision)."""
    out: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as conn:
        for name, rows in first.ROWS.items():
            present = {c["name"] for c in inspect(conn).get_columns(name)}
            t = first.metadata.tables[name]
            light = table(name, *[column(c if c in present else RENAMED[(name, c)], t.c[c].type) for c in rows[0]])
            query = select(*light.c).order_by(*[light.c[key.name] for key in t.primary_key])
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


def drift(engine: Engine) -> list[object]:
    """What Alembic's autogenerate would write to bring the database to the models (nothing, we hope)."""
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), list(db.METADATA)))


def test_models_and_migrations_never_drift(engine: Engine) -> None:
    db.upgrade(engine)
    assert drift(engine) == [], "the models differ from the migrations: add a revision (see docs/operations.md)"
    tables = {name for m in db.METADATA for name in m.tables}
    assert set(inspect(engine).get_table_names()) == {*tables, "alembic_version"}


# -- 0004: subscriptions name their target (kind, object_id, send_id) ---------------------------------

T = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
#: Rows as a 0003 database holds them: sends, campaigns and Canvases (their ID in ``campaign_id``), each
#: with deliveries in every state, leases and unknown outcomes included.
SUBSCRIPTIONS_0003 = [
    {"id": 1, "channel_id": "C1", "kind": "send", "campaign_id": "cmp-1", "send_id": "send-1", "status": "active"},
    {"id": 2, "channel_id": "C1", "kind": "campaign", "campaign_id": "cmp-1", "send_id": "", "status": "active"},
    {"id": 3, "channel_id": "C1", "kind": "canvas", "campaign_id": "cv-1", "send_id": "", "status": "paused"},
    {"id": 4, "channel_id": "C2", "kind": "canvas", "campaign_id": "cv-1", "send_id": "", "status": "cancelled"},
]
DELIVERIES_0003 = [
    {"id": 10, "subscription_id": 1, "status": "posted", "message_ts": "1.1", "file_id": "F1"},
    {"id": 11, "subscription_id": 1, "status": "chart_pending", "message_ts": "1.2", "holder": "h:1:a",
     "heartbeat_at": T, "sent_at": T},
    {"id": 12, "subscription_id": 2, "status": "failed", "detail": "slack: timeout", "retry_at": T, "sent_at": T},
    {"id": 13, "subscription_id": 2, "status": "claimed", "holder": "h:2:b", "heartbeat_at": T},
    {"id": 14, "subscription_id": 3, "status": "missed", "detail": "braze: 500"},
    {"id": 15, "subscription_id": 3, "status": "skipped", "detail": "no complete day of data yet"},
    {"id": 16, "subscription_id": 4, "status": "posted", "message_ts": "4.1"},
]
SUBSCRIPTION_COLUMNS = {
    "id": Integer(), "team_id": String(), "channel_id": String(), "campaign_id": String(), "send_id": String(),
    "hour": Integer(), "minute": Integer(), "timezone": String(), "created_by": String(), "created_at": UTCDateTime(),
    "first_day": Date(), "ends_on": Date(), "status": String(), "status_reason": String(), "last_digest_on": Date(),
    "kind": String(),
}
DELIVERY_COLUMNS = {
    "id": Integer(), "subscription_id": Integer(), "digest_date": Date(), "status": String(), "attempts": Integer(),
    "detail": String(), "message_ts": String(), "claimed_at": UTCDateTime(), "updated_at": UTCDateTime(),
    "holder": String(), "heartbeat_at": UTCDateTime(), "sent_at": UTCDateTime(), "retry_at": UTCDateTime(),
    "file_id": String(),
}


def rows_0003() -> dict[str, list[dict[str, object]]]:
    """Every column of every row, defaults filled in."""
    subs = [
        {
            "team_id": "T1", "hour": 9, "minute": 0, "timezone": "Europe/Berlin", "created_by": "U1",
            "created_at": T - timedelta(days=9), "first_day": date(2026, 11, 10), "ends_on": date(2026, 11, 24),
            "status_reason": None, "last_digest_on": date(2026, 11, 18), **row,
        }
        for row in SUBSCRIPTIONS_0003
    ]
    deliveries = [
        {
            **dict.fromkeys(DELIVERY_COLUMNS), "digest_date": date(2026, 11, 10) + timedelta(days=row["id"] - 10),
            "attempts": 2, "claimed_at": T - timedelta(hours=1), "updated_at": T, **row,
        }
        for row in DELIVERIES_0003
    ]
    return {"subscriptions": subs, "digest_deliveries": deliveries}


def light(name: str, columns: dict[str, Any], renamed: dict[str, str] | None = None) -> TableClause:
    renamed = renamed or {}
    return table(name, *[column(renamed.get(c, c), type_) for c, type_ in columns.items()])


def stored(engine: Engine, renamed: dict[str, str] | None = None) -> dict[str, list[tuple[object, ...]]]:
    """Every subscription and delivery, every column (``renamed``: today's names of 0003's columns)."""
    with engine.connect() as conn:
        return {
            name: [tuple(row) for row in conn.execute(select(*t.c).order_by(t.c.id))]
            for name, t in (
                ("subscriptions", light("subscriptions", SUBSCRIPTION_COLUMNS, renamed)),
                ("digest_deliveries", light("digest_deliveries", DELIVERY_COLUMNS)),
            )
        }


def at_0003_with_rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    db.upgrade(engine, "0003_catalogue")
    with engine.begin() as conn:
        rows = rows_0003()
        conn.execute(light("subscriptions", SUBSCRIPTION_COLUMNS).insert(), rows["subscriptions"])
        conn.execute(light("digest_deliveries", DELIVERY_COLUMNS).insert(), rows["digest_deliveries"])
        if conn.dialect.name == "postgresql":  # rows with explicit ids: move the sequences past them, as use would
            for name in rows:
                last = f"(SELECT max(id) FROM {name})"
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {last})"))
    before = stored(engine)
    assert [len(rows) for rows in before.values()] == [4, 7]
    return before


def test_0004_renames_campaign_id_to_object_id_keeping_every_row_and_delivery(engine: Engine) -> None:
    before = at_0003_with_rows(engine)
    assert db.upgrade(engine, "0004_subscription_target") == ("0003_catalogue", "0004_subscription_target")
    # Every subscription and every delivery, column for column: on SQLite the table rebuild must not
    # have cascade-deleted a single delivery.
    assert stored(engine, {"campaign_id": "object_id"}) == before
    columns = {c["name"] for c in inspect(engine).get_columns("subscriptions")}
    assert "object_id" in columns and "campaign_id" not in columns
    assert [d for d in drift(engine) if d[0] != "add_table"] == []  # (tables of later revisions come later)
    store = Store(engine)
    assert [(s.kind, s.object_id, s.send_id) for s in map(store.subscriptions.get, (1, 2, 3))] == [  # type: ignore[union-attr]
        ("send", "cmp-1", "send-1"),
        ("campaign", "cmp-1", ""),
        ("canvas", "cv-1", ""),
    ]
    pending = store.deliveries.get(1, date(2026, 11, 11))
    assert pending is not None and (pending.status, pending.holder, pending.sent_at) == ("chart_pending", "h:1:a", T)
    with engine.begin() as conn:  # the deliveries still hang off their subscriptions
        conn.execute(text("DELETE FROM subscriptions WHERE id = 3"))
    assert store.deliveries.of_subscription(3) == [] and len(store.deliveries.of_subscription(2)) == 2
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE digest_deliveries SET subscription_id = 99 WHERE id = 16"))


def test_0004_keys_subscriptions_by_kind_too(engine: Engine) -> None:
    at_0003_with_rows(engine)
    db.upgrade(engine, "0004_subscription_target")
    store = Store(engine)
    target = {"team_id": "T1", "channel_id": "C2", "object_id": "cv-1", "send_id": "", "hour": 9, "minute": 0}
    when = {"timezone": "UTC", "created_by": "U2", "first_day": date(2026, 11, 10), "ends_on": date(9999, 12, 31)}
    campaign, created = store.subscriptions.upsert(kind="campaign", **target, **when)  # type: ignore[arg-type]
    assert created and campaign.id not in (1, 2, 3, 4)  # a campaign and a Canvas may share an ID
    canvas, created = store.subscriptions.upsert(kind="canvas", **target, **when)  # type: ignore[arg-type]
    assert (canvas.id, created, canvas.status) == (4, False, "active")  # the cancelled Canvas, re-subscribed
    assert store.subscriptions.find("C2", "campaign", "cv-1", "") == campaign
    assert store.subscriptions.find("C2", "send", "cv-1", "") is None


def test_0004_downgrades_keeping_rows_but_one_of_a_campaign_and_canvas_sharing_an_id(engine: Engine) -> None:
    before = at_0003_with_rows(engine)
    db.upgrade(engine, "0004_subscription_target")
    with engine.begin() as conn:  # a campaign beside the Canvas cv-1 in C1: the older key allows only one
        conn.execute(
            text(
                "INSERT INTO subscriptions (id, team_id, channel_id, kind, object_id, send_id, hour, minute, timezone,"
                " created_by, created_at, first_day, ends_on, status) SELECT 5, team_id, channel_id, 'campaign',"
                " object_id, send_id, hour, minute, timezone, created_by, created_at, first_day, ends_on, status"
                " FROM subscriptions WHERE id = 3"
            )
        )
    with engine.begin() as conn:
        command.downgrade(db.alembic_config(conn), "0003_catalogue")
    assert db.current(engine) == "0003_catalogue"
    assert stored(engine) == before  # the later of the two went; every delivery stayed


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


# -- 0006: the install's salt ---------------------------------------------------------------------------


def test_0006_the_salt_is_made_once_and_kept(engine: Engine) -> None:
    db.upgrade(engine)
    first_process, second_process = InstallSalt(engine), InstallSalt(engine)
    salt = first_process()
    assert len(salt) == 32 and second_process() == salt == first_process()
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM installation")).scalar() == 1
    before = ScriptDirectory.from_config(db.alembic_config()).get_revision("0006_installation").down_revision
    with engine.begin() as conn:
        command.downgrade(db.alembic_config(conn), str(before))
    assert "installation" not in inspect(engine).get_table_names()


# -- 0007: one chart upload per send (digest_charts, chart_fallback) -------------------------------------


def test_0007_an_unsure_chart_of_the_old_flow_is_resumed_by_looking_for_its_upload(engine: Engine) -> None:
    """A ``chart_pending`` row whose chart upload was sent by the old code (``sent_at``) becomes
    ``chart_fallback``, whose resume looks for that upload in the thread; every other row is kept as it was,
    and the downgrade gives the older code only states it knows."""
    at_0003_with_rows(engine)
    db.upgrade(engine, "0006_installation")
    with engine.begin() as conn:  # a second chart_pending row, nothing sent yet
        conn.execute(text("UPDATE digest_deliveries SET status = 'chart_pending', sent_at = NULL WHERE id = 13"))
    before = stored(engine, {"campaign_id": "object_id"})
    assert db.upgrade(engine, "0007") == ("0006_installation", "0007")
    after = stored(engine, {"campaign_id": "object_id"})
    status = list(DELIVERY_COLUMNS).index("status")
    pairs = zip(after["digest_deliveries"], before["digest_deliveries"], strict=True)
    changed = {row[0]: row[status] for row, old in pairs if row != old}
    assert changed == {11: "chart_fallback"}
    assert after["subscriptions"] == before["subscriptions"]
    store = Store(engine)
    resumed = store.deliveries.claim(
        2, date(2026, 11, 13), holder="h:new", lease=timedelta(0), now=T + timedelta(seconds=1)
    )
    assert resumed is not None and resumed.status == "chart_pending"  # nothing was sent: the new flow
    with engine.begin() as conn:
        command.downgrade(db.alembic_config(conn), "0006_installation")
    statuses = {row[0]: row[status] for row in stored(engine, {"campaign_id": "object_id"})["digest_deliveries"]}
    assert statuses[11] == "chart_pending" and "digest_charts" not in inspect(engine).get_table_names()


def test_0007_one_row_per_distinct_chart_and_one_uploader(engine: Engine) -> None:
    db.upgrade(engine)
    store = Store(engine)
    key = ChartKey(Target(Kind.SEND, "cmp-1", "send-1"), date(2026, 11, 1), date(2026, 11, 20))
    first = store.charts.claim(key, "h:1", lease=timedelta(minutes=1), now=T)
    assert first is not None and first.file_id is None
    assert store.charts.claim(key, "h:2", lease=timedelta(minutes=1), now=T + timedelta(seconds=30)) is None
    other_day = ChartKey(key.target, key.start, date(2026, 11, 21))
    assert store.charts.claim(other_day, "h:2", lease=timedelta(minutes=1), now=T) is not None
    taken = store.charts.claim(key, "h:2", lease=timedelta(minutes=1), now=T + timedelta(minutes=2))
    assert taken is not None and taken.id == first.id  # its uploader died: taken over
    assert store.charts.record(taken.id, "F2", now=T) == "F2"
    assert store.charts.record(first.id, "F1", now=T) == "F2"  # the first recorded upload is the one shown
    assert store.charts.claim(key, "h:3", lease=timedelta(0), now=T + timedelta(days=1)) is None
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO digest_charts (kind, object_id, send_id, span_start, digest_day, created_at)"
                " VALUES ('send', 'cmp-1', 'send-1', '2026-11-01', '2026-11-20', '2026-11-20 08:00:00')"
            )
        )
    assert store.charts.forget(key.day) == 0 and store.charts.forget(key.day + timedelta(days=1)) == 1
    assert store.charts.get(key) is None and store.charts.get(other_day) is not None
