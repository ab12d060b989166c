"""A report is posted once, and never lost: the Slack fake does the work and then loses the answer (the
connection dropped, a 5xx, an answer later than the client waits), on ``chat.postMessage`` and on the
chart upload's ``files.completeUploadExternal``. Whatever happens, the channel ends with exactly one report
and one chart, from what the fake received.

And a look-up never takes a look-alike for one of ours: another app (the fake's ``add_app``), or a
staging copy of this app sharing its token, posting the same event type and even the same ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, ServerErrorRetryHandler

from bot.app import make_slack_client
from bot.runtime import digest_slack_client, make_delivery
from digests.round import run_round
from fakes.slack import SlackFake
from handlers.adapter.delivery import REPORT_EVENT
from handlers.flows.digest_posting import CHART_EVENT_TYPE, EVENT_TYPE, SlackDigestSender
from tests.harness import BOT_TOKEN, CAMPAIGN, SEND, BotUnderTest, file_role, make_subscription

#: Every test here waits out a lost answer: a client timeout, a retry or a look-up after Slack's processing.
pytestmark = pytest.mark.slow

TODAY = datetime.now(UTC).date()
#: How each loss is made: the fake's ``lose_answer`` (dropped, 5xx) or ``answer_late`` (past the client's wait).
LOSSES = ("dropped", "503", "late")


def lose(slack: SlackFake, method: str, how: str) -> None:
    if how == "dropped":
        slack.lose_answer(method)
    elif how == "503":
        slack.lose_answer(method, status=503)
    else:
        slack.answer_late(method, 4)


@pytest.fixture
def impatient(bot: BotUnderTest) -> Iterator[BotUnderTest]:
    """The bot's on-demand client waits 1 s for an answer (a late answer is a lost one), and a lost upload
    is looked for 3 s at most."""
    delivery = bot.runtime.deps.delivery
    saved = delivery.client.timeout, delivery.share_wait
    delivery.client.timeout, delivery.share_wait = 1, 3.0
    try:
        yield bot
    finally:
        delivery.client.timeout, delivery.share_wait = saved
        bot.slack.release_late()


def ours(slack: SlackFake, channel: str = "C_PUBLIC", event_type: str = REPORT_EVENT) -> list[dict[str, Any]]:
    """Messages of ``event_type`` this bot posted in ``channel`` (top level and replies)."""
    return [
        m
        for m in slack.messages_in(channel)
        if m.get("bot_id") == "BBOT" and (m.get("metadata") or {}).get("event_type") == event_type
    ]


def charts(slack: SlackFake, thread_ts: str, channel: str = "C_PUBLIC") -> list[str]:
    """The daily charts in ``thread_ts``'s thread."""
    return [f.file_id for f in slack.files if f.channel == channel and f.thread_ts == thread_ts
            and file_role(f.filename) == "chart"]


def thread_files(slack: SlackFake, thread_ts: str, channel: str = "C_PUBLIC") -> list[str]:
    """What each file shared in ``thread_ts``'s thread is (``chart``, ``variants``, ``csv``), as the thread
    shows them: from the messages Slack posted there, not from the calls the bot made."""
    return sorted(
        file_role(f["name"])
        for m in slack.messages_in(channel, thread_ts=thread_ts)
        for f in m.get("files") or []
    )


#: A report of the sample send (three variations) uploads its daily chart, the variants chart and the CSV.
EVERY_FILE = ["chart", "csv", "variants"]


@pytest.mark.parametrize("how", LOSSES)
@pytest.mark.parametrize("method", ["chat.postMessage", "files.completeUploadExternal"])
def test_a_lost_answer_leaves_exactly_one_report_and_one_chart(impatient: BotUnderTest, method: str, how: str) -> None:
    bot = impatient
    lose(bot.slack, method, how)
    url = bot.slack.new_response_url()
    bot.command(f"{CAMPAIGN} {SEND}", response_url=url)
    bot.idle(timeout=60)
    [report] = ours(bot.slack)
    shares = bot.slack.wait_shared(3)
    assert charts(bot.slack, report["ts"]) == [s.file_id for s in shares if file_role(s.filename) == "chart"]
    assert thread_files(bot.slack, report["ts"]) == EVERY_FILE  # exactly one of each, in one message
    assert len({s.shared_ts for s in shares}) == 1
    bot.slack.release_late()  # a late answer is recorded once it is sent
    assert len(bot.slack.wait_for(method)) == 1  # the lost call was looked up, never repeated
    thread = bot.slack.messages_in("C_PUBLIC", thread_ts=report["ts"])
    assert [m for m in thread if "could not be attached" in m.get("text", "")] == []
    assert bot.slack.responses[url] == []  # nothing went wrong as far as the requester can tell


def test_a_post_that_did_not_land_is_posted_again_once(impatient: BotUnderTest) -> None:
    bot = impatient
    bot.slack.fail_next("chat.postMessage", error="internal_error", status=503)  # refused before doing anything
    bot.command(f"{CAMPAIGN} {SEND}")
    bot.idle(timeout=60)
    [report] = ours(bot.slack)
    assert [c.status for c in bot.slack.calls_to("chat.postMessage")] == [503, 200]
    assert len(bot.slack.calls_to("conversations.history")) == 1  # it looked before posting again
    bot.slack.wait_shared(3)
    assert thread_files(bot.slack, report["ts"]) == EVERY_FILE


def test_an_upload_that_did_not_land_is_uploaded_again_once(impatient: BotUnderTest) -> None:
    bot = impatient
    bot.slack.fail_next("files.completeUploadExternal", error="internal_error", status=503)
    bot.command(f"{CAMPAIGN} {SEND}")
    bot.idle(timeout=60)
    [report] = ours(bot.slack)
    bot.slack.wait_shared(3)
    assert thread_files(bot.slack, report["ts"]) == EVERY_FILE
    assert [c.status for c in bot.slack.calls_to("files.completeUploadExternal")] == [503, 200]
    # three new uploads, not a second completion
    assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 2 * len(EVERY_FILE)


@pytest.mark.parametrize("how", LOSSES)
def test_a_lost_answer_in_a_thread_leaves_exactly_one_reply(impatient: BotUnderTest, how: str) -> None:
    bot = impatient
    parent = "1764400000.000100"
    lose(bot.slack, "chat.postMessage", how)
    mention = {"type": "app_mention", "user": "U1", "text": f"<@UBOT> {CAMPAIGN} {SEND}", "channel": "C_PUBLIC"}
    assert bot.event({**mention, "ts": "1764400001.000200", "thread_ts": parent}).status_code == 200
    bot.slack.wait_for("files.completeUploadExternal", timeout=30)
    bot.idle(timeout=60)
    [reply] = ours(bot.slack)
    assert reply["thread_ts"] == parent
    assert len(bot.slack.calls_to("conversations.replies")) >= 1  # looked for in the thread


def test_the_on_demand_client_never_repeats_a_post_but_retries_everything_else(bot: BotUnderTest) -> None:
    client = make_slack_client(BOT_TOKEN, bot.slack.base_url)
    assert {type(h.inner) for h in client.retry_handlers} == {  # type: ignore[attr-defined]
        ConnectionErrorRetryHandler,
        ServerErrorRetryHandler,
    }
    bot.slack.lose_answer("chat.postMessage", status=503)
    with pytest.raises(Exception):  # noqa: B017 (slack_sdk's error for a 5xx)
        client.chat_postMessage(channel="C_PUBLIC", text="once")
    assert len(bot.slack.calls_to("chat.postMessage")) == 1 and len(bot.slack.messages_in("C_PUBLIC")) == 1
    bot.slack.fail_next("users.info", error="internal_error", status=503)
    assert client.users_info(user="U1")["ok"]  # a read is safe to repeat
    assert [c.status for c in bot.slack.calls_to("users.info")] == [503, 200]


# -- look-alikes ----------------------------------------------------------------------------------------


def look_alike(client: WebClient, event_type: str, payload: dict[str, Any], text: str = "look-alike") -> str:
    return str(client.chat_postMessage(
        channel="C_PUBLIC", text=text, metadata={"event_type": event_type, "event_payload": payload}
    )["ts"])


def test_a_look_alike_report_is_never_taken_for_ours(impatient: BotUnderTest) -> None:
    bot = impatient
    delivery = bot.runtime.deps.delivery
    key = delivery.identity().install_key
    other = bot.slack.add_app("xoxb-other-app", app_id="A2", bot_id="B2", user_id="UOTHER")
    theirs = WebClient(token=other.token, base_url=bot.slack.base_url)
    look_alike(theirs, REPORT_EVENT, {"request_id": "r-1", "install": key})
    staging = WebClient(token=BOT_TOKEN, base_url=bot.slack.base_url)  # a staging copy holding the same app's token
    look_alike(staging, REPORT_EVENT, {"request_id": "r-1", "install": "staging-key"})
    bot.slack.fail_next("chat.postMessage", error="internal_error", status=503)  # ours did not land
    delivered = delivery.deliver_report(
        "C_PUBLIC", text="report", blocks=[], png=None, filename="x.png", title="x", request_id="r-1"
    )
    mine = [m for m in ours(bot.slack) if (m["metadata"]["event_payload"]).get("install") == key]
    assert [m["ts"] for m in mine] == [delivered.ts] and mine[0]["text"] == "report"
    assert delivery.find_tagged("C_PUBLIC", REPORT_EVENT, {"request_id": "r-1"}, oldest=float(delivered.ts)) is None


def test_a_look_alike_digest_never_stops_a_real_one(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC")
    rounds = bot.runtime.rounds
    sender = rounds.sender
    assert isinstance(sender, SlackDigestSender)
    key = sender.delivery.identity().install_key
    store = bot.runtime.store.deliveries
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)  # its holder died since: the lease has lapsed
    claim = store.claim(sub.id, TODAY, holder="dead", lease=rounds.keeper.lease, now=long_ago)
    assert claim is not None and store.mark_sent(claim.id, "dead", now=long_ago)  # a post went out, no answer came
    same = {"delivery_id": claim.id, "subscription_id": sub.id, "digest_date": TODAY.isoformat()}
    other = bot.slack.add_app("xoxb-other-app", app_id="A2", bot_id="B2", user_id="UOTHER")
    look_alike(WebClient(token=other.token, base_url=bot.slack.base_url), EVENT_TYPE, {**same, "install": key})
    look_alike(WebClient(token=BOT_TOKEN, base_url=bot.slack.base_url), EVENT_TYPE, {**same, "install": "staging"})
    assert run_round(rounds, [sub], digest_date=TODAY).posted == 1
    [digest] = [m for m in ours(bot.slack, event_type=EVENT_TYPE) if m["metadata"]["event_payload"]["install"] == key]
    done = store.get(sub.id, TODAY)
    assert done is not None and done.message_ts == digest["ts"] and done.status == "posted"


def test_a_digest_look_up_reads_from_the_digest_day_on(bot: BotUnderTest) -> None:
    """``oldest`` is the start of the digest day where the subscriber lives: an earlier message of ours,
    tagged alike, is not this day's digest."""
    sub = make_subscription(bot, "C_PUBLIC")
    settings = bot.runtime.settings
    client = digest_slack_client(settings, bot.runtime.slack)
    sender = SlackDigestSender(make_delivery(settings, client, bot.runtime.salt))
    delivery = sender.delivery
    key = delivery.identity().install_key
    assert key == bot.runtime.deps.delivery.identity().install_key  # one key per install, whichever client
    look_alike(WebClient(token=BOT_TOKEN, base_url=bot.slack.base_url), EVENT_TYPE, {"delivery_id": 41, "install": key})
    assert sender.find_message(sub, delivery_id=41, digest_date=TODAY) is not None
    # a later day's digest of the same delivery id would be newer than that day's start: this one is not it
    assert sender.find_message(sub, delivery_id=41, digest_date=TODAY + timedelta(days=2)) is None


@pytest.mark.parametrize("how", LOSSES)
@pytest.mark.parametrize("method", ["chat.postMessage", "files.completeUploadExternal"])
@pytest.mark.parametrize("shared", [True, False], ids=["one upload per chart", "per-channel upload"])
def test_a_digest_whose_answer_was_lost_is_in_the_channel_once_with_its_chart(
    bot: BotUnderTest, method: str, how: str, shared: bool
) -> None:
    """A lost answer to the digest's message or to its chart's upload completion: the private upload of the
    shared chart (uploaded again, a new file: a private file is in no thread to look for), or the upload
    into the digest's thread (looked for there)."""
    sub = make_subscription(bot, "C_PUBLIC")
    impatient = bot.runtime.settings.model_copy(update={"slack_timeout_seconds": 1.0, "slack_share_wait_seconds": 5.0})
    client = digest_slack_client(impatient, bot.runtime.slack)
    sender = SlackDigestSender(make_delivery(impatient, client, bot.runtime.salt))
    rounds = replace(bot.runtime.rounds, sender=sender, shared_charts=shared)
    lose(bot.slack, method, how)
    try:
        assert run_round(rounds, [sub], digest_date=TODAY).posted == 1
    finally:
        bot.slack.release_late()
    [digest] = ours(bot.slack, event_type=EVENT_TYPE)
    if not shared:
        bot.slack.wait_shared(1)
    replies = [m for m in ours(bot.slack, event_type=CHART_EVENT_TYPE) if m["thread_ts"] == digest["ts"]]
    assert len(charts(bot.slack, digest["ts"])) + len(replies) == 1
    assert len(replies) == (1 if shared else 0)
    done = bot.runtime.store.deliveries.get(sub.id, TODAY)
    assert done is not None and (done.status, done.message_ts) == ("posted", digest["ts"])
