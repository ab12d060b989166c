"""Socket Mode as a real ``python -m bot`` process: connect, take Slack's envelopes, ack them, post reports.

The Slack fake answers ``apps.connections.open`` with a ``ws://127.0.0.1`` URL and serves that websocket
(fakes/slack_socket.py); the bot uses its shipped Socket Mode client, exactly as in production.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from fakes.braze import SampleBraze
from fakes.settings import BOT_TOKEN, BRAZE_KEY, CAMPAIGN, SEND, SIGNING_SECRET
from fakes.signing import block_actions_payload, block_suggestion_payload, event_body, slash_command_body
from fakes.slack import SlackFake
from handlers.layout.catalogue_blocks import TARGET_ACTION
from tests.harness import PNG_SIGNATURE, message_text
from tests.processes import ServedBot, process_env

#: Real bot processes (started, killed, stopped): left out by ``pytest -m "not slow"``.
pytestmark = pytest.mark.slow

BOLT_TOKEN_WARNING = "will be unused"


def posts_in_thread(slack: SlackFake, thread_ts: str, count: int) -> list[dict]:
    """Wait for ``count`` successful posts in ``thread_ts`` (text or file) and return the text posts."""
    slack.wait_for("files.completeUploadExternal", count=count, timeout=30)
    posts = [c.params for c in slack.calls_to("chat.postMessage") if c.response["ok"]]
    return [p for p in posts if p.get("thread_ts") == thread_ts]


def test_socket_mode_bot_acks_command_mention_and_button_and_posts_reports(
    fakes: tuple[SlackFake, SampleBraze], tmp_path: Path
) -> None:
    slack, braze = fakes
    socket = slack.socket_mode
    env = process_env(
        slack, braze, f"sqlite:///{tmp_path / 'db.sqlite'}", SLACK_APP_TOKEN=socket.app_token, SCHEDULER="off"
    )
    bot = ServedBot(env, tmp_path, tmp_path / "log")
    try:
        bot.wait_ready()  # /healthz on $PORT says ok only once warm and connected
        socket.wait_connected()
        assert httpx.get(f"{bot.url}/healthz").text == "ok\n"
        assert httpx.post(f"{bot.url}/slack/events", content=b"{}").status_code == 404  # no HTTP door

        # a slash command: the ack carries the bot's ephemeral answer, the report is posted in the channel
        body = slash_command_body(f"{CAMPAIGN} {SEND} 7", response_url=slack.new_response_url())
        command = socket.deliver("slash_commands", dict(parse_qsl(body.decode())))
        ack = socket.wait_ack(command)
        assert ack["envelope_id"] == command and "Fetching" in ack["payload"]["text"]
        slack.wait_for("files.completeUploadExternal", timeout=30)
        [report] = [c for c in slack.calls_to("chat.postMessage") if c.response["ok"]]
        assert report.params["channel"] == "C_PUBLIC" and CAMPAIGN in message_text(report.params)
        assert slack.files[0].content.startswith(PNG_SIGNATURE)
        report_ts = report.response["ts"]

        # an app_mention in a thread: acked with the bare envelope id, answered in that thread
        event = {"type": "app_mention", "user": "U1", "text": f"<@UBOT> {CAMPAIGN} {SEND} 14", "channel": "C_PUBLIC"}
        event |= {"ts": "1764400001.000200", "thread_ts": "1764400000.000100"}
        mention = socket.deliver("events_api", json.loads(event_body(event)))
        assert socket.wait_ack(mention) == {"envelope_id": mention}
        [answer] = posts_in_thread(slack, "1764400000.000100", count=2)
        assert CAMPAIGN in message_text(answer)

        # a re-run button on the report: acked, the 30-day report goes into the report's thread
        value = json.dumps({"c": CAMPAIGN, "s": SEND, "d": 30})
        button = block_actions_payload(
            "sendstats_rerun_30", value=value, message_ts=report_ts, response_url=slack.new_response_url()
        )
        click = socket.deliver("interactive", button)
        assert socket.wait_ack(click) == {"envelope_id": click}
        [rerun] = posts_in_thread(slack, report_ts, count=3)
        assert CAMPAIGN in message_text(rerun)
        assert [r.query["length"] for r in braze.series_requests()] == ["7", "14", "30"]
    finally:
        assert bot.stop() == 0
    log = bot.log.read_text()
    assert "sendstats ready (Socket Mode)" in log
    assert BOLT_TOKEN_WARNING not in log and "Traceback" not in log
    for secret in (BOT_TOKEN, SIGNING_SECRET, BRAZE_KEY, socket.app_token):
        assert secret not in log


def test_rejected_app_token_is_explained_in_one_line(fakes: tuple[SlackFake, SampleBraze], tmp_path: Path) -> None:
    slack, braze = fakes
    socket = slack.socket_mode  # Socket Mode on; the token below is not the app's
    issued = socket.opened
    env = process_env(
        slack, braze, f"sqlite:///{tmp_path / 'db.sqlite'}", SLACK_APP_TOKEN="xapp-1-A1-1-revoked", SCHEDULER="off"
    )
    run = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2, run.stderr
    [line] = [line for line in run.stderr.splitlines() if "SLACK_APP_TOKEN" in line]
    assert line.startswith("sendstats cannot start: Slack rejected SLACK_APP_TOKEN (invalid_auth)")
    assert "connections:write" in line
    assert "Traceback" not in run.stderr and "xapp-1-A1-1-revoked" not in run.stderr
    assert socket.opened == issued  # no websocket URL for a rejected token


def test_socket_mode_bot_reconnects_when_slack_refreshes_or_disables_the_link_and_keeps_answering(
    fakes: tuple[SlackFake, SampleBraze], tmp_path: Path
) -> None:
    """Slack recycles Socket Mode connections: a ``warning``, then ``refresh_requested`` (and closes the old
    connection), or ``link_disabled``; each URL from ``apps.connections.open`` is single-use and short-lived.
    The bot must open a fresh connection each time and answer on it, from start to SIGTERM."""
    slack, braze = fakes
    socket = slack.socket_mode
    socket.ticket_ttl = 1.0  # a URL used more than a second after it was issued is refused
    env = process_env(
        slack, braze, f"sqlite:///{tmp_path / 'db.sqlite'}", SLACK_APP_TOKEN=socket.app_token, SCHEDULER="off"
    )
    first = socket.connections
    bot = ServedBot(env, tmp_path, tmp_path / "log")
    try:
        bot.wait_ready()
        socket.wait_connections(first + 1)

        def report(days: int) -> None:
            body = slash_command_body(f"{CAMPAIGN} {SEND} {days}", response_url=slack.new_response_url())
            command = socket.deliver("slash_commands", dict(parse_qsl(body.decode())))
            assert "Fetching" in socket.wait_ack(command)["payload"]["text"]

        report(7)
        socket.disconnect("warning")  # a notice only: the connection keeps working
        mention = {"type": "app_mention", "user": "U1", "text": "<@UBOT> help", "channel": "C_PUBLIC"}
        mention |= {"ts": "1764400001.000200"}
        assert socket.wait_ack(socket.deliver("events_api", json.loads(event_body(mention))))

        socket.disconnect("refresh_requested")
        socket.wait_connections(first + 2)
        report(14)

        socket.disconnect("link_disabled")
        socket.wait_connections(first + 3)
        report(30)
        slack.wait_for("files.completeUploadExternal", count=3, timeout=60)

        # an options request on the new connection: its ack carries the options, as Slack expects
        suggestion = block_suggestion_payload({"id": "V1"}, TARGET_ACTION, "spring")
        options = socket.wait_ack(socket.deliver("interactive", suggestion))
        assert "options" in options["payload"]
    finally:
        assert bot.stop() == 0
    assert socket.expired_tickets == 0 and socket.ignored_payloads == []
    assert [r.query["length"] for r in braze.series_requests()] == ["7", "14", "30"]
    log = bot.log.read_text()
    assert "Traceback" not in log and socket.app_token not in log


def test_socket_mode_bot_pauses_a_channels_digests_when_slack_says_it_was_removed(
    fakes: tuple[SlackFake, SampleBraze], tmp_path: Path
) -> None:
    """The removal event comes over the websocket (no Request URL in Socket Mode): the subscriber is told
    at once, by DM, how to resume, and nothing more is said in the channel."""
    slack, braze = fakes
    socket = slack.socket_mode
    env = process_env(
        slack, braze, f"sqlite:///{tmp_path / 'db.sqlite'}", SLACK_APP_TOKEN=socket.app_token, SCHEDULER="off"
    )
    bot = ServedBot(env, tmp_path, tmp_path / "log")
    try:
        bot.wait_ready()
        socket.wait_connected()
        text = f"subscribe {CAMPAIGN} {SEND} at 08:15 Europe/Berlin"
        body = slash_command_body(text, response_url=slack.new_response_url())
        ack = socket.wait_ack(socket.deliver("slash_commands", dict(parse_qsl(body.decode()))))
        assert "Checking" in ack["payload"]["text"]
        slack.wait_for("chat.postMessage", timeout=30)  # the confirmation, in the channel
        slack.send_events_to(None)  # Socket Mode: events come over the websocket
        [sent] = slack.remove_bot("C_PUBLIC", by="U2")
        assert sent["event"]["type"] == "channel_left"
        slack.wait_for("chat.postMessage", count=2, timeout=30)
        [told] = slack.messages_in("DU1")
        assert f"`/sendstats subscribe {CAMPAIGN} {SEND} at 08:15 Europe/Berlin`" in told["text"]
        assert "<@U2> removed me" in told["text"]
        assert len(slack.messages_in("C_PUBLIC")) == 1  # the confirmation alone
    finally:
        assert bot.stop() == 0
    assert "Traceback" not in bot.log.read_text()
