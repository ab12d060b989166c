"""A Braze that misbehaves, through the real endpoint: hanging, trickling, huge and deeply nested answers.

The user always gets a message saying what happened, within the client's overall deadline (the harness
sets it to ``BRAZE_DEADLINE`` seconds); waits below are generous timeouts on that outcome, not timings.
"""

from __future__ import annotations

import pytest

from fakes.braze import SERIES_PATH
from tests.harness import BRAZE_DEADLINE, CAMPAIGN, SEND, BotUnderTest, message_text
from tests.servers import trickling_server

DETAILS_PATH = "/campaigns/details"


def private_replies(bot: BotUnderTest, url: str, count: int = 1, timeout: float = 30) -> list[str]:
    bot.slack.wait_for("response_url", count=count, timeout=timeout)
    return [message_text(r) for r in bot.slack.responses[url]]


def report(bot: BotUnderTest, text: str = f"{CAMPAIGN} {SEND} 7") -> str:
    url = bot.slack.new_response_url()
    assert bot.command(text, response_url=url).status_code == 200
    return url


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["hang", "trickle"])
def test_hung_or_trickling_braze_ends_in_a_message_within_the_deadline(bot: BotUnderTest, mode: str) -> None:
    bot.braze.misbehave(mode, path=SERIES_PATH, interval=0.5)
    url = report(bot)
    [text] = private_replies(bot, url, timeout=BRAZE_DEADLINE + 20)
    assert f"did not finish answering within {BRAZE_DEADLINE:.0f} s" in text
    assert bot.slack.calls_to("chat.postMessage") == []  # the error went to the requester only


def test_huge_answer_is_refused_with_a_clear_message(bot: BotUnderTest) -> None:
    bot.braze.misbehave("huge", path=SERIES_PATH, size=11 * 1024 * 1024)
    url = report(bot)
    [text] = private_replies(bot, url)
    assert "larger than 10 MB" in text and "whoever runs sendstats" in text and "BRAZE_REST_ENDPOINT" not in text


def test_deeply_nested_json_in_a_report_is_a_clean_braze_error(bot: BotUnderTest) -> None:
    bot.braze.misbehave("nested", path=SERIES_PATH, size=100_000)
    url = report(bot)
    [text] = private_replies(bot, url)
    assert "not JSON sendstats can read" in text and "went wrong on our side" not in text


def test_deeply_nested_json_in_subscribe_is_a_message_not_silence(bot: BotUnderTest) -> None:
    bot.braze.misbehave("nested", path=SERIES_PATH, size=100_000)
    url = bot.slack.new_response_url()
    assert "Checking send" in bot.command(f"subscribe {CAMPAIGN} {SEND}", response_url=url).json()["text"]
    [text] = private_replies(bot, url)
    assert "Not subscribed" in text and "not JSON sendstats can read" in text
    assert bot.runtime.store.subscriptions.in_channel("C_PUBLIC", include_inactive=True) == []


def test_huge_answer_to_subscribe_is_a_message(bot: BotUnderTest) -> None:
    bot.braze.misbehave("huge", path=SERIES_PATH, size=11 * 1024 * 1024)
    url = bot.slack.new_response_url()
    bot.command(f"subscribe {CAMPAIGN} {SEND}", response_url=url)
    [text] = private_replies(bot, url)
    assert "Not subscribed" in text and "larger than 10 MB" in text


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["nested", "trickle"])
def test_a_bad_campaign_name_answer_falls_back_to_the_id(bot: BotUnderTest, mode: str) -> None:
    bot.braze.misbehave(mode, path=DETAILS_PATH, size=100_000, interval=0.5)
    report(bot)
    [post] = bot.slack.wait_for("chat.postMessage", timeout=30)
    assert f"Campaign {CAMPAIGN}" in message_text(post.params)
    bot.slack.wait_for("files.completeUploadExternal", timeout=30)


@pytest.mark.slow
def test_the_deadline_also_bounds_a_server_that_trickles_its_status_line() -> None:
    """httpx's read timeout restarts with every byte; the client's deadline must cover the headers too."""
    from reports.braze import BrazeClient, BrazeError

    with trickling_server() as url:
        client = BrazeClient(url, "key", max_attempts=1, deadline_seconds=2)
        try:
            with pytest.raises(BrazeError, match="did not finish answering within 2 s"):
                client.data_series_raw(CAMPAIGN, SEND, length=7)
        finally:
            client.close()
