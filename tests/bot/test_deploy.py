"""A deploy loses nothing: a real ``python -m bot`` gets a burst of reports, subscribes and a mention over
signed HTTP, with Braze slow for some of them and a digest round under way, and SIGTERM arrives
mid-burst. Then the bot is started again, as a platform does.

The verdict comes from what the Slack fake received: every acked command got its report or
confirmation, or a private "I was restarting: run … again", never both and nothing twice; a command
that was not acked got nothing (Slack itself told its user it failed); the digest that was in flight
is posted once, by the next process.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot import db
from digests.store import Store, make_engine
from fakes.braze import SampleBraze
from fakes.slack import SlackFake
from handlers.flows.digest_posting import EVENT_TYPE
from tests.harness import CAMPAIGN, SEND, drop_schema, message_text
from tests.processes import ServedBot, process_env

pytestmark = pytest.mark.slow

HUNG = "hung-send"  # Braze answers its series after 60 s: reports and subscribes on it cannot finish
DIGEST_SEND = "digest-send"  # likewise, for the digest round that is under way at SIGTERM
GRACE = 10  # STOP_GRACE_SECONDS: work has its first 6.7 s, the tells the rest


@dataclass
class Sent:
    """One request of the burst: where its answers go, and whether Slack got its ack."""

    text: str
    channel: str
    user: str
    response_url: str | None
    should_finish: bool
    acked: bool = False


def top_level(slack: SlackFake, channel: str) -> list[dict]:
    return [m for m in slack.messages_in(channel) if m.get("thread_ts") in (None, m["ts"])]


def restart_notes(slack: SlackFake, sent: Sent) -> list[str]:
    """Private "I was restarting" messages to this request's requester (response_url or ephemeral)."""
    private = [message_text(r) for r in slack.responses.get(sent.response_url or "", [])]
    private += [e["text"] for e in slack.ephemerals if e["channel"] == sent.channel and e["user"] == sent.user]
    return [text for text in private if "I was restarting" in text]


def send(bot: ServedBot, slack: SlackFake, sent: Sent) -> None:
    try:
        if sent.text.startswith("@"):
            event = {"type": "app_mention", "user": sent.user, "channel": sent.channel, "ts": "1700000000.000100",
                     "text": f"<@UBOT> {sent.text.removeprefix('@sendstats ')}"}
            answer = bot.event(event, timeout=3)
        else:
            answer = bot.command(sent.text, sent.user, sent.response_url, channel=sent.channel, timeout=3)
        sent.acked = answer.status_code == 200
    except httpx.TransportError:  # refused: the process stopped listening at SIGTERM
        sent.acked = False


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigterm_mid_burst_every_acked_request_is_answered_or_told_once_and_the_digest_resumes(
    fakes: tuple[SlackFake, SampleBraze], tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    slack, braze = fakes
    url = f"sqlite:///{tmp_path / 'db.sqlite'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    store = Store(make_engine(url))
    db.upgrade(store.engine)
    for send_id in (HUNG, DIGEST_SEND):
        braze.add_send(CAMPAIGN, send_id, days_ago=4)
        braze.send_latency[send_id] = 60
    slack.add_channel("C_DIGEST")
    first_day = braze.sends[(CAMPAIGN, DIGEST_SEND)].first_day
    sub, _ = store.subscriptions.upsert(
        team_id="T1", channel_id="C_DIGEST", kind="send", object_id=CAMPAIGN, send_id=DIGEST_SEND, hour=0, minute=0,
        timezone="UTC", created_by="U_SUB", first_day=first_day, ends_on=first_day + timedelta(days=14),
        now=datetime.now(UTC) - timedelta(days=3),
    )
    burst: list[Sent] = []

    def plan(text: str, user: str, should_finish: bool) -> None:
        channel = f"C_D{len(burst):02d}"
        slack.add_channel(channel)
        response_url = None if text.startswith("@") else slack.new_response_url()
        burst.append(Sent(text, channel, user, response_url, should_finish))

    for n in range(3):
        plan(f"{CAMPAIGN} {SEND} 7", f"U_FAST{n}", True)
    for _ in range(4):  # one user: two run (stuck on Braze), two wait in the queue behind them
        plan(f"{CAMPAIGN} {HUNG} 7", "U_STUCK", False)
    plan(f"subscribe {CAMPAIGN} {SEND}", "U_SUBFAST", True)
    plan(f"subscribe {CAMPAIGN} {HUNG}", "U_SUBSTUCK", False)
    plan(f"@sendstats {CAMPAIGN} {HUNG} 7", "U_MENTION", False)
    after_sigterm = len(burst)
    for n in range(2):
        plan(f"{CAMPAIGN} {SEND} 7", f"U_LATE{n}", True)

    env = process_env(slack, braze, url, SCHEDULER="on", STOP_GRACE_SECONDS=str(GRACE), REPORT_WORKERS="2",
                      RENDER_PROCESSES="1", DIGEST_LEASE_SECONDS="2")
    bot = ServedBot(env, tmp_path, tmp_path / "first.log")
    try:
        bot.wait_ready()
        braze_wait(braze, DIGEST_SEND, bot)  # the digest round is under way, stuck on Braze
        for sent in burst[:after_sigterm]:
            send(bot, slack, sent)
        assert all(s.acked for s in burst[:after_sigterm]), bot.log.read_text()
        bot.proc.send_signal(signal.SIGTERM)  # as a platform does at a deploy, mid-burst
        for sent in burst[after_sigterm:]:
            send(bot, slack, sent)
        bot.proc.wait(timeout=GRACE + 20)  # a bound on the wait, not a timing: it must end by itself
    finally:
        code = bot.stop()
    first_log = bot.log.read_text()
    assert code == 0, first_log
    assert "Traceback" not in first_log, first_log
    assert not [m for m in slack.messages_in("C_DIGEST") if m.get("metadata")], "posted by the stopped process?"

    braze.send_latency.clear()
    again = ServedBot(env, tmp_path, tmp_path / "second.log")
    try:
        again.wait_ready()
        wait_until(lambda: chart_replies(slack, "C_DIGEST"), again)  # message, then the chart's reply
    finally:
        assert again.stop() == 0, again.log.read_text()

    for sent in burst:
        posted = [message_text(m) for m in top_level(slack, sent.channel)]
        told = restart_notes(slack, sent)
        if not sent.acked:
            assert (posted, told, slack.responses.get(sent.response_url or "")) == ([], [], []), sent
            continue
        assert len(posted) + len(told) == 1, (sent, posted, told)  # answered or told: once, never both
        if sent.should_finish:
            assert len(posted) == 1, (sent, told, first_log)
            assert ("subscribed this channel" in posted[0]) == sent.text.startswith("subscribe"), posted
        else:
            [note] = told
            command = sent.text.replace("@sendstats", "").strip()
            assert f"sendstats {command}" in note and "again" in note, note
    digests = [m for m in slack.messages_in("C_DIGEST") if (m.get("metadata") or {}).get("event_type") == EVENT_TYPE]
    assert len(digests) == 1, digests
    assert [d.status for d in store.deliveries.of_subscription(sub.id)] == ["posted"]
    drop_schema(store.engine)  # a PostgreSQL database is shared by the session: leave it empty
    store.dispose()


def chart_replies(slack: SlackFake, channel: str) -> list[dict]:
    """The digest chart's replies in ``channel`` (each shows the round's one private upload by file id)."""
    return [m for m in slack.messages_in(channel) if (m.get("metadata") or {}).get("event_type") == "sendstats_chart"]


def braze_wait(braze: SampleBraze, send_id: str, bot: ServedBot) -> None:
    wait_until(lambda: any(r.query.get("send_id") == send_id for r in list(braze.requests)), bot)


def wait_until(condition: Callable[[], object], bot: ServedBot, timeout: float = 60) -> None:
    """Until ``condition()`` holds (a bound on the wait, not a timing); fails at once if the bot exits."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert bot.proc.poll() is None, bot.log.read_text()
        assert time.monotonic() < deadline, bot.log.read_text()
        time.sleep(0.1)
