"""The bot as a real process: ``python -m bot`` serve, restart, ``digest`` in two processes, ``demo``.

The fakes run in the test process on 127.0.0.1; the bot processes reach them only through the same
settings a deployment uses (SLACK_API_URL, BRAZE_REST_ENDPOINT, DATABASE_URL).
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import db
from digests.store import Store, make_engine
from fakes.braze import SampleBraze
from fakes.signing import FORM, post_signed, slash_command_body
from fakes.slack import SlackFake
from tests.harness import BOT_TOKEN, BRAZE_KEY, CAMPAIGN, SEND, SIGNING_SECRET, png_size
from tests.processes import ServedBot, clean_env, free_port, process_env

#: Real bot processes (started, killed, stopped): left out by ``pytest -m "not slow"``.
pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n"


def test_without_settings_it_names_them_and_points_to_the_docs(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bot"], env=clean_env(), cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "BRAZE_API_KEY", "BRAZE_REST_ENDPOINT"):
        assert name in run.stderr
    assert ".env.example" in run.stderr and "manifest.yml" in run.stderr
    assert "Traceback" not in run.stderr


def test_env_file_is_read_and_bad_values_named_without_echoing_them(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxp-user-token-secretvalue\nSLACK_SIGNING_SECRET=s3cret\n"
        "BRAZE_API_KEY=k\nBRAZE_REST_ENDPOINT=http://rest.iad-01.braze.com\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "bot"], env=clean_env(), cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2
    assert "SLACK_BOT_TOKEN" in run.stderr and "xoxb-" in run.stderr and "BRAZE_REST_ENDPOINT" in run.stderr
    assert "secretvalue" not in run.stderr and "s3cret" not in run.stderr


def test_served_bot_answers_signed_command_and_stops_on_sigterm(
    fakes: tuple[SlackFake, SampleBraze], tmp_path: Path
) -> None:
    slack, braze = fakes
    bot = ServedBot(
        process_env(slack, braze, f"sqlite:///{tmp_path / 'db.sqlite'}", SCHEDULER="off"), tmp_path, tmp_path / "log"
    )
    try:
        bot.wait_ready()
        body = slash_command_body(f"{CAMPAIGN} {SEND} 7", response_url=slack.new_response_url())
        response = post_signed(f"{bot.url}/slack/events", body, SIGNING_SECRET, FORM)
        assert response.status_code == 200 and "Fetching" in response.json()["text"]
        [share] = [f for f in slack.files] or [
            slack.wait_for("files.completeUploadExternal", timeout=30) and slack.files[0]
        ]
        assert share.content.startswith(PNG)
        assert post_signed(f"{bot.url}/slack/events", body, "forged", FORM).status_code == 401
        keep_alive = http.client.HTTPConnection("127.0.0.1", bot.port, timeout=5)
        keep_alive.request("GET", "/healthz")  # left open, as Slack's connections are
        assert keep_alive.getresponse().read() == b"ok\n"
    finally:
        assert bot.stop() == 0
    log = bot.log.read_text()
    assert BRAZE_KEY not in log and SIGNING_SECRET not in log and BOT_TOKEN not in log


def _due_subscription(store: Store, channel: str, send: str, first_day) -> int:
    """A subscription made two days ago whose 00:00 UTC digest is due today."""
    sub, _ = store.subscriptions.upsert(
        team_id="T1", channel_id=channel, kind="send", object_id=CAMPAIGN, send_id=send, hour=0, minute=0,
        timezone="UTC", created_by="U1", first_day=first_day, ends_on=first_day + timedelta(days=14),
        now=datetime.now(UTC) - timedelta(days=2),
    )
    return sub.id


def test_restarted_bot_posts_the_missed_digest_once(fakes: tuple[SlackFake, SampleBraze], tmp_path: Path) -> None:
    slack, braze = fakes
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = Store(make_engine(url))
    db.upgrade(store.engine)
    sub_id = _due_subscription(store, "C_PUBLIC", SEND, braze.sends[(CAMPAIGN, SEND)].first_day)
    env = process_env(slack, braze, url, SCHEDULER="on")
    first = ServedBot(env, tmp_path, tmp_path / "log1")
    try:
        first.wait_ready()
        slack.wait_for("files.completeUploadExternal", timeout=30)  # the start-up sweep catches up
    finally:
        assert first.stop() == 0
    second = ServedBot(env, tmp_path, tmp_path / "log2")
    try:
        second.wait_ready()
        time.sleep(4)  # its start-up sweep has run by now
        body = slash_command_body("list", response_url=slack.new_response_url())
        listing = post_signed(f"{second.url}/slack/events", body, SIGNING_SECRET, FORM).json()["text"]
    finally:
        assert second.stop() == 0
    sent = [c for c in slack.calls_to("chat.postMessage") if c.response["ok"]]
    replies = [c for c in sent if (c.params.get("metadata") or {}).get("event_type") == "sendstats_chart"]
    posts = [c for c in sent if c not in replies]
    assert len(posts) == 1, [p.params.get("text") for p in posts]
    assert [c.params["thread_ts"] for c in replies] == [posts[0].response["ts"]]  # its chart, once
    assert len(slack.files) == 1
    assert f"#{sub_id}" in listing and f"last digest: posted {datetime.now(UTC):%b} {datetime.now(UTC).day}" in listing
    assert [d.status for d in store.deliveries.of_subscription(sub_id)] == ["posted"]
    store.dispose()


def test_two_processes_on_postgresql_post_each_digest_once(
    fakes: tuple[SlackFake, SampleBraze], pg_url: str, tmp_path: Path
) -> None:
    slack, braze = fakes
    store = Store(make_engine(pg_url))
    db.upgrade(store.engine)
    with store.engine.begin() as conn:
        from digests.tables import metadata

        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    channels = ["C_PUBLIC", "C_TEAM2", "C_TEAM3"]
    for channel in channels:
        if channel not in slack.channels:
            slack.add_channel(channel)
    ids = []
    for n in range(4):
        send = braze.add_send(CAMPAIGN, f"send-{n}", days_ago=3 + n)
        ids += [_due_subscription(store, channel, send.send_id, send.first_day) for channel in channels]
    today = datetime.now(UTC).date().isoformat()
    env = process_env(slack, braze, pg_url, SCHEDULER="off")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "digest", "--date", today],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    sent = [c for c in slack.calls_to("chat.postMessage") if c.response["ok"]]
    replies = [c for c in sent if (c.params.get("metadata") or {}).get("event_type") == "sendstats_chart"]
    posts = [c for c in sent if c not in replies]
    keys = sorted((c.params["channel"], c.params["text"].split(":")[0]) for c in posts)
    assert len(posts) == len(ids) == 12, keys
    assert len(set(keys)) == 12
    assert sorted((c.params["channel"], c.params["thread_ts"]) for c in replies) == sorted(
        (c.params["channel"], c.response["ts"]) for c in posts
    )  # each digest's chart in its thread, once
    assert len(slack.files) == 4  # one upload per send's chart, shown in its three channels
    for sub_id in ids:
        assert [d.status for d in store.deliveries.of_subscription(sub_id)] == ["posted"]
    # both processes did real work or lost every claim; together they fetched each send at most twice
    assert len(braze.series_requests()) <= 8
    again = subprocess.run(
        [sys.executable, "-m", "bot", "digest", "--date", today],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0 and "posted 0" in again.stdout and "already posted 12" in again.stdout
    assert len([c for c in slack.calls_to("chat.postMessage") if c.response["ok"]]) == len(sent)  # nothing more
    assert len(slack.files) == 4
    store.dispose()


def test_demo_needs_no_accounts(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        env=clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    pngs = sorted(p.name for p in tmp_path.glob("sendstats-demo-*.png"))
    stems = ("campaign", "canvas", "spring-launch-01")
    charts = [f"sendstats-demo-{stem}{suffix}.png" for stem in stems for suffix in ("", "-variants")]
    assert pngs == sorted(["sendstats-demo-alert.png", *charts])
    assert sorted(p.name for p in tmp_path.glob("sendstats-demo-*.csv")) == [f"sendstats-demo-{s}.csv" for s in stems]
    assert all((tmp_path / name).read_bytes().startswith(PNG) for name in pngs)
    for words in ("*Sent 122,760 messages*", "By variation", "iOS push", "Variant A", "Chart written to"):
        assert words in run.stdout
    assert "99% confidence" in run.stdout  # the variant comparison
    for words in ("DAILY DIGEST · SPRING", "DAILY DIGEST · WINTER NEWSLETTER", "DAILY DIGEST · ONBOARDING JOURNEY"):
        assert words in run.stdout  # then each kind's digest
    for words in ("*Email*", "click-to-open", "*Webhook*", "*In-app message*", "By variant", "Discount path"):
        assert words in run.stdout
    assert "🚨 ALERT" in run.stdout and "above the alert's threshold of *2.0%*" in run.stdout


def test_demo_draws_each_message_it_posted_as_a_phone_shows_it(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--screenshots", "shots"],
        env=clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    shots = sorted((tmp_path / "shots").glob("*.png"))
    assert [p.stem for p in shots] == sorted(
        ["report-send", "report-campaign", "report-canvas", "digest-send", "digest-campaign", "digest-canvas",
         "alert-breach"]
    )
    for shot in shots:
        width, height = png_size(shot.read_bytes())
        assert width == 780 and height > 400  # a phone's 390 points at 2x, and a message's worth of height


def test_rejected_token_or_unreachable_slack_is_explained(fakes: tuple[SlackFake, SampleBraze], tmp_path: Path) -> None:
    slack, braze = fakes
    env = process_env(slack, braze, f"sqlite:///{tmp_path / 'db.sqlite'}", SLACK_BOT_TOKEN="xoxb-revoked-token")
    run = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2 and "Slack rejected SLACK_BOT_TOKEN" in run.stderr and "Traceback" not in run.stderr
    env["SLACK_API_URL"] = f"http://127.0.0.1:{free_port()}/api/"
    env["SLACK_BOT_TOKEN"] = BOT_TOKEN
    run = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2 and "could not reach Slack" in run.stderr and "Traceback" not in run.stderr
