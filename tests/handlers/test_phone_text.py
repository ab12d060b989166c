"""Issue 18's smaller promises, end to end and piece by piece: a question the bot can't read gets the short
help, ``list`` names what it digests, the verdict's choice of the one change, and its rounding."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from handlers.layout.blocks import rounded, shift_words, verdict_words
from reports.kinds import Kind
from reports.listing import ListedItem
from reports.verdict import MIN_BASE, halves, pick_shift
from reports.views import Measure, Shift, Verdict
from tests.harness import CAMPAIGN, SEND, BotUnderTest, make_subscription, message_text


def mention(text: str) -> dict[str, str]:
    return {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@UBOT> {text}",
        "ts": "1764400300.000100",
        "channel": "C_PUBLIC",
        "thread_ts": "1764400250.000100",
    }


@pytest.mark.parametrize("question", ["what is this", "hello?", "can you show me the spring numbers"])
def test_a_question_the_bot_cannot_read_gets_the_short_help(bot: BotUnderTest, question: str) -> None:
    bot.event(mention(question))
    post = bot.slack.wait_for("chat.postMessage")[0]
    bot.idle()
    text = message_text(post.params)
    assert post.params["thread_ts"] == "1764400250.000100"
    assert "I report Braze numbers" in text and "`@sendstats CAMPAIGN_ID SEND_ID [days]`" in text
    assert "not a number of days" not in text and "<" not in text.replace("&lt;", "")
    assert bot.braze.requests == []


def test_a_mistyped_command_still_gets_its_usage(bot: BotUnderTest) -> None:
    bot.event(mention(f"{CAMPAIGN} {SEND} 500"))  # IDs, then a bad number: a command, not a question
    post = bot.slack.wait_for("chat.postMessage")[0]
    bot.idle()
    assert "“500” is not a number of days" in message_text(post.params)


def test_list_names_what_each_digest_is_about_and_says_none_yet_once(bot: BotUnderTest) -> None:
    make_subscription(bot, "C_PUBLIC")
    bot.runtime.deps.catalogue.upsert(
        [ListedItem(Kind.CAMPAIGN, CAMPAIGN, "Spring *sale* — API")], now=datetime(2026, 3, 1, tzinfo=UTC)
    )
    text = bot.command("list").json()["text"]
    assert "*Spring ∗sale∗ — API* · send " in text  # the name, its markdown neutralised, then the IDs
    assert text.count("none yet") == 1


# -- the verdict's choice and words ------------------------------------------------------------------------


def test_the_largest_sound_move_is_the_one_change() -> None:
    now = [("sent", 390, "count"), ("opens", 3284, "count"), ("conversions", 10, "count")]
    before = [("sent", 720, "count"), ("opens", 5591, "count"), ("conversions", 1, "count")]
    shift = pick_shift(now, before, "against Mar 16")
    assert shift == Shift("sent", 390, 720, "against Mar 16")  # ▼ 46% beats ▼ 41%; 1 → 10 is under the base
    assert pick_shift(now, [("sent", MIN_BASE - 1, "count")], "x") is None
    assert pick_shift(now, [("sent", MIN_BASE, "count")], "x") is not None
    assert pick_shift([("sent", None, "count")], before, "x") is None


def test_halves_need_two_full_weeks() -> None:
    assert halves(date(2026, 3, 1), date(2026, 3, 13)) is None
    assert halves(date(2026, 3, 1), date(2026, 3, 14)) == (
        (date(2026, 3, 8), date(2026, 3, 14)),
        (date(2026, 3, 1), date(2026, 3, 7)),
    )


@pytest.mark.parametrize(
    ("value", "style", "shown"),
    [
        (384_840, "count", "384,840"),
        (1_234_567, "count", "1.2M"),
        (0.9701, "rate", "97%"),
        (0.034, "rate", "3.4%"),
        (18.52, "usd", "$18.52"),
        (640.4, "usd", "$640"),
        (2565.87, "usd", "$2.6k"),
        (103_412.5, "usd", "$103k"),
    ],
)
def test_a_verdict_rounds_for_reading(value: float, style: str, shown: str) -> None:
    assert rounded(value, style) == shown


def test_verdict_words() -> None:
    verdict = Verdict(
        (
            Measure(384_840, "sent"),
            Measure(0.97, "delivered", "rate"),
            Measure(0.369, "opened", "rate"),
            Measure(1716, "conversions"),
            Measure(103_412.5, "revenue", "usd", inside=True),
        ),
        Shift("conversions", 1350, 1205, "in the last 7 days against the 7 before"),
    )
    assert verdict_words(verdict) == "384,840 sent · 97% delivered · 37% opened · 1,716 conversions ($103k)"
    assert shift_words(verdict.shift) == "Conversions ▲ 12% in the last 7 days against the 7 before (1,205 → 1,350)"
    quiet = Verdict(
        (Measure(1, "conversions"), Measure(0, "revenue", "usd", inside=True), Measure(None, "sent")),
        when="Mar 17",
        status="sending finished Mar 14",
    )
    assert verdict_words(quiet) == "Mar 17: sending finished Mar 14 · 1 conversion"  # no "$0.00", no "– sent"
    assert shift_words(Shift("sent", 100, 100, "against Mar 16")) == "Sent unchanged against Mar 16 (100 → 100)"
