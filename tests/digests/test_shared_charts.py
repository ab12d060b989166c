"""One chart upload per distinct chart: a round uploads each chart once, privately, and every digest's thread
gets one reply whose image block shows it; a lost reply answer is looked up, never posted twice; a
reply refused before Slack has processed the file is tried again; a channel that refuses it gets the
chart uploaded into its thread; a chart uploaded before a crash is never uploaded again."""

from __future__ import annotations

import time
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from digests.charts import ChartKey
from digests.lease import LeaseKeeper
from digests.round import resume_past_days, run_round
from digests.tables import digest_deliveries, subscriptions
from fakes.braze import SampleBraze
from fakes.slack import UPLOAD
from handlers.flows.digest_posting import CHART_EVENT_TYPE
from reports.kinds import Kind, Target
from tests.harness import CAMPAIGN, SEND, BotUnderTest, make_subscription

TODAY = datetime.now(UTC).date()
#: Waits for Slack's processing that outlast the 2.5 s a test below makes it take (the harness's add up to 3.9 s).
QUICK_WAITS = (0.5, 0.5, 1.0, 2.0, 4.0)


def channels(bot: BotUnderTest, *names: str, refusing: bool = False) -> list[str]:
    for name in names:
        bot.slack.add_channel(name, refuses_slack_files=refusing)
    return list(names)


def chart_replies(bot: BotUnderTest, channel: str) -> list[dict]:
    """The chart replies in ``channel`` as Slack holds them (tagged ``sendstats_chart``)."""
    return [
        m for m in bot.slack.messages_in(channel) if (m.get("metadata") or {}).get("event_type") == CHART_EVENT_TYPE
    ]


def shown_file(reply: dict) -> str:
    [block] = reply["blocks"]
    assert block["type"] == "image"
    return str(block["slack_file"]["id"])


def add_second_send(braze: SampleBraze) -> str:
    braze.add_send(CAMPAIGN, "send-0002", days_ago=6)
    return "send-0002"


def test_each_distinct_chart_is_uploaded_once_and_shown_in_every_thread(bot: BotUnderTest) -> None:
    other = add_second_send(bot.braze)
    names = channels(bot, "C_SH1", "C_SH2", "C_SH3", "C_SH4")
    for n, channel in enumerate(names):
        make_subscription(bot, channel, send=SEND if n % 2 else other)
    result = run_round(bot.runtime.rounds, bot.runtime.store.subscriptions.active(), digest_date=TODAY)
    assert (result.posted, result.failed, result.chart_uploads, result.chart_fallbacks) == (4, 0, 2, 0)
    assert len(bot.slack.calls_to(UPLOAD)) == 2 and {f.channel for f in bot.slack.files} == {None}
    uploaded = {f.file_id for f in bot.slack.files}
    shown: dict[str, set[str]] = {}
    for n, channel in enumerate(names):
        [digest] = [m for m in bot.slack.messages_in(channel) if not m.get("thread_ts")]
        [reply] = chart_replies(bot, channel)
        assert reply["thread_ts"] == digest["ts"] and reply["user"] == "UBOT"
        shown.setdefault(SEND if n % 2 else other, set()).add(shown_file(reply))
        [delivery] = bot.runtime.store.deliveries.of_subscription(
            bot.runtime.store.subscriptions.in_channel(channel)[0].id
        )
        assert (delivery.status, delivery.file_id) == ("posted", shown_file(reply))
    assert [len(ids) for ids in shown.values()] == [1, 1] and set().union(*shown.values()) == uploaded


def test_a_reply_whose_answer_was_lost_is_found_not_posted_twice(bot: BotUnderTest) -> None:
    """The message is out (a dead holder's); the chart's reply lands but its answer is lost on the way."""
    sub = make_subscription(bot, "C_PUBLIC", created=datetime.now(UTC) - timedelta(days=3))
    store = bot.runtime.store
    parent = bot.runtime.slack.chat_postMessage(channel="C_PUBLIC", text="a digest")["ts"]
    held = store.deliveries.claim(sub.id, TODAY, holder="dead", now=datetime.now(UTC) - timedelta(minutes=5))
    assert held is not None and store.deliveries.record_message(held.id, "dead", parent, chart_follows=True)
    bot.slack.lose_answer("chat.postMessage")  # the next post is the chart's reply
    result = run_round(bot.runtime.rounds, [sub], digest_date=TODAY)
    assert result.posted == 1, result
    [reply] = chart_replies(bot, "C_PUBLIC")
    assert reply["thread_ts"] == parent and len(bot.slack.calls_to("chat.postMessage")) == 2  # the parent, 1 reply
    assert bot.slack.calls_to("conversations.replies")  # found by its metadata in the thread
    done = store.deliveries.get(sub.id, TODAY)
    assert done is not None and (done.status, done.file_id) == ("posted", shown_file(reply))


def test_a_dead_holders_reply_that_landed_is_found_before_anything_is_posted(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC", created=datetime.now(UTC) - timedelta(days=3))
    store, rounds = bot.runtime.store, bot.runtime.rounds
    first = run_round(rounds, [sub], digest_date=TODAY)
    assert first.posted == 1
    done = store.deliveries.get(sub.id, TODAY)
    assert done is not None
    # as if the holder died after its reply landed, before recording it: back to chart_pending, sent
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with store.engine.begin() as conn:
        conn.execute(
            update(digest_deliveries)
            .where(digest_deliveries.c.id == done.id)
            .values(status="chart_pending", holder="dead", heartbeat_at=hour_ago, sent_at=hour_ago, file_id=None)
        )
        conn.execute(update(subscriptions).values(last_digest_on=None))
    posts = len(bot.slack.calls_to("chat.postMessage"))
    again = run_round(rounds, [store.subscriptions.get(sub.id)], digest_date=TODAY)  # type: ignore[list-item]
    assert again.posted == 1, again
    assert len(bot.slack.calls_to("chat.postMessage")) == posts and len(bot.slack.calls_to(UPLOAD)) == 1
    resumed = store.deliveries.get(sub.id, TODAY)
    assert resumed is not None and (resumed.status, resumed.file_id) == ("posted", done.file_id)


@pytest.mark.slow  # Slack's processing outlasts the first try by design
def test_a_reply_refused_while_slack_processes_the_file_is_tried_again_once_it_is_done(bot: BotUnderTest) -> None:
    names = channels(bot, "C_SLOW1", "C_SLOW2")
    for channel in names:
        make_subscription(bot, channel)
    bot.slack.share_delay = (2.5, 2.5)
    try:
        rounds = replace(bot.runtime.rounds, processing_waits=QUICK_WAITS)
        result = run_round(rounds, bot.runtime.store.subscriptions.active(), digest_date=TODAY)
    finally:
        bot.slack.share_delay = (1.0, 2.0)
    assert (result.posted, result.chart_uploads, result.chart_fallbacks) == (2, 1, 0), result
    refused = [c for c in bot.slack.calls_to("chat.postMessage") if c.response.get("error") == "invalid_blocks"]
    assert refused and all("still being processed" in " ".join(c.response["errors"]) for c in refused)
    assert len({c.params["channel"] for c in refused}) == 1  # one reply waited for the processing, not each
    for channel in names:
        assert len(chart_replies(bot, channel)) == 1


def test_a_channel_that_refuses_the_shared_chart_gets_it_uploaded_into_its_thread(bot: BotUnderTest) -> None:
    [shown] = channels(bot, "C_SHOWN")
    [connect] = channels(bot, "C_CONNECT", refusing=True)
    for channel in (shown, connect):
        make_subscription(bot, channel)
    # the harness's waits: the refusing channel's reply may be the one that probes, then the refusal is
    # the channel's only after the last wait (3.9 s here, 32 s in production)
    result = run_round(bot.runtime.rounds, bot.runtime.store.subscriptions.active(), digest_date=TODAY)
    assert (result.posted, result.chart_uploads, result.chart_fallbacks) == (2, 1, 1), result
    assert len(chart_replies(bot, shown)) == 1 and chart_replies(bot, connect) == []
    [digest] = [m for m in bot.slack.messages_in(connect) if not m.get("thread_ts")]
    [private, in_thread] = sorted(bot.slack.files, key=lambda f: f.channel or "")
    assert private.channel is None and (in_thread.channel, in_thread.thread_ts) == (connect, digest["ts"])
    sub = bot.runtime.store.subscriptions.in_channel(connect)[0]
    [delivery] = bot.runtime.store.deliveries.of_subscription(sub.id)
    assert (delivery.status, delivery.file_id) == ("posted", in_thread.file_id)
    assert "invalid_blocks" in (delivery.detail or "")


def test_a_chart_uploaded_before_a_crash_is_shown_not_uploaded_again(bot: BotUnderTest) -> None:
    """The uploader died after writing the file id, before any reply: the next round shows that file."""
    names = channels(bot, "C_AFTER1", "C_AFTER2")
    subs = [make_subscription(bot, channel) for channel in names]
    rounds = bot.runtime.rounds
    digest_day = TODAY - timedelta(days=1)
    start = bot.braze.sends[(CAMPAIGN, SEND)].first_day
    key = ChartKey(Target(Kind.SEND, CAMPAIGN, SEND), start, digest_day)
    claim = bot.runtime.store.charts.claim(key, "dead", lease=timedelta(minutes=1))
    assert claim is not None
    early = bot.runtime.slack.files_getUploadURLExternal(filename="x.png", length=4)
    file_id = str(early["file_id"])
    urllib.request.urlopen(urllib.request.Request(str(early["upload_url"]), data=b"\x89PNG", method="POST")).read()
    bot.runtime.slack.files_completeUploadExternal(files=[{"id": file_id, "title": "x"}])
    assert bot.runtime.store.charts.record(claim.id, file_id) == file_id
    uploads = len(bot.slack.calls_to(UPLOAD))
    result = run_round(rounds, subs, digest_date=TODAY)
    assert (result.posted, result.chart_uploads) == (2, 0), result
    assert len(bot.slack.calls_to(UPLOAD)) == uploads
    assert [shown_file(r) for channel in names for r in chart_replies(bot, channel)] == [file_id, file_id]


def test_a_lapsed_chart_claim_is_taken_over(bot: BotUnderTest) -> None:
    """The uploader died before writing the file id: once its claim lapses, the next round uploads it."""
    [channel] = channels(bot, "C_LAPSED")
    sub = make_subscription(bot, channel)
    digest_day = TODAY - timedelta(days=1)
    start = bot.braze.sends[(CAMPAIGN, SEND)].first_day
    key = ChartKey(Target(Kind.SEND, CAMPAIGN, SEND), start, digest_day)
    lease = bot.runtime.rounds.keeper.lease
    assert bot.runtime.store.charts.claim(key, "dead", lease=lease, now=datetime.now(UTC) - 2 * lease) is not None
    result = run_round(bot.runtime.rounds, [sub], digest_date=TODAY)
    assert (result.posted, result.chart_uploads) == (1, 1), result
    assert len(chart_replies(bot, channel)) == 1
    resume_past_days(bot.runtime.rounds)
    assert len(bot.slack.calls_to(UPLOAD)) == 1


@pytest.mark.slow  # a lease heartbeat in real time
def test_a_live_uploaders_chart_claim_is_renewed_by_its_heartbeat(bot: BotUnderTest) -> None:
    """While a process uploads a chart, its heartbeat keeps the claim: another process cannot take it over
    (and upload a second copy) however long the upload takes; once dropped, the claim lapses."""
    store = bot.runtime.store
    key = ChartKey(Target(Kind.SEND, CAMPAIGN, SEND), TODAY - timedelta(days=5), TODAY - timedelta(days=1))
    keeper = LeaseKeeper(store.deliveries, lease_seconds=0.6, charts=store.charts)
    claim = store.charts.claim(key, keeper.holder, lease=keeper.lease)
    assert claim is not None
    keeper.hold_chart(claim.id)
    try:
        time.sleep(1.5)  # two and a half leases: only the heartbeat keeps it
        assert store.charts.claim(key, "other", lease=keeper.lease) is None
    finally:
        keeper.drop_chart(claim.id)
        keeper.close()
    time.sleep(1.0)
    assert store.charts.claim(key, "other", lease=keeper.lease) is not None
