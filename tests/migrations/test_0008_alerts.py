"""Migration 0008 (alerts) on SQLite and PostgreSQL: its tables come with their rules (one rule per
channel, target, metric and op; one post per alert, episode and event; only known ops, states and
statuses), rows from before are kept, and it downgrades to the revision before it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from bot import db
from digests.store import Store
from reports.kinds import Kind, Target

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


def before_0008() -> str:
    return str(ScriptDirectory.from_config(db.alembic_config()).get_revision("0008").down_revision)


def test_0008_adds_alerts_keeping_rows_and_downgrades(engine: Engine) -> None:
    db.upgrade(engine, before_0008())
    store = Store(engine)
    sub, _ = store.subscriptions.upsert(
        team_id="T1",
        channel_id="C1",
        kind="campaign",
        object_id="cmp",
        send_id="",
        hour=9,
        minute=0,
        timezone="UTC",
        created_by="U1",
        first_day=NOW.date(),
        ends_on=NOW.date(),
        now=NOW,
    )
    assert "alerts" not in inspect(engine).get_table_names()
    db.upgrade(engine)
    assert {"alerts", "alert_posts"} <= set(inspect(engine).get_table_names())
    assert store.subscriptions.get(sub.id) == sub
    target = Target(Kind.CAMPAIGN, "cmp")
    alert, created = store.alerts.add(
        team_id="T1",
        channel_id="C1",
        target=target,
        metric="bounce_rate",
        op=">",
        threshold=0.02,
        created_by="U1",
        now=NOW,
    )
    again, created_again = store.alerts.add(
        team_id="T1",
        channel_id="C1",
        target=target,
        metric="bounce_rate",
        op=">",
        threshold=0.03,
        created_by="U2",
        now=NOW,
    )
    assert created and not created_again and again.id == alert.id and again.threshold == 0.03
    made = store.alerts.observe(again, value=0.05, day=NOW.date(), complete=False, now=NOW)
    assert made is not None and made.event == "breach" and made.episode == 1
    assert store.alerts.observe(again, value=0.05, day=NOW.date(), complete=False, now=NOW) is None  # stale read
    with pytest.raises(IntegrityError), engine.begin() as conn:  # a second breach post of episode 1
        conn.execute(
            text(
                "INSERT INTO alert_posts (alert_id, episode, event, status, value, day, partial, attempts, "
                "created_at, updated_at) VALUES (:a, 1, 'breach', 'pending', 0.1, :d, 1, 0, :t, :t)"
            ),
            {"a": alert.id, "d": NOW.date(), "t": NOW.replace(tzinfo=None)},
        )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE alerts SET op = '>=' WHERE id = :a"), {"a": alert.id})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE alerts SET state = 'maybe' WHERE id = :a"), {"a": alert.id})
    with engine.begin() as conn:
        command.downgrade(db.alembic_config(conn), before_0008())
    names = set(inspect(engine).get_table_names())
    assert "alerts" not in names and "alert_posts" not in names
    assert store.subscriptions.get(sub.id) == sub
    store.dispose()
