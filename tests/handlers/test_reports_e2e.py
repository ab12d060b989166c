"""On-demand reports end to end: signed slash commands over HTTP, asserted on what the fakes received."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from fakes.braze import SERIES_PATH as SERIES
from fakes.signing import FORM, post_signed, slash_command_body
from tests.harness import (
    BOT_TOKEN,
    BRAZE_KEY,
    CAMPAIGN,
    SEND,
    SIGNING_SECRET,
    BotUnderTest,
    daily_charts,
    expected_totals,
    message_text,
    png_size,
)


def test_report_posts_numbers_then_chart_in_thread(bot: BotUnderTest) -> None:
    response = bot.command(f"{CAMPAIGN} {SEND}")
    assert response.status_code == 200
    assert "Fetching send" in response.json()["text"]

    post = bot.slack.wait_for("chat.postMessage")[0]
    complete = bot.slack.wait_for("files.completeUploadExternal")[0]
    bot.idle()

    text = message_text(post.params)
    totals = expected_totals(bot)
    push = expected_totals(bot, channels=("ios_push", "android_push"))
    email = expected_totals(bot, channels=("email",))
    assert f"*Sent {int(totals['sent']):,} messages*: push {int(push['sent']):,}, email {int(email['sent']):,}" in text
    assert f"delivered {int(push['delivered']):,}" in text  # push's own (email's delivered is email's)
    assert f"delivery rate {push['delivered'] / push['sent'] * 100:.1f}%" in text
    assert "delivery rate = delivered ÷ sent" in text  # the formula once, in the footer
    assert f"body clicks {int(push['body_clicks']):,}" in text
    assert f"unique opens {int(email['unique_opens']):,}" in text
    assert f"${totals['revenue']:,.2f}" in text  # Braze's per-day revenue, summed
    assert "Spring Sale" in text  # campaign name resolved through /campaigns/details
    assert post.params["channel"] == "C_PUBLIC"

    [share] = daily_charts(bot.slack.files)
    message_ts = post.response["ts"]
    assert share.channel == "C_PUBLIC" and share.thread_ts == message_ts
    width, height = png_size(share.content)
    assert width >= 800 and height >= 400
    assert complete.params["channel_id"] == "C_PUBLIC"

    [request] = bot.braze.series_requests()
    assert request.query == {"campaign_id": CAMPAIGN, "send_id": SEND, "length": "14"}
    assert request.headers["Authorization"] == f"Bearer {BRAZE_KEY}"


def test_days_and_until_reach_braze(bot: BotUnderTest) -> None:
    until = (datetime.now(UTC) - timedelta(days=1)).date()
    bot.command(f"{CAMPAIGN} {SEND} 7 until {until.isoformat()}")
    bot.slack.wait_for("chat.postMessage")
    bot.idle()
    [request] = bot.braze.series_requests()
    assert request.query["length"] == "7"
    assert request.query["ending_at"] == f"{until.isoformat()}T23:59:59+00:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{CAMPAIGN}", "needs both a campaign ID and a send ID"),
        (f"{CAMPAIGN} {SEND} 0", "1 to 100"),
        (f"{CAMPAIGN} {SEND} 101", "1 to 100"),
        (f"{CAMPAIGN} {SEND} 7.5", "not a number of days"),
        (f"{CAMPAIGN} {SEND} -3", "not a number of days"),
        (f"{CAMPAIGN} {SEND} 7 until 2026-02-30", "not a real date"),
        (f"{CAMPAIGN} {SEND} 7 until 30/01/2026", "YYYY-MM-DD"),
        (f"{CAMPAIGN} {SEND} 7 until", "needs a date"),
        (f"{CAMPAIGN} {SEND} 7 until 2999-01-01", "in the future"),
        (f"{CAMPAIGN} {SEND} 7 extra", "at the end"),
        (f"{'x' * 65} {SEND}", "at most 64"),
        (f"kampagne-ü {SEND}", "not a Braze ID"),
        (f"<@U123> {SEND}", "not a Braze ID"),
        ("subscribe", "needs a campaign ID"),
        ("list extra", "takes no arguments"),
    ],
)
def test_malformed_commands_get_usage_and_never_reach_braze(bot: BotUnderTest, text: str, expected: str) -> None:
    response = bot.command(text)
    assert response.status_code == 200
    reply = response.json()["text"]
    assert expected in reply
    assert "Usage:" in reply and "For example:" in reply
    bot.idle()
    assert bot.braze.requests == []
    assert bot.slack.calls_to("chat.postMessage") == []


def test_echoed_text_cannot_mention_the_channel(bot: BotUnderTest) -> None:
    reply = bot.command(f"<!channel> {SEND}").json()["text"]
    assert "<!channel>" not in reply and "&lt;!channel&gt;" in reply
    reply = bot.command(f"{CAMPAIGN} {SEND} @here").json()["text"]
    assert "@here" not in reply


@pytest.mark.parametrize("text", ["help", "HELP"])
def test_help_lists_every_command(bot: BotUnderTest, text: str) -> None:
    body = bot.command(text).json()
    shown = body["blocks"][0]["text"]["text"]
    words = ("subscribe", "unsubscribe", "list", "@sendstats", "days", "find", "`/sendstats` alone\n  Opens a form")
    for word in words:
        assert word in shown
    assert bot.braze.requests == []


def test_forged_signature_is_rejected_before_braze(bot: BotUnderTest) -> None:
    body = slash_command_body(f"{CAMPAIGN} {SEND}")
    response = post_signed(f"{bot.url}/slack/events", body, "not-the-secret", FORM)
    assert response.status_code == 401
    tampered = post_signed(
        f"{bot.url}/slack/events", body, SIGNING_SECRET, FORM, extra_headers={"X-Slack-Signature": "v0=" + "0" * 64}
    )
    assert tampered.status_code == 401
    time.sleep(0.2)
    assert bot.braze.requests == [] and bot.slack.calls_to("chat.postMessage") == []


def test_replayed_request_older_than_five_minutes_is_rejected(bot: BotUnderTest) -> None:
    body = slash_command_body(f"{CAMPAIGN} {SEND}")
    old = int(time.time()) - 301
    response = post_signed(f"{bot.url}/slack/events", body, SIGNING_SECRET, FORM, timestamp=old)
    assert response.status_code == 401
    time.sleep(0.2)
    assert bot.braze.requests == []


def private_reply(bot: BotUnderTest, url: str) -> str:
    bot.idle()
    replies = bot.slack.responses.get(url, [])
    assert replies, "nothing was sent to the response_url"
    assert all(r.get("response_type") == "ephemeral" for r in replies)
    return "\n".join(message_text(r) for r in replies)


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (400, {"message": "Invalid send_id"}, {}, "rejected the request (HTTP 400): Invalid send_id"),
        (401, {"message": "Invalid API key"}, {}, "whoever runs sendstats"),
        (403, {"message": "Access Denied"}, {}, "`sends.data_series` permission"),
        (403, {"message": "Forbidden"}, {}, "your Braze plan does not include it"),
        (404, "<html>not found</html>", {}, "not pointed at Braze's REST API"),
        (200, "<html>login</html>", {}, "not JSON"),
        (200, {"message": "Something odd"}, {}, "Braze answered: Something odd"),
        (503, {"message": "down"}, {}, "having trouble (HTTP 503)"),
        (429, {"message": "rate limited"}, {"X-RateLimit-Reset": "TOMORROW"}, "hourly API budget"),
    ],
)
def test_braze_failures_are_explained_privately(
    bot: BotUnderTest, status: int, body: object, headers: dict[str, str], expected: str
) -> None:
    if headers.get("X-RateLimit-Reset") == "TOMORROW":
        headers = {"X-RateLimit-Reset": str(int(time.time()) + 86_400)}
    bot.braze.fail_next(status, body, headers=headers, times=10, path=SERIES)
    url = bot.slack.new_response_url()
    bot.command(f"{CAMPAIGN} {SEND}", response_url=url)
    text = private_reply(bot, url)
    assert expected in text
    if status in (401, 404):  # the operator's detail (host, setting) goes to the log only
        assert "127.0.0.1" not in text and "BRAZE_REST_ENDPOINT" not in text
    assert bot.slack.calls_to("chat.postMessage") == []  # the channel is not spammed with errors
    assert BRAZE_KEY not in text


def test_unknown_ids_or_expired_send_say_so(bot: BotUnderTest) -> None:
    url = bot.slack.new_response_url()
    bot.command(f"{CAMPAIGN} other-send", response_url=url)
    text = private_reply(bot, url)
    assert "no data" in text and "14-day" in text


def test_transient_5xx_is_retried_then_reported(bot: BotUnderTest) -> None:
    bot.braze.fail_next(502, {"message": "bad gateway"}, times=2, path=SERIES)
    bot.command(f"{CAMPAIGN} {SEND}")
    bot.slack.wait_for("files.completeUploadExternal")
    bot.idle()
    assert len(bot.braze.series_requests()) == 3


@pytest.mark.slow
def test_429_waits_for_rate_limit_reset(bot: BotUnderTest) -> None:
    reset = int(time.time()) + 2  # Braze sends whole epoch seconds
    bot.braze.fail_next(429, {"message": "rate limited"}, headers={"X-RateLimit-Reset": str(reset)}, path=SERIES)
    bot.command(f"{CAMPAIGN} {SEND}")
    bot.slack.wait_for("chat.postMessage")
    bot.idle()
    _first, second = bot.braze.series_requests()
    assert second.at >= reset - 0.05, "retried before X-RateLimit-Reset"


@pytest.mark.slow  # Slack's Retry-After in real time
def test_slack_429_on_post_is_retried(bot: BotUnderTest) -> None:
    bot.slack.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    bot.command(f"{CAMPAIGN} {SEND}")
    bot.slack.wait_for("files.completeUploadExternal", timeout=15)
    bot.idle()
    calls = bot.slack.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 1.0, "retried before Retry-After"
    assert len(bot.slack.messages_in("C_PUBLIC")) >= 1


def test_a_public_channel_without_the_bot_is_joined_for_a_report_asked_there(bot: BotUnderTest) -> None:
    bot.command(f"{CAMPAIGN} {SEND}", channel_id="C_NOTMEMBER")
    bot.slack.wait_for("files.completeUploadExternal")
    bot.idle()
    posts = bot.slack.calls_to("chat.postMessage")
    assert [c.response["ok"] for c in posts] == [False, True]  # not_in_channel, then joined and posted
    assert len(bot.slack.calls_to("conversations.join")) == 1
    [share] = daily_charts(bot.slack.files)
    assert share.channel == "C_NOTMEMBER"


def test_an_install_still_holding_chat_write_public_joins_for_the_chart(bot: BotUnderTest) -> None:
    bot.slack.chat_write_public = True  # an install made from an older manifest
    try:
        bot.command(f"{CAMPAIGN} {SEND}", channel_id="C_NOTMEMBER")
        bot.slack.wait_for("files.completeUploadExternal", count=2)
        bot.idle()
    finally:
        bot.slack.chat_write_public = False
    assert [c.response["ok"] for c in bot.slack.calls_to("chat.postMessage")] == [True]
    assert [c.response.get("error") for c in bot.slack.calls_to("files.completeUploadExternal")] == [
        "not_in_channel",
        None,
    ]
    assert len(bot.slack.calls_to("conversations.join")) == 1
    assert bot.slack.files[-1].channel == "C_NOTMEMBER"


@pytest.mark.parametrize("channel", ["G_PRIVATE", "D_USER"])
def test_private_conversation_gets_invite_hint_and_summary_privately(bot: BotUnderTest, channel: str) -> None:
    url = bot.slack.new_response_url()
    bot.command(f"{CAMPAIGN} {SEND}", channel_id=channel, response_url=url)
    text = private_reply(bot, url)
    assert "/invite @sendstats" in text
    assert f"{int(expected_totals(bot)['sent']):,}" in text  # the summary itself, privately
    assert bot.slack.files == []


def test_archived_channel_is_explained(bot: BotUnderTest) -> None:
    url = bot.slack.new_response_url()
    bot.command(f"{CAMPAIGN} {SEND}", channel_id="C_ARCHIVED", response_url=url)
    text = private_reply(bot, url)
    assert "/invite" in text or "archived" in text


def test_no_secret_reaches_slack_or_logs(bot: BotUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    bot.braze.fail_next(401, {"message": "Invalid API key"}, path=SERIES)
    bot.command(f"{CAMPAIGN} {SEND}")
    bot.command(f"{CAMPAIGN} {SEND}")
    bot.slack.wait_for("files.completeUploadExternal")
    bot.idle()
    seen = [c.body.decode("utf-8", "replace") for c in bot.slack.calls]
    seen += [str(r) for replies in bot.slack.responses.values() for r in replies]
    seen += [r.getMessage() for r in caplog.records]
    for secret in (BRAZE_KEY, SIGNING_SECRET):
        assert not any(secret in s for s in seen)
    # the bot token is supposed to reach Slack's API as Authorization, and nowhere else
    assert not any(BOT_TOKEN in c.body.decode("utf-8", "replace") for c in bot.slack.calls)


def test_healthz_is_ready(bot: BotUnderTest) -> None:
    import httpx

    assert httpx.get(f"{bot.url}/healthz").status_code == 200
    assert httpx.get(f"{bot.url}/nope").status_code == 404
