"""Mentions in threads, Slack event retries, report/digest buttons, App Home (pacing: test_rate_limits.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from digests.round import run_round
from digests.schedule import next_digest
from fakes.signing import FORM, block_action_body, block_actions_payload, post_signed
from tests.harness import (
    CAMPAIGN,
    SEND,
    SIGNING_SECRET,
    BotUnderTest,
    daily_charts,
    expected_totals,
    make_subscription,
    message_text,
    png_size,
)


def mention(text: str, *, ts: str = "1764400000.000100", thread_ts: str | None = None) -> dict:
    event = {"type": "app_mention", "user": "U1", "text": f"<@UBOT> {text}", "ts": ts, "channel": "C_PUBLIC"}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def test_mention_in_thread_answers_in_that_thread(bot: BotUnderTest) -> None:
    response = bot.event(mention(f"{CAMPAIGN} {SEND} 7", ts="1764400001.000200", thread_ts="1764400000.000100"))
    assert response.status_code == 200
    post = bot.slack.wait_for("chat.postMessage")[0]
    bot.slack.wait_for("files.completeUploadExternal")
    bot.idle()
    assert post.params["thread_ts"] == "1764400000.000100"
    assert f"{int(expected_totals(bot, days=7)['sent']):,}" in message_text(post.params)
    [share] = daily_charts(bot.slack.files)
    assert share.thread_ts == "1764400000.000100" and png_size(share.content)[0] >= 800
    assert bot.braze.series_requests()[0].query["length"] == "7"


def test_top_level_mention_starts_a_thread_under_it(bot: BotUnderTest) -> None:
    bot.event(mention(f"{CAMPAIGN} {SEND}", ts="1764400100.000100"))
    post = bot.slack.wait_for("chat.postMessage")[0]
    bot.slack.wait_for("files.completeUploadExternal")
    bot.idle()
    assert post.params["thread_ts"] == "1764400100.000100"
    assert daily_charts(bot.slack.files)[0].thread_ts == "1764400100.000100"


@pytest.mark.parametrize("text", [f"{CAMPAIGN}", f"{CAMPAIGN} {SEND} 500", "subscribe x y"])
def test_invalid_mention_gets_usage_in_the_thread(bot: BotUnderTest, text: str) -> None:
    bot.event(mention(text, ts="1764400200.000100", thread_ts="1764400150.000100"))
    post = bot.slack.wait_for("chat.postMessage")[0]
    bot.idle()
    assert post.params["thread_ts"] == "1764400150.000100"
    assert "@sendstats" in post.params["text"] or "/sendstats subscribe" in post.params["text"]
    assert bot.braze.requests == []


def test_retried_event_never_posts_twice(bot: BotUnderTest) -> None:
    event = mention(f"{CAMPAIGN} {SEND}", ts="1764400300.000100")
    assert bot.event(event, event_id="EvRETRY1").status_code == 200
    bot.slack.wait_for("files.completeUploadExternal")
    for retry in ("1", "2"):
        headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"}
        assert bot.event(event, event_id="EvRETRY1", headers=headers).status_code == 200
    bot.idle()
    assert len(bot.slack.calls_to("chat.postMessage")) == 1
    assert len(bot.braze.series_requests()) == 1


def press(bot: BotUnderTest, action_id: str, value: str, *, channel: str = "C_PUBLIC", message_ts: str) -> str:
    url = bot.slack.new_response_url()
    payload = block_actions_payload(action_id, value=value, channel_id=channel, message_ts=message_ts, response_url=url)
    response = post_signed(f"{bot.url}/slack/events", block_action_body(payload), SIGNING_SECRET, FORM)
    assert response.status_code == 200
    bot.idle()
    return url


def report_buttons(bot: BotUnderTest) -> tuple[str, dict[str, dict]]:
    """Run a report; return its message ts and its buttons by action_id."""
    bot.command(f"{CAMPAIGN} {SEND}")
    post = bot.slack.wait_for("chat.postMessage")[0]
    bot.slack.wait_for("files.completeUploadExternal")
    bot.idle()
    [actions] = [b for b in post.params["blocks"] if b["type"] == "actions"]
    return post.response["ts"], {e["action_id"]: e for e in actions["elements"]}


def test_rerun_buttons_post_new_range_in_report_thread(bot: BotUnderTest) -> None:
    ts, buttons = report_buttons(bot)
    assert set(buttons) == {"sendstats_rerun_7", "sendstats_rerun_14", "sendstats_rerun_30", "sendstats_subscribe"}
    bot.slack.reset()
    bot.braze.reset()
    press(bot, "sendstats_rerun_30", buttons["sendstats_rerun_30"]["value"], message_ts=ts)
    bot.slack.wait_for("files.completeUploadExternal")
    [post] = bot.slack.calls_to("chat.postMessage")
    assert post.params["thread_ts"] == ts and bot.slack.files[0].thread_ts == ts
    assert bot.braze.series_requests()[0].query["length"] == "30"


def test_forged_button_is_rejected(bot: BotUnderTest) -> None:
    payload = block_actions_payload("sendstats_rerun_7", value=json.dumps({"c": CAMPAIGN, "s": SEND, "d": 7}))
    response = post_signed(f"{bot.url}/slack/events", block_action_body(payload), "wrong-secret", FORM)
    assert response.status_code == 401
    bot.idle()
    assert bot.braze.requests == []


def test_tampered_button_value_gets_an_explanation_not_a_crash(bot: BotUnderTest) -> None:
    url = press(bot, "sendstats_rerun_7", '{"c": "<!channel>", "s": "x", "d": 7}', message_ts="1764400000.000100")
    assert "out of date" in str(bot.slack.responses[url])
    assert bot.braze.requests == []


def test_subscribe_button_subscribes_the_channel(bot: BotUnderTest) -> None:
    ts, buttons = report_buttons(bot)
    press(bot, "sendstats_subscribe", buttons["sendstats_subscribe"]["value"], message_ts=ts)
    [sub] = bot.runtime.store.subscriptions.active()
    assert (sub.channel_id, sub.object_id, sub.send_id) == ("C_PUBLIC", CAMPAIGN, SEND)
    confirmations = [c for c in bot.slack.calls_to("chat.postMessage") if "daily digest" in c.params.get("text", "")]
    assert len(confirmations) == 1


def test_unsubscribe_button_on_digest(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC")
    run_round(bot.runtime.rounds, bot.runtime.store.subscriptions.active(), digest_date=datetime.now(UTC).date())
    post = bot.slack.calls_to("chat.postMessage")[0]
    [actions] = [b for b in post.params["blocks"] if b["type"] == "actions"]
    button = {e["action_id"]: e for e in actions["elements"]}["sendstats_unsubscribe"]
    url = press(bot, "sendstats_unsubscribe", button["value"], message_ts=post.response["ts"])
    assert "Unsubscribed" in str(bot.slack.responses[url])
    assert bot.runtime.store.subscriptions.get(sub.id).status == "cancelled"


def test_button_in_channel_bot_cannot_post_to_explains_privately(bot: BotUnderTest) -> None:
    value = json.dumps({"c": CAMPAIGN, "s": SEND, "d": 7})
    url = press(bot, "sendstats_rerun_7", value, channel="G_PRIVATE", message_ts="1764400000.000100")
    replies = bot.slack.responses[url]
    assert all(r["response_type"] == "ephemeral" for r in replies)
    assert "/invite @sendstats" in str(replies)


def test_app_home_lists_users_digests_with_next_time(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC")
    response = bot.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    assert response.status_code == 200
    [call] = bot.slack.wait_for("views.publish")
    assert call.params["user_id"] == "U1"
    text = json.dumps(call.params["view"])
    upcoming = next_digest(sub, datetime.now(UTC))
    assert upcoming is not None
    assert f"#{sub.id}" in text and f"{upcoming:%a %b %d, %H:%M} UTC" in text and "subscribe" in text


def test_next_digest_time_respects_window_and_last_digest() -> None:
    from digests.records import Subscription

    now = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    base = dict(
        id=1,
        team_id="T",
        channel_id="C",
        object_id="c",
        send_id="s",
        hour=9,
        minute=0,
        timezone="Europe/Berlin",
        created_by="U",
        created_at=now - timedelta(days=3),
        first_day=now.date() - timedelta(days=4),
        ends_on=now.date() + timedelta(days=2),
        status="active",
        status_reason=None,
        last_digest_on=None,
    )
    sub = Subscription(**base)
    assert next_digest(sub, now) == datetime(2026, 3, 6, 9, 0, tzinfo=sub_zone(sub))
    assert next_digest(Subscription(**{**base, "ends_on": now.date()}), now) is None
    assert next_digest(Subscription(**{**base, "status": "ended"}), now) is None


def sub_zone(sub):
    from zoneinfo import ZoneInfo

    return ZoneInfo(sub.timezone)
