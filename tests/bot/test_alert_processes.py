"""``python -m bot alerts`` as real processes: two at once on PostgreSQL post a breach once; the command
exits non-zero when a check could not be made; a clear replies in the breach's thread."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import db
from digests.store import Store, make_engine
from fakes.braze import SampleBraze
from fakes.slack import SlackFake
from reports.kinds import Kind, Target
from tests.processes import process_env

pytestmark = pytest.mark.slow
CMP = "cmp-alert-procs"


def _alerts(env: dict[str, str], cwd: Path, count: int) -> list[tuple[int, str]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "alerts"],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(count)
    ]
    return [(p.wait(timeout=120), p.communicate()[0]) for p in procs]


def _posts(slack: SlackFake, channel: str) -> list[dict]:
    return [m for m in slack.messages_in(channel) if not m.get("files")]


def test_two_alert_commands_at_once_post_a_breach_once_and_its_clear_once(
    fakes: tuple[SlackFake, SampleBraze], pg_url: str, tmp_path: Path
) -> None:
    slack, braze = fakes
    campaign = braze.add_campaign(CMP, "Winter sale", days_ago=3)
    store = Store(make_engine(pg_url))
    db.upgrade(store.engine)
    alert, _ = store.alerts.add(
        team_id="T1",
        channel_id="C_PUBLIC",
        target=Target(Kind.CAMPAIGN, CMP),
        metric="bounce_rate",
        op=">",
        threshold=0.05,
        created_by="U1",
        now=datetime.now(UTC),
    )
    env = process_env(slack, braze, pg_url, SCHEDULER="off")

    assert [code for code, _ in _alerts(env, tmp_path, 1)] == [0]  # normal: nothing
    assert _posts(slack, "C_PUBLIC") == []

    campaign.email_bounce_share = 0.4
    runs = _alerts(env, tmp_path, 2)
    assert [code for code, _ in runs] == [0, 0], runs
    [breach] = _posts(slack, "C_PUBLIC")
    assert "Bounce rate" in breach["text"] and breach["metadata"]["event_type"] == "sendstats_alert"
    assert sum("posted 1" in out for _, out in runs) == 1, runs
    assert len(slack.files) == 1  # one chart, in its thread

    assert [code for code, _ in _alerts(env, tmp_path, 2)] == [0, 0]  # still breaching: nothing
    assert len(_posts(slack, "C_PUBLIC")) == 1

    campaign.email_bounce_share = None
    assert [code for code, _ in _alerts(env, tmp_path, 2)] == [0, 0]
    [_, reply] = _posts(slack, "C_PUBLIC")
    assert reply["thread_ts"] == breach["ts"] and "Back to normal" in reply["text"]
    assert [p.event for p in store.alert_posts.of_alert(alert.id)] == ["breach", "clear"]
    store.dispose()


def test_the_command_exits_non_zero_when_a_check_could_not_be_made(
    fakes: tuple[SlackFake, SampleBraze], tmp_path: Path
) -> None:
    slack, braze = fakes
    braze.add_campaign(CMP, "Winter sale", days_ago=3)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = Store(make_engine(url))
    db.upgrade(store.engine)
    store.alerts.add(
        team_id="T1",
        channel_id="C_PUBLIC",
        target=Target(Kind.CAMPAIGN, CMP),
        metric="sent",
        op="<",
        threshold=10,
        created_by="U1",
        now=datetime.now(UTC),
    )
    braze.refuse("/campaigns/data_series")
    [(code, out)] = _alerts(process_env(slack, braze, url, SCHEDULER="off"), tmp_path, 1)
    assert code == 1 and "not checked 1" in out and "Traceback" not in out
    store.dispose()
