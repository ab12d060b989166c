"""Under Slack's rate limits: the Slack fake's tier mode on, asserted on what Slack (the fake) received."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from slack_sdk.errors import SlackApiError

from digests.round import run_round
from fakes.signing import FORM, block_action_body, block_actions_payload, post_signed
from fakes.slack import SlackFake, TierLimits
from handlers.adapter.ratelimit import PacedWebClient
from reports import deadline
from tests.harness import CAMPAIGN, SEND, SIGNING_SECRET, BotUnderTest, make_subscription, message_text

#: Slack's tier mode makes these wait as Slack would (rounds paced to Tier 4): left out by ``-m "not slow"``.
pytestmark = pytest.mark.slow


@pytest.fixture
def tiered(bot: BotUnderTest) -> Iterator[BotUnderTest]:
    """The bot against a Slack fake enforcing Slack's tiers; turned off again afterwards."""
    bot.slack.enable_tiers()
    try:
        yield bot
        bot.idle(timeout=60)
    finally:
        bot.slack.disable_tiers()


def rerun(bot: BotUnderTest, n: int) -> None:
    value = json.dumps({"c": CAMPAIGN, "s": SEND, "d": 7})
    payload = block_actions_payload("sendstats_rerun_7", value=value, message_ts=f"1764400000.{n:06d}")
    post_signed(f"{bot.url}/slack/events", block_action_body(payload), SIGNING_SECRET, FORM)


def assert_each_report_has_its_chart(bot: BotUnderTest, count: int) -> None:
    posts = [c for c in bot.slack.calls_to("chat.postMessage") if c.status == 200]
    assert len(posts) == count
    threads = sorted(c.params["thread_ts"] for c in posts)
    assert threads == sorted(f"1764400000.{n:06d}" for n in range(count))  # each once, none lost
    # and each with its files (the chart, and the variants chart and CSV where there are variations), once:
    uploads = [(f.thread_ts, f.filename) for f in bot.slack.files]
    assert len(uploads) == len(set(uploads)) and sorted({thread for thread, _ in uploads}) == threads
    assert sorted(thread for thread, name in uploads if name.endswith(".png") and "variants" not in name) == threads


def test_a_report_burst_in_one_channel_is_paced_before_slack_says_no(tiered: BotUnderTest) -> None:
    for n in range(8):
        rerun(tiered, n)
    tiered.slack.wait_for("files.completeUploadExternal", count=8, timeout=60)
    tiered.idle(timeout=60)
    assert_each_report_has_its_chart(tiered, 8)
    assert tiered.slack.rate_limited_share()[0] == 0  # the bot's buckets kept under the fake's


def test_a_stricter_slack_costs_429s_but_loses_nothing(bot: BotUnderTest) -> None:
    """Slack's bursts are smaller than the bot assumes: its 429s are waited out, whole buckets held."""
    bot.slack.enable_tiers(TierLimits(tiers={4: (100 / 60, 2), 3: (50 / 60, 2), 2: (20 / 60, 2)}, post_burst=2))
    try:
        for n in range(6):
            rerun(bot, n)
        bot.slack.wait_for("files.completeUploadExternal", count=6, timeout=60)
        bot.idle(timeout=60)
        assert_each_report_has_its_chart(bot, 6)
        refused, _ = bot.slack.rate_limited_share()
        assert refused > 0  # Slack did say no, and it cost nothing but time
        assert not [m for m in bot.slack.messages_in("C_PUBLIC") if "could not be attached" in m.get("text", "")]
    finally:
        bot.slack.disable_tiers()


def test_a_tiered_digest_round_posts_every_digest_once_with_its_chart(tiered: BotUnderTest) -> None:
    channels = [f"C_TIER{n:02d}" for n in range(24)]  # more uploads than the Tier 4 burst
    for channel in channels:
        tiered.slack.add_channel(channel)
        make_subscription(tiered, channel)
    today = datetime.now(UTC).date()
    result = run_round(tiered.runtime.rounds, tiered.runtime.store.subscriptions.active(), digest_date=today)
    assert (result.posted, result.failed) == (24, 0)
    sent = [c for c in tiered.slack.calls_to("chat.postMessage") if c.status == 200]
    replies = [c for c in sent if (c.params.get("metadata") or {}).get("event_type") == "sendstats_chart"]
    posts = [c for c in sent if c not in replies]
    assert sorted(c.params["channel"] for c in posts) == channels  # once each
    assert sorted((c.params["channel"], c.params["thread_ts"]) for c in replies) == sorted(
        (c.params["channel"], c.response["ts"]) for c in posts
    )  # each with its chart, in its thread
    assert len(tiered.slack.files) == 1  # one send, one day: one chart, uploaded once and shown 24 times
    assert tiered.slack.rate_limited_share()[0] == 0


def test_a_chart_that_cannot_wait_long_enough_is_explained_and_the_summary_is_not_reposted(
    bot: BotUnderTest,
) -> None:
    bot.runtime.deps.delivery.patience = 0.5  # less than Slack's Retry-After
    try:
        bot.slack.fail_next("files.getUploadURLExternal", "ratelimited", retry_after=2, times=3)
        bot.command(f"{CAMPAIGN} {SEND}")
        bot.slack.wait_for("chat.postMessage", count=2, timeout=15)
        bot.idle()
    finally:
        bot.runtime.deps.delivery.patience = 600.0
    summary, note = bot.slack.messages_in("C_PUBLIC")
    assert "thread" in message_text(summary)
    assert note["thread_ts"] == summary["ts"] and "rate-limiting" in note["text"]
    assert bot.slack.files == []
    assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 1  # no retry past the deadline


def test_the_client_holds_the_whole_bucket_for_retry_after(slack_fake: SlackFake) -> None:
    """A 429 on one call holds its method's bucket (the calls behind it wait too) and the call is retried."""
    slack_fake.reset()
    client = PacedWebClient(token=slack_fake.token, base_url=slack_fake.base_url)
    slack_fake.fail_next("users.info", "ratelimited", retry_after=1)
    with deadline.within(30):
        zones = [client.users_info(user=f"U{n}")["user"]["tz"] for n in range(3)]
    assert len(zones) == 3
    assert [c.status for c in slack_fake.calls_to("users.info")] == [429, 200, 200, 200]
    assert client.rate_limited == 1
    bucket = client.limits._buckets[(client._workspace, "users.info")]
    assert bucket.holds == 1  # the bucket, not just the call, was held for Retry-After


def test_a_429_past_the_callers_deadline_is_the_callers_error(slack_fake: SlackFake) -> None:
    slack_fake.reset()
    client = PacedWebClient(token=slack_fake.token, base_url=slack_fake.base_url)
    slack_fake.fail_next("views.publish", "ratelimited", retry_after=5)
    with deadline.within(1), pytest.raises(SlackApiError) as raised:
        client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert raised.value.response["error"] == "ratelimited"
    assert len(slack_fake.calls_to("views.publish")) == 1
