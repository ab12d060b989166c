"""Where people removed the bot, it stays out: the Slack fake removes it as Slack does (``/remove
@sendstats``: the member flag goes, and the app gets ``channel_left`` or ``group_left``, signed, at its
Request URL), and the running bot is judged by what the fake received."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from digests.round import run_round
from fakes.settings import SIGNING_SECRET
from fakes.signing import JSON as JSON_CONTENT
from fakes.signing import event_body, post_signed
from handlers.flows.removal import REMOVED
from tests.harness import CAMPAIGN, SEND, BotUnderTest, make_subscription, message_text

TODAY = datetime.now(UTC).date()


def dms(bot: BotUnderTest, user: str = "U1") -> list[str]:
    return [message_text(m) for m in bot.slack.messages_in(f"D{user}")]


def wait_for_dms(bot: BotUnderTest, count: int, user: str = "U1") -> list[str]:
    bot.slack.wait_for("chat.postMessage", count=count)
    bot.idle()
    return dms(bot, user)


def channel_of(bot: BotUnderTest, kind: str) -> str:
    if kind == "public":
        return "C_PUBLIC"
    bot.slack.add_channel("G_TEAM", kind="private", member=True)  # a private channel the bot was invited to
    return "G_TEAM"


@pytest.mark.parametrize("kind", ["public", "private"])
def test_removing_the_bot_pauses_the_channels_digests_at_once_and_tells_each_subscriber(
    bot: BotUnderTest, kind: str
) -> None:
    channel = channel_of(bot, kind)
    bot.slack.send_events_to(f"{bot.url}/slack/events", SIGNING_SECRET)
    mine = make_subscription(bot, channel)
    store = bot.runtime.store.subscriptions
    theirs, _ = store.upsert(
        team_id="T1", channel_id=channel, kind="campaign", object_id=CAMPAIGN, send_id="", hour=7, minute=30,
        timezone="Europe/Berlin", created_by="U2", first_day=mine.first_day, ends_on=mine.ends_on,
    )
    bot.slack.add_channel("C_OTHER")
    elsewhere = make_subscription(bot, "C_OTHER")

    [sent] = bot.slack.remove_bot(channel, by="U3")
    assert sent["event"]["type"] == ("channel_left" if kind == "public" else "group_left")
    bot.slack.wait_for("chat.postMessage", count=2)
    bot.idle()

    assert {s.id: (s.status, s.status_reason) for s in map(store.get, (mine.id, theirs.id))} == {
        mine.id: ("paused", REMOVED),
        theirs.id: ("paused", REMOVED),
    }
    assert store.get(elsewhere.id).status == "active"  # type: ignore[union-attr] (another channel: untouched)
    [to_me] = dms(bot, "U1")
    [to_them] = dms(bot, "U2")
    assert "<@U3> removed me from the channel." in to_me
    assert f"`/sendstats subscribe {CAMPAIGN} {SEND} at 09:00 UTC`" in to_me
    assert f"`/sendstats subscribe campaign {CAMPAIGN} at 07:30 Europe/Berlin`" in to_them
    assert f"<#{channel}>" in to_me and "/invite @sendstats" in to_me

    # the next digests: nothing in the channel, no join, nobody told twice
    result = run_round(bot.runtime.rounds, [*store.in_channel(channel, include_inactive=True)], digest_date=TODAY)
    assert result.posted == 0
    assert bot.slack.messages_in(channel) == []
    assert bot.slack.calls_to("conversations.join") == []
    assert len(dms(bot, "U1")) == 1 and len(dms(bot, "U2")) == 1


def test_slacks_retry_of_the_removal_event_tells_nobody_twice(bot: BotUnderTest) -> None:
    bot.slack.send_events_to(f"{bot.url}/slack/events", SIGNING_SECRET)
    sub = make_subscription(bot, "C_PUBLIC")
    [sent] = bot.slack.remove_bot("C_PUBLIC", by="U3")
    assert len(wait_for_dms(bot, 1)) == 1
    again = post_signed(
        f"{bot.url}/slack/events", event_body(sent["event"], event_id=sent["event_id"]), SIGNING_SECRET, JSON_CONTENT,
        extra_headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert again.status_code == 200
    bot.idle()
    assert len(dms(bot)) == 1
    assert bot.runtime.store.subscriptions.get(sub.id).status == "paused"  # type: ignore[union-attr]


def test_member_left_channel_pauses_only_when_it_names_the_bot(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC")
    left = {"type": "member_left_channel", "channel": "C_PUBLIC", "channel_type": "C", "team": "T1"}
    assert bot.event({**left, "user": "U7"}).status_code == 200  # someone else left
    bot.idle()
    assert bot.runtime.store.subscriptions.get(sub.id).status == "active"  # type: ignore[union-attr]
    bot.slack.channels["C_PUBLIC"].member = False
    assert bot.event({**left, "user": "UBOT"}).status_code == 200
    [told] = wait_for_dms(bot, 1)
    assert "I was removed from the channel." in told
    assert bot.runtime.store.subscriptions.get(sub.id).status == "paused"  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["public", "private"])
def test_a_removal_nobody_reported_pauses_the_digest_when_it_finds_the_channel_closed(
    bot: BotUnderTest, kind: str
) -> None:
    """The event never came (the database was out for Slack's every retry): the digest itself finds the
    channel closed to the bot, public and private alike, and pauses without joining."""
    channel = channel_of(bot, kind)
    sub = make_subscription(bot, channel)
    bot.slack.channels[channel].member = False  # removed, and no event reached the bot
    result = run_round(bot.runtime.rounds, [sub], digest_date=TODAY)
    assert (result.posted, result.paused) == (0, 1)
    assert bot.slack.messages_in(channel) == [] and bot.slack.calls_to("conversations.join") == []
    assert bot.runtime.store.subscriptions.get(sub.id).status == "paused"  # type: ignore[union-attr]
    [told] = dms(bot)
    assert f"`/sendstats subscribe {CAMPAIGN} {SEND} at 09:00 UTC`" in told


@pytest.mark.parametrize("shared", [True, False], ids=["one upload per chart", "per-channel upload"])
def test_an_install_still_holding_chat_write_public_never_joins(bot: BotUnderTest, shared: bool) -> None:
    """An install made from an older manifest can still post where it is not a member. With one upload per
    chart, the digest and its chart reply are both posts, which the scope allows: they go out, and nothing
    joins (only the ``channel_left`` event pauses it, above). With the upload into the thread (files need
    membership), the chart finds the channel closed: the bot pauses instead of joining, and says nothing
    more in the channel."""
    bot.slack.chat_write_public = True
    rounds = replace(bot.runtime.rounds, shared_charts=shared)
    try:
        sub = make_subscription(bot, "C_PUBLIC")
        bot.slack.channels["C_PUBLIC"].member = False
        run_round(rounds, [sub], digest_date=TODAY)
    finally:
        bot.slack.chat_write_public = False
    assert bot.slack.calls_to("conversations.join") == []
    status = bot.runtime.store.subscriptions.get(sub.id).status  # type: ignore[union-attr]
    if shared:
        assert len(bot.slack.messages_in("C_PUBLIC")) == 2 and status == "active" and dms(bot) == []
        return
    assert len(bot.slack.messages_in("C_PUBLIC")) == 1  # the message went out (the scope allowed it)
    assert bot.slack.files == [] and status == "paused"
    assert len(dms(bot)) == 1


def test_the_resume_command_asked_in_the_channel_brings_the_bot_back(bot: BotUnderTest) -> None:
    bot.slack.send_events_to(f"{bot.url}/slack/events", SIGNING_SECRET)
    sub = make_subscription(bot, "C_PUBLIC")
    bot.slack.remove_bot("C_PUBLIC", by="U3")
    [told] = wait_for_dms(bot, 1)
    command = told.split("run `/sendstats ", 1)[1].split("`", 1)[0]
    bot.command(command, channel_id="C_PUBLIC", user_id="U1")
    bot.idle()
    assert len(bot.slack.calls_to("conversations.join")) == 1  # asked for there: it may join
    resumed = bot.runtime.store.subscriptions.get(sub.id)
    assert resumed is not None and resumed.status == "active" and (resumed.hour, resumed.timezone) == (9, "UTC")
    assert run_round(bot.runtime.rounds, [resumed], digest_date=TODAY).posted == 1
