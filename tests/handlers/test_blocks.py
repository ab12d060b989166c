"""Slack text safety and the Block Kit of reports and help."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from handlers.grammar import REPORT_USAGE, SUBSCRIBE_USAGE, UNSUBSCRIBE_USAGE, help_text
from handlers.layout import blocks as layout
from handlers.layout.blocks import MAX_TABLE_ROWS, blocks_to_text, notice_blocks
from handlers.layout.text import escape
from reports.kinds import Kind, Target
from reports.kinds.send import RATE_FORMULAS, SEND
from reports.models import Metrics
from reports.summary import Breakdown, Rates, Summary
from reports.views import DASH, fmt_count, fmt_rate, fmt_usd
from reports.views import conversions_line as conversion_events_line

START, END = date(2024, 3, 10), date(2024, 3, 14)
NO_RATES = Rates(None, None, None, None, None)
NO_METRICS = Metrics()


def summary(
    totals: Metrics = NO_METRICS,
    rates: Rates = NO_RATES,
    *,
    by_channel: tuple[Breakdown, ...] = (),
    by_variation: tuple[Breakdown, ...] = (),
    start: date = START,
    end: date = END,
    days_with_data: int = 3,
    window_end: date | None = None,
    campaign_id: str = "cmp-spring",
    send_id: str = "send-0001",
) -> Summary:
    return Summary(
        campaign_id=campaign_id,
        send_id=send_id,
        start=start,
        end=end,
        days_with_data=days_with_data,
        totals=totals,
        rates=rates,
        by_channel=by_channel,
        by_variation=by_variation,
        first_day=None if window_end is None else date.fromordinal(window_end.toordinal() - 14),
        window_end=window_end,
    )


def report_view(s: Summary, campaign_name: str | None):
    return SEND.report_view(s, title=SEND.title(campaign_name, Target(Kind.SEND, s.campaign_id, s.send_id)))


def report_blocks(s: Summary, *, campaign_name: str | None, chart_note: str | None = None) -> list[dict[str, Any]]:
    """The send report of ``s`` as posted: the kind's view, rendered by the layout."""
    return layout.report_blocks(report_view(s, campaign_name), chart_note=chart_note)


def report_text(s: Summary, campaign_name: str | None) -> str:
    return layout.report_text(report_view(s, campaign_name))


def help_blocks() -> list[dict[str, Any]]:
    return notice_blocks(help_text())


def row(label: str, sent: int | None = None, conversions: int | None = None, rates: Rates = NO_RATES) -> Breakdown:
    return Breakdown(label=label, metrics=Metrics.of(sent=sent, conversions=conversions), rates=rates)


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every mrkdwn string in the blocks (section texts, fields, context elements)."""
    out = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return out


def fields(blocks: list[dict[str, Any]]) -> dict[str, str]:
    (section,) = [b for b in blocks if "fields" in b]
    return dict(f["text"].split("\n", 1) for f in section["fields"])


TABLE_HEADER = f"{'':<18}{'sent':>10}{'deliv.':>8}{'open':>8}{'CTR':>7}{'conv.':>8}"


def table_lines(blocks: list[dict[str, Any]], title: str) -> list[str]:
    """The rows of a table, after checking its title and column headings."""
    (block,) = [b for b in blocks if b["type"] == "section" and b.get("text", {}).get("text", "").startswith(title)]
    text = block["text"]["text"]
    assert text.count("```") == 2
    head, body, tail = text.split("```")
    assert (head, tail) == (f"{title}\n", "")
    header, *rows = body.split("\n")
    assert header == TABLE_HEADER
    assert header.split() == ["sent", "deliv.", "open", "CTR", "conv."]
    return rows


# -- escape and formatting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here>", "&lt;!here&gt;"),
        ("<!everyone>", "&lt;!everyone&gt;"),
        ("<@U012AB3CD>", "&lt;@U012AB3CD&gt;"),
        ("<https://evil.example|click me>", "&lt;https://evil.example|click me&gt;"),
        ("@channel", "@\u2060channel"),
        ("@here", "@\u2060here"),
        ("@everyone", "@\u2060everyone"),
        ("hey @HERE and @Channel!", "hey @\u2060HERE and @\u2060Channel!"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"),  # pre-escaped text cannot smuggle a mention
        ("@channels @hereafter", "@channels @hereafter"),  # not broadcast words
        ("plain text 123", "plain text 123"),
    ],
)
def test_escape(text: str, expected: str) -> None:
    assert escape(text) == expected


def test_formatting_helpers() -> None:
    assert fmt_count(1234567) == "1,234,567"
    assert fmt_count(0) == "0"
    assert fmt_count(None) == DASH == "–"
    assert fmt_rate(0.9712) == "97.1%"
    assert fmt_rate(0.0) == "0.0%"
    assert fmt_rate(2.5) == "250.0%"
    assert fmt_rate(None) == "–"
    assert fmt_usd(1234.5) == "$1,234.50"
    assert fmt_usd(None) == "–"


# -- report blocks ----------------------------------------------------------------------------------------


def test_headline_numbers_have_thousands_separators_and_rates() -> None:
    totals = Metrics.of(
        sent=1_234_567,
        delivered=1_200_000,
        total_opens=250_000,
        direct_opens=100_000,
        body_clicks=12_345,
        bounces=1_000,
        conversions=4_321,
        unique_recipients=1_000_000,
        revenue=98_765.4,
        undelivered=30_000,
        delivery_failed=4_567,
    )
    rates = Rates(delivery=0.972, open=0.2083, click=0.0103, bounce=0.00081, conversion=0.004321)
    f = fields(report_blocks(summary(totals, rates), campaign_name="Spring"))
    assert f["*Sent*"] == "1,234,567"
    assert f["*Delivered*"] == "1,200,000  (delivery 97.2%)"
    assert f["*Opens*"] == "250,000 total · 100,000 direct  (20.8%)"
    assert f["*Body clicks*"] == "12,345  (CTR 1.0%)"
    assert f["*Conversions*"] == "4,321  (conv. 0.4%)"
    assert f["*Revenue*"] == "$98,765.40"
    assert f["*Bounces*"] == "1,000  (bounce 0.1%)"
    assert f["*Not delivered*"] == "30,000 undelivered · 4,567 failed"
    assert f["*Unique recipients*"] == "1,000,000"


def test_missing_numbers_and_rates_show_a_dash_never_zero() -> None:
    f = fields(report_blocks(summary(Metrics.of(sent=0, delivered=0)), campaign_name=None))
    assert f["*Sent*"] == "0"
    assert f["*Delivered*"] == "0  (delivery –)"  # a zero denominator is "–", not a made-up 0%
    assert f["*Opens*"] == "– total · – direct  (–)"
    assert f["*Body clicks*"] == "–  (CTR –)"
    assert f["*Revenue*"] == "–"
    assert f["*Not delivered*"] == "– undelivered · – failed"
    assert "0.0%" not in json.dumps(f)


def test_table_rows_show_counts_rates_and_dashes() -> None:
    channels = (
        row(
            "email",
            2605,
            19,
            Rates(delivery=2505 / 2605, open=440 / 2505, click=101 / 2505, bounce=None, conversion=None),
        ),
        row("webhook", 0, None),
    )
    blocks = report_blocks(summary(by_channel=channels), campaign_name=None)
    lines = table_lines(blocks, "*By channel*")
    assert [line.split() for line in lines] == [
        ["email", "2,605", "96.2%", "17.6%", "4.0%", "19"],
        ["webhook", "0", "–", "–", "–", "–"],
    ]


def test_tables_over_twelve_rows_are_truncated() -> None:
    channels = tuple(row(f"channel_{i:02d}", 1000 - i) for i in range(20))
    variations = tuple(row(f"V{i}", 10) for i in range(MAX_TABLE_ROWS))
    blocks = report_blocks(summary(by_channel=channels, by_variation=variations), campaign_name=None)
    lines = table_lines(blocks, "*By channel*")
    assert MAX_TABLE_ROWS == 12
    assert [line.split()[0] for line in lines[:-1]] == [f"channel_{i:02d}" for i in range(12)]
    assert lines[-1] == "… and 8 more"
    assert "channel_12" not in json.dumps(blocks)
    variation_lines = table_lines(blocks, "*By variation*")
    assert len(variation_lines) == 12  # exactly twelve: nothing hidden, no "more" line
    assert "more" not in variation_lines[-1]


def test_long_labels_are_cut_and_code_fences_cannot_be_closed() -> None:
    variations = (row("A" * 30, 5), row("x```y", 3))
    blocks = report_blocks(summary(by_variation=variations), campaign_name=None)
    lines = table_lines(blocks, "*By variation*")
    assert lines[0].split()[0] == "A" * 11 + "…" + "A" * 5  # start and end kept
    assert lines[1].split()[0] == "x'''y"


def test_empty_breakdowns_have_no_tables() -> None:
    blocks = report_blocks(summary(), campaign_name=None)
    assert "By channel" not in json.dumps(blocks) and "By variation" not in json.dumps(blocks)


def test_conversion_events_line_is_shown_only_when_braze_reported_events() -> None:
    with_events = Metrics.of(
        conversions=10, conversions_by_send_time=5, conversions1=3, conversions1_by_send_time=2, conversions3=1
    )
    line = conversion_events_line(with_events)
    assert line == (
        "Conversions · primary (A) by send time 5 · event B (2nd): 3 (by send time 2) · "
        "event D (4th): 1 (by send time –)"
    )
    blocks = report_blocks(summary(with_events), campaign_name=None)
    assert sum(line in t for t in mrkdwn_texts(blocks)) == 1

    without = Metrics.of(sent=100, conversions=10)
    assert conversion_events_line(without) is None
    blocks = report_blocks(summary(without), campaign_name=None)
    assert not any(t.startswith("Conversions ·") for t in mrkdwn_texts(blocks))
    assert [b["type"] for b in blocks] == ["header", "context", "section", "divider", "context", "actions"]


def test_header_context_and_footer() -> None:
    blocks = report_blocks(summary(window_end=date(2024, 3, 24)), campaign_name="Spring Sale", chart_note="Chart below")
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "📊 Spring Sale", "emoji": True}}
    context = blocks[1]["elements"][0]["text"]
    assert context == (
        "Send `send-0001` · campaign `cmp-spring` · Mar 10, 2024 – Mar 14, 2024 (5 days, 3 with data) · "
        "Braze keeps this send's analytics until Mar 24, 2024"
    )
    assert blocks[-1]["type"] == "actions"  # re-run and subscribe buttons close the message
    footer = blocks[-2]["elements"][0]["text"]
    assert footer == (
        "Rates: delivery = delivered ÷ sent · open = total opens ÷ delivered · click = body clicks ÷ delivered · "
        "bounce = bounces ÷ sent · conversion = conversions ÷ unique recipients\nChart below"
    )


def test_single_day_without_window_and_default_title() -> None:
    blocks = report_blocks(summary(start=START, end=START, days_with_data=1), campaign_name=None)
    assert blocks[0]["text"]["text"] == "📊 Campaign cmp-spring"
    context = blocks[1]["elements"][0]["text"]
    assert "(1 day, 1 with data)" in context
    assert "keeps this send's analytics" not in context


def test_header_is_at_most_150_characters() -> None:
    blocks = report_blocks(summary(), campaign_name="N" * 400)
    header = blocks[0]["text"]["text"]
    assert len(header) == 150
    assert header.startswith("📊 NNN")


def test_slack_limits_hold_for_a_huge_report() -> None:
    ugly = "&<>" * 20
    channels = tuple(row(f"{ugly}{i}", 10**12 + i) for i in range(300))
    variations = tuple(row(f"@channel {ugly}{i}", 10**12) for i in range(300))
    totals = Metrics.of(
        **{
            name: 10**15
            for name in (
                "sent",
                "delivered",
                "total_opens",
                "direct_opens",
                "body_clicks",
                "conversions",
                "conversions_by_send_time",
                "conversions1",
                "conversions1_by_send_time",
                "conversions2",
                "conversions2_by_send_time",
                "conversions3",
                "conversions3_by_send_time",
            )
        },
        revenue=10.0**15,
    )
    s = summary(
        totals,
        Rates(1.0, 1.0, 1.0, 1.0, 1.0),
        by_channel=channels,
        by_variation=variations,
        window_end=date(2024, 3, 24),
        campaign_id="c" * 64,
        send_id="s" * 64,
    )
    blocks = report_blocks(s, campaign_name="<!channel> " * 100, chart_note="n" * 5000)
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= 150
    for block in blocks:
        if block["type"] == "section":
            assert len(block.get("fields", [])) <= 10
            for field in block.get("fields", []):
                assert len(field["text"]) <= 2000
        if "text" in block and block["text"]["type"] == "mrkdwn":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
    for text in mrkdwn_texts(blocks):
        assert len(text) <= 3000
    json.dumps(blocks)  # JSON-ready


def test_user_and_braze_text_cannot_ping_anyone() -> None:
    channels = (row("<!channel>", 5), row("@here", 4))
    variations = (row("<!everyone> win", 5), row("@everyone", 4), row("A & B", 3))
    s = summary(by_channel=channels, by_variation=variations, campaign_id="<!here>", send_id="@channel")
    blocks = report_blocks(s, campaign_name="<!channel> Spring")
    for text in mrkdwn_texts(blocks):
        assert "<!" not in text and "<@" not in text
        for word in ("@here", "@channel", "@everyone"):
            assert word not in text
    joined = "\n".join(mrkdwn_texts(blocks))
    assert "&lt;!channel&gt;" in joined and "@\u2060here" in joined and "A &amp; B" in joined

    text = report_text(s, "<!channel> Spring @everyone")
    assert "<!channel>" not in text and "@everyone" not in text
    assert text.startswith("&lt;!channel&gt; Spring @\u2060everyone · send @\u2060channel: ")


def test_report_text_summarises_the_headline() -> None:
    s = summary(
        Metrics.of(sent=12_000, conversions=1_234),
        Rates(delivery=0.95, open=0.125, click=None, bounce=None, conversion=None),
    )
    assert report_text(s, None) == (
        "Campaign cmp-spring · send send-0001: 12,000 sent, 95.0% delivered, 12.5% open rate, 1,234 conversions"
    )


def test_blocks_to_text_reads_like_slack() -> None:
    blocks = report_blocks(summary(Metrics.of(sent=1500), by_channel=(row("email", 1500),)), campaign_name="Spring <3")
    text = blocks_to_text(blocks)
    assert text.split("\n") == [
        "📊 SPRING <3",
        "  Send `send-0001` · campaign `cmp-spring` · Mar 10, 2024 – Mar 14, 2024 (5 days, 3 with data)",
        f"{'*Sent*: 1,500':<44}  *Delivered*: –  (delivery –)",
        f"{'*Opens*: – total · – direct  (–)':<44}  *Body clicks*: –  (CTR –)",
        f"{'*Conversions*: –  (conv. –)':<44}  *Revenue*: –",
        f"{'*Bounces*: –  (bounce –)':<44}  *Not delivered*: – undelivered · – failed",
        "*Unique recipients*: –",
        "─" * 60,
        "*By channel*",
        TABLE_HEADER,
        f"{'email':<18}{'1,500':>10}{'–':>8}{'–':>8}{'–':>7}{'–':>8}",
        "  " + RATE_FORMULAS,
        "[7 days]  [14 days]  [30 days]  [Subscribe this channel]",
    ]


# -- help and notices -----------------------------------------------------------------------------------


def test_help_lists_every_command() -> None:
    blocks = help_blocks()
    (text,) = mrkdwn_texts(blocks)
    for usage in (
        REPORT_USAGE,
        SUBSCRIBE_USAGE,
        UNSUBSCRIBE_USAGE,
        "`/sendstats list`",
        "`@sendstats <campaign_id> <send_id> [days]`",
        "`/sendstats find <words in the name>`",
        "`/sendstats` alone",
    ):
        assert usage in text
    assert "1–100" in text and "default 14" in text
    assert len(text) <= 3000
    assert len(blocks) == 1


def test_notice_blocks_respect_the_section_limit() -> None:
    (block,) = notice_blocks("x" * 5000)
    assert block["type"] == "section"
    assert len(block["text"]["text"]) == 3000
