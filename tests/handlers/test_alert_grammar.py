"""``/sendstats alert …``, ``alerts`` and ``alert remove`` parsed word for word: the request, or the
problem, the usage of that kind and an example (pure: no bot, no Slack)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.grammar import (
    ALERT_EXAMPLE,
    ALERT_REMOVE_USAGE,
    ALERT_USAGE,
    AlertRemoveRequest,
    AlertRequest,
    AlertsRequest,
    UsageError,
    alert_usage,
    parse,
)
from reports.kinds import Kind, Target
from reports.kinds.registry import kind_of

TODAY = date(2026, 3, 20)
CAMPAIGN_USAGE = "`/sendstats alert campaign CAMPAIGN_ID METRIC > VALUE`"
CAMPAIGN_METRICS = (
    "`delivery_rate`, `open_rate`, `click_rate`, `bounce_rate`, `unsubscribe_rate`, `spam_rate`, "
    "`conversion_rate`, `sent`"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "alert campaign cmp-1 bounce_rate > 2%",
            AlertRequest(Target(Kind.CAMPAIGN, "cmp-1"), "bounce_rate", ">", 0.02),
        ),
        ("alert send c s delivery_rate < 95%", AlertRequest(Target(Kind.SEND, "c", "s"), "delivery_rate", "<", 0.95)),
        ("ALERT Send c s Delivery < 95", AlertRequest(Target(Kind.SEND, "c", "s"), "delivery_rate", "<", 0.95)),
        ("alert campaign c bounce_rate>2.5%", AlertRequest(Target(Kind.CAMPAIGN, "c"), "bounce_rate", ">", 0.025)),
        ("alert campaign c bounce_rate &gt; 2,5%", AlertRequest(Target(Kind.CAMPAIGN, "c"), "bounce_rate", ">", 0.025)),
        ("alert campaign c spam-rate &lt; 0.1%", AlertRequest(Target(Kind.CAMPAIGN, "c"), "spam_rate", "<", 0.001)),
        ("alert campaign c sent < 1,000", AlertRequest(Target(Kind.CAMPAIGN, "c"), "sent", "<", 1000.0)),
        ("alert campaign c sent > 250", AlertRequest(Target(Kind.CAMPAIGN, "c"), "sent", ">", 250.0)),
        ("alert canvas cv conversion < 1.5%", AlertRequest(Target(Kind.CANVAS, "cv"), "conversion_rate", "<", 0.015)),
        ("alert campaign c open_rate > 100%", AlertRequest(Target(Kind.CAMPAIGN, "c"), "open_rate", ">", 1.0)),
        ("alert campaign c open_rate > 0", AlertRequest(Target(Kind.CAMPAIGN, "c"), "open_rate", ">", 0.0)),
        ("alerts", AlertsRequest()),
        ("alert remove 12", AlertRemoveRequest(12)),
    ],
)
def test_alert_commands_parse(text: str, expected: object) -> None:
    assert parse(text, today=TODAY) == expected


def usage(problem: str, kind: Kind | None = Kind.CAMPAIGN) -> UsageError:
    return UsageError(problem, alert_usage(kind_of(kind)) if kind else ALERT_USAGE, ALERT_EXAMPLE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "alert",
            usage("`alert` needs something to watch. Start with `send`, `campaign` or `canvas`, then its IDs.", None),
        ),
        (
            "alert cmp-1 bounce_rate > 2%",
            usage(
                "“cmp-1” is not something I can watch. Start with `send`, `campaign` or `canvas`, then its IDs.", None
            ),
        ),
        ("alert campaign", usage("`alert campaign` needs a campaign ID.")),
        ("alert send c", usage("`alert` needs a campaign ID and a send ID.", Kind.SEND)),
        (
            "alert campaign c bounce_rate = 2%",
            usage(
                "After the campaign, write the rule: a metric, `&gt;` or `&lt;`, and a value, e.g. "
                "`delivery_rate &gt; 5%`. "
                f"Metrics of a campaign: {CAMPAIGN_METRICS}."
            ),
        ),
        (
            "alert campaign c happiness > 2%",
            usage(f"“happiness” is not a metric I know. Metrics of a campaign: {CAMPAIGN_METRICS}."),
        ),
        (
            "alert canvas cv bounce_rate > 2%",
            usage(
                "“bounce_rate” is not something a Canvas reports. Metrics of a Canvas: `conversion_rate`.", Kind.CANVAS
            ),
        ),
        (
            "alert campaign c bounce_rate > lots",
            usage("“lots” is not a number; write it as `2%` or `2.5%` (or `1000` for sent)."),
        ),
        ("alert campaign c bounce_rate > 100.5%", usage("Bounce rate is a percentage: use a value from 0% to 100%.")),
        ("alert campaign c sent > 2%", usage("`sent` is a count: write a whole number such as `1000`, without %.")),
        ("alert campaign c sent > 2.5", usage("`sent` is a count: write a whole number such as `1000`, without %.")),
        (
            "alert remove",
            UsageError(
                "`alert remove` needs the number of an alert.", ALERT_REMOVE_USAGE, "`/sendstats alert remove 3`"
            ),
        ),
        (
            "alert remove 3 4",
            UsageError(
                "`alert remove` needs the number of an alert.", ALERT_REMOVE_USAGE, "`/sendstats alert remove 3`"
            ),
        ),
        ("alerts here", UsageError("`alerts` takes no arguments.", "`/sendstats alerts`", "`/sendstats alerts`")),
    ],
)
def test_bad_alert_commands_say_what_is_wrong(text: str, expected: UsageError) -> None:
    assert parse(text, today=TODAY) == expected


def test_usage_lines_use_placeholders_slack_keeps() -> None:
    assert alert_usage(kind_of(Kind.CAMPAIGN)) == CAMPAIGN_USAGE
    assert ALERT_USAGE == (
        "`/sendstats alert send CAMPAIGN_ID SEND_ID METRIC > VALUE` or "
        + CAMPAIGN_USAGE
        + " or `/sendstats alert canvas CANVAS_ID METRIC > VALUE`"
    )
    assert "<" not in ALERT_USAGE + ALERT_REMOVE_USAGE


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_alert_text_is_a_request_or_says_what_is_wrong(text: str) -> None:
    parsed = parse(f"alert {text}", today=TODAY)
    assert isinstance(parsed, AlertRequest | AlertRemoveRequest | UsageError)
    if isinstance(parsed, UsageError):
        assert "<" not in parsed.problem and parsed.usage and parsed.example
    if isinstance(parsed, AlertRequest):
        assert parsed.op in (">", "<") and parsed.threshold >= 0
        assert parsed.threshold <= 1 or parsed.metric == "sent"
