"""Fuzzing: the grammar, and every listener with whole signed payloads through the real endpoint.

No input may raise out of the grammar or a listener: every request gets a 2xx or a 4xx, never a 5xx,
no listener error is logged, and every background job ends without an exception (``bot.idle`` re-raises).
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakes.signing import FORM, JSON, UNSET_RESPONSE_URL, block_actions_payload, event_body, post_signed
from handlers.grammar import ReportRequest, SubscribeRequest, UsageError, parse
from reports.pipeline import date_range
from tests.harness import CAMPAIGN, SEND, SIGNING_SECRET, BotUnderTest

TODAY = date(2026, 3, 31)
TOKENS = st.sampled_from(
    [
        "subscribe", "unsubscribe", "list", "help", "until", "at", CAMPAIGN, SEND, "7", "100", "0", "101",
        "0001-01-03", "9999-12-31", "2026-02-29", "2026-03-30", "09:00", "24:00", "Europe", "Europe/Berlin",
        "America/Argentina/Buenos_Aires", "../etc", "x" * 300, "<!channel>", "@here", "`", "١٢", "\x00", "\n",
    ]
)
WORDS = st.lists(TOKENS | st.text(max_size=12), max_size=7).map(" ".join)
JUNK = st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.lists(st.integers(), max_size=3)
JSONISH = st.recursive(JUNK, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=3), max_leaves=8)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings(max_examples=500, deadline=None)
@given(text=WORDS | st.text(max_size=80))
def test_grammar_never_raises_and_what_it_accepts_is_usable(text: str) -> None:
    result = parse(text, today=TODAY)
    if isinstance(result, UsageError):
        assert result.problem and "Usage:" in result.text
    if isinstance(result, ReportRequest):
        start, end, _ = date_range(result.days, result.until, TODAY)
        assert start <= end <= TODAY
    if isinstance(result, SubscribeRequest) and result.timezone:
        ZoneInfo(result.timezone)


def answered(bot: BotUnderTest, body: bytes, content_type: str) -> int:
    status = post_signed(f"{bot.url}/slack/events", body, SIGNING_SECRET, content_type).status_code
    assert status < 500, status
    return status


def no_listener_errors(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and not r.name.startswith("slack_sdk")]
    assert errors == [], [r.getMessage() for r in errors]


@pytest.mark.slow  # a battery of generated or rendered cases
@FUZZ
@given(
    text=WORDS | st.text(max_size=80),
    channel=st.sampled_from(["C_PUBLIC", "G_PRIVATE", "C_ARCHIVED", ""]) | st.text(max_size=12),
    user=st.sampled_from(["U1", ""]) | st.text(max_size=12),
    team=st.text(max_size=8),
    response_url=st.sampled_from([None, UNSET_RESPONSE_URL, "", "not a url"]),
)
def test_any_slash_command_payload_is_answered_without_a_5xx(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture, text: str, channel: str, user: str, team: str,
    response_url: str | None,
) -> None:
    caplog.set_level(logging.WARNING)
    fields = {"command": "/sendstats", "text": text, "channel_id": channel, "user_id": user, "team_id": team}
    fields["response_url"] = bot.slack.new_response_url() if response_url is None else response_url
    answered(bot, urlencode(fields).encode(), FORM)
    bot.idle()
    no_listener_errors(caplog)


@pytest.mark.slow  # a battery of generated or rendered cases
@FUZZ
@given(
    action_id=st.sampled_from(["sendstats_rerun_7", "sendstats_rerun_999", "sendstats_subscribe",
                               "sendstats_unsubscribe", "something_else"]),
    value=st.none() | st.text(max_size=40) | JSONISH.map(json.dumps)
    | st.fixed_dictionaries({"c": st.just(CAMPAIGN), "s": st.just(SEND), "d": JUNK}).map(json.dumps),
    overrides=st.dictionaries(st.sampled_from(["user", "channel", "container", "message", "team", "response_url"]),
                              JSONISH, max_size=3),
)
def test_any_button_payload_is_answered_without_a_5xx(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture, action_id: str, value: str | None, overrides: dict[str, Any]
) -> None:
    caplog.set_level(logging.WARNING)
    payload = block_actions_payload(action_id, value=value, response_url=bot.slack.new_response_url())
    payload.update(overrides)
    answered(bot, urlencode({"payload": json.dumps(payload)}).encode(), FORM)
    bot.idle()
    no_listener_errors(caplog)


@pytest.mark.slow  # a battery of generated or rendered cases
@FUZZ
@given(
    kind=st.sampled_from(["app_mention", "app_home_opened"]),
    text=WORDS | st.text(max_size=60),
    fields=st.dictionaries(st.sampled_from(["user", "channel", "ts", "thread_ts", "tab", "bot_id", "subtype"]),
                           JSONISH, max_size=4),
)
def test_any_event_payload_is_answered_without_a_5xx(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture, kind: str, text: str, fields: dict[str, Any]
) -> None:
    caplog.set_level(logging.WARNING)
    event = {"type": kind, "user": "U1", "channel": "C_FUZZ", "ts": "1764400000.000100", "text": f"<@UBOT> {text}",
             **fields}
    answered(bot, event_body(event), JSON)
    bot.idle()
    no_listener_errors(caplog)
