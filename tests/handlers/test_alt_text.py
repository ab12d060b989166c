"""Every chart upload carries ``alt_txt``, one sentence a screen reader speaks: what the chart shows, for
which send, campaign or Canvas, over which days. Driven by signed commands and a digest round against the
Slack fake; the sentence is read back from the fake (``files.getUploadURLExternal`` and ``files.info``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from slack_sdk import WebClient

from digests.round import run_round
from handlers.layout.alt_text import chart_alt_text, day_range
from tests.harness import CAMPAIGN, SEND, BotUnderTest, daily_charts, make_subscription


def uploaded_alt_text(bot: BotUnderTest) -> str:
    """The ``alt_txt`` of the one chart uploaded so far, checked against what ``files.info`` reports."""
    bot.slack.wait_for("files.completeUploadExternal", timeout=30)
    bot.idle()
    [share] = daily_charts(bot.slack.files)
    [request] = [r for r in bot.slack.calls_to("files.getUploadURLExternal") if r.params["filename"] == share.filename]
    client = WebClient(token=bot.slack.token, base_url=bot.slack.base_url)
    assert client.files_info(file=share.file_id)["file"]["alt_txt"] == request.params["alt_txt"]
    return str(request.params["alt_txt"])


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 11, 1), date(2026, 11, 14), "Nov 1–14"),
        (date(2026, 10, 28), date(2026, 11, 3), "Oct 28 – Nov 3"),
        (date(2025, 12, 28), date(2026, 1, 3), "Dec 28, 2025 – Jan 3, 2026"),
        (date(2026, 11, 14), date(2026, 11, 14), "Nov 14"),
    ],
)
def test_day_ranges_read_as_people_say_them(start: date, end: date, expected: str) -> None:
    assert day_range(start, end) == expected


def test_the_sentence_is_one_line_and_a_long_name_is_cut() -> None:
    said = chart_alt_text("entries and conversions", "Onboarding\n" + "x" * 400, date(2026, 11, 1), date(2026, 11, 2))
    assert said.startswith("Daily entries and conversions for Onboarding xxx") and said.endswith("…, Nov 1–2.")
    assert "\n" not in said and len(said) < 250


def test_a_send_reports_chart_says_what_it_shows_for_which_send_and_days(bot: BotUnderTest) -> None:
    until = datetime.now(UTC).date() - timedelta(days=1)
    bot.command(f"{CAMPAIGN} {SEND} 7 until {until.isoformat()}")
    alt = uploaded_alt_text(bot)
    # 7 days at most: the chart starts at the send's first day with data when that is later
    start = max(until - timedelta(days=6), bot.braze.sends[(CAMPAIGN, SEND)].first_day)
    assert alt.startswith("Daily volume and engagement by channel for ")
    assert alt.endswith(f", {day_range(start, until)}.")
    [title] = [c.params["files"][0]["title"] for c in bot.slack.calls_to("files.completeUploadExternal")]
    assert alt.removeprefix("Daily volume and engagement by channel for ").startswith(
        title.split(" · ")[0]
    )


def test_campaign_and_canvas_charts_say_their_own_series(bot: BotUnderTest) -> None:
    until = datetime.now(UTC).date() - timedelta(days=1)
    bot.braze.add_campaign("cmp-alt-01", "Winter newsletter", days_ago=6)
    bot.command(f"campaign cmp-alt-01 5 until {until.isoformat()}")
    alt = uploaded_alt_text(bot)
    days = day_range(until - timedelta(days=4), until)
    assert alt == f"Daily volume and engagement by channel for Winter newsletter, {days}."

    bot.slack.reset()
    bot.braze.add_canvas("cnv-alt-01", "Onboarding journey", days_ago=20)
    bot.command(f"canvas cnv-alt-01 7 until {until.isoformat()}")
    alt = uploaded_alt_text(bot)
    days = day_range(until - timedelta(days=6), until)
    assert alt == f"Daily entries and conversions for Onboarding journey, {days}."


def test_a_digest_chart_has_its_sentence_too(bot: BotUnderTest) -> None:
    make_subscription(bot, "C_PUBLIC")
    run_round(bot.runtime.rounds, bot.runtime.store.subscriptions.active(), digest_date=datetime.now(UTC).date())
    alt = uploaded_alt_text(bot)
    assert alt.startswith("Daily volume and engagement by channel for ")
    first_day = bot.braze.sends[(CAMPAIGN, SEND)].first_day
    assert f"{first_day:%b} {first_day.day}" in alt
