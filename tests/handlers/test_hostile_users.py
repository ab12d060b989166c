"""Hostile input and awkward data through the real endpoint: time zones, dates, names, reused send IDs,
expired ``response_url``s, a locked database, App Home overflow, labels and digest day counts."""

from __future__ import annotations

import sqlite3
import threading
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest

from digests.round import run_round
from tests.harness import CAMPAIGN, SEND, BotUnderTest, make_subscription, message_text


def ephemeral_ack(bot: BotUnderTest, text: str, **kwargs: str) -> str:
    response = bot.command(text, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["text"]


@pytest.mark.parametrize("zone", ["Europe", "America", "Asia", "x" * 300, "../../../etc/passwd", "Europe/"])
def test_region_or_junk_time_zone_is_a_usage_line(bot: BotUnderTest, zone: str) -> None:
    text = ephemeral_ack(bot, f"subscribe a b at 09:00 {zone}")
    assert "is not a time zone I know" in text and "Usage:" in text
    bot.event(
        {"type": "app_mention", "user": "U1", "channel": "C_PUBLIC", "ts": "1764400000.000200",
         "text": f"<@UBOT> subscribe a b at 09:00 {zone}"}
    )
    [reply] = bot.slack.wait_for("chat.postMessage", timeout=10)
    assert reply.params["thread_ts"] == "1764400000.000200"  # the mention form answers too (slash-only)


def test_until_far_in_the_past_is_a_usage_line(bot: BotUnderTest) -> None:
    text = ephemeral_ack(bot, "a b 100 until 0001-01-03")
    assert "reaches back before 2000" in text and "Usage:" in text
    bot.idle()
    assert bot.braze.requests == []


def test_expired_response_url_errors_go_ephemeral_never_to_the_channel(bot: BotUnderTest) -> None:
    url = bot.slack.new_response_url()
    bot.slack.expire_response_url(url)
    bot.braze.fail_next(400, {"message": "Invalid send_id"}, path="/sends/data_series")
    bot.command(f"{CAMPAIGN} {SEND} 7", response_url=url)
    bot.idle()
    [private] = bot.slack.ephemerals
    assert private["user"] == "U1" and private["channel"] == "C_PUBLIC" and "Invalid send_id" in private["text"]
    assert bot.slack.messages_in("C_PUBLIC") == []


def test_expired_response_url_where_the_bot_cannot_post_falls_back_to_a_dm(bot: BotUnderTest) -> None:
    url = bot.slack.new_response_url()
    bot.slack.expire_response_url(url)
    bot.braze.fail_next(400, {"message": "Invalid send_id"}, path="/sends/data_series")
    bot.command(f"{CAMPAIGN} {SEND} 7", channel_id="G_PRIVATE", response_url=url)
    bot.idle()
    [dm] = bot.slack.messages_in("DU1")
    assert "Invalid send_id" in dm["text"]
    assert bot.slack.messages_in("G_PRIVATE") == [] and bot.slack.messages_in("C_PUBLIC") == []


def test_hostile_variation_names_keep_one_line_each_and_stay_distinguishable(bot: BotUnderTest) -> None:
    names = ("two\nlines", "a&b<c>d", "x" * 20 + "1", "x" * 20 + "2", "x" * 10 + "MIDDLE-A" + "x" * 10,
             "x" * 10 + "MIDDLE-B" + "x" * 10, "日本語のバリエーション名")
    bot.braze.sends.clear()
    bot.braze.add_send(CAMPAIGN, SEND, days_ago=4, variations=names)
    bot.command(f"{CAMPAIGN} {SEND} 7")
    [post] = bot.slack.wait_for("chat.postMessage", timeout=30)
    texts = [b.get("text", {}).get("text", "") for b in post.params["blocks"]]
    [section] = [text for text in texts if "By variation" in text]
    lines = section.split("\n")
    shown = [line.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for line in lines]
    # names too long for a phone's table are lettered, each whole on one line of the legend below it
    legend = [line.split("* ", 1)[1] for line in shown if line[:1] == "*" and line[2:4] == "* "]
    assert len(legend) == len(names)  # a newline in a name never splits its line
    labels = legend
    assert sorted(labels) == sorted(" ".join(n.split()) for n in names), labels  # each distinguishable
    assert all(unicodedata.category(c)[0] != "C" for c in "".join(labels))  # no control characters
    bot.idle()


def test_app_home_says_how_many_more_and_how_to_see_them(bot: BotUnderTest) -> None:
    for n in range(45):
        bot.slack.add_channel(f"C_HOME{n:02d}") if f"C_HOME{n:02d}" not in bot.slack.channels else None
        make_subscription(bot, f"C_HOME{n:02d}")
    bot.event({"type": "app_home_opened", "user": "U1", "channel": "DU1", "tab": "home"})
    [publish] = bot.slack.wait_for("views.publish", timeout=10)
    text = message_text({"blocks": publish.params["view"]["blocks"]})
    assert "and 5 more digests" in text and "/sendstats list" in text
    assert len(publish.params["view"]["blocks"]) <= 100


def test_reused_send_id_keeps_its_real_data_inside_the_window(bot: BotUnderTest) -> None:
    bot.braze.sends.clear()
    bot.braze.add_send(CAMPAIGN, SEND, days_ago=99, resend_every=7)  # data on all 100 days
    bot.command(f"{CAMPAIGN} {SEND} 100")
    [post] = bot.slack.wait_for("chat.postMessage", timeout=30)
    text = message_text(post.params)
    assert "used for several sends" in text and "100 with data" in text
    url = bot.slack.new_response_url()
    bot.command(f"subscribe {CAMPAIGN} {SEND}", response_url=url)
    bot.idle()
    [sub] = bot.runtime.store.subscriptions.in_channel("C_PUBLIC")
    today = datetime.now(UTC).date()
    # Before: the window was taken as "first day of the last 15 + 14" = today, so one digest at most.
    assert sub.ends_on >= today + timedelta(days=2)


def test_conversion_events_carry_brazes_names_and_letters(bot: BotUnderTest) -> None:
    bot.command(f"{CAMPAIGN} {SEND} 7")
    [post] = bot.slack.wait_for("chat.postMessage", timeout=30)
    text = message_text(post.params)
    # the sample campaign's details name events A and B (/campaigns/details → conversion_behaviors)
    assert "Performs custom event: Used Feline Body Armor (B): " in text and "event 1" not in text
    bot.idle()


def test_final_digest_counts_the_send_day_plus_14(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC", created=datetime.now(UTC) - timedelta(days=10))
    run_round(bot.runtime.rounds, bot.runtime.store.subscriptions.active(), digest_date=sub.ends_on)
    text = message_text(bot.slack.calls_to("chat.postMessage")[0].params)
    assert "Final digest" in text and "day 14 of 15" in text and "of 14" not in text


class Lock:
    """An exclusive lock on the bot's SQLite file, held by another connection until released."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, timeout=1, check_same_thread=False, isolation_level=None)
        self.conn.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


@pytest.mark.slow
def test_subscribe_with_the_database_locked_ends_in_a_message(bot: BotUnderTest) -> None:
    lock = Lock(bot.runtime.store.engine.url.database)
    try:
        url = bot.slack.new_response_url()
        bot.command(f"subscribe {CAMPAIGN} {SEND}", response_url=url)
        bot.slack.wait_for("response_url", timeout=30)
    finally:
        lock.release()
    [text] = [message_text(r) for r in bot.slack.responses[url]]
    assert "Not subscribed" in text and "database is busy" in text and "ref `" in text


@pytest.mark.slow
def test_unsubscribe_with_the_database_locked_still_acks_then_tells_the_user(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC")
    lock = Lock(bot.runtime.store.engine.url.database)
    done = threading.Timer(4.0, lock.release)  # the store's busy timeout (5 s) outlasts Slack's 3 s
    try:
        url = bot.slack.new_response_url()
        done.start()
        ack = ephemeral_ack(bot, f"unsubscribe {sub.id}", response_url=url)
        assert "database is slow" in ack
        bot.slack.wait_for("response_url", timeout=30)
    finally:
        done.join()
    [text] = [message_text(r) for r in bot.slack.responses[url]]
    assert f"Unsubscribed #{sub.id}" in text
