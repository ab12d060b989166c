"""Slack text safety and the Block Kit of reports and help."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from handlers.grammar import REPORT_USAGE, SUBSCRIBE_USAGE, UNSUBSCRIBE_USAGE, help_text
from handlers.layout import blocks as layout
from handlers.layout.blocks import MAX_TABLE_ROWS, blocks_to_text, display_width, notice_blocks, wrapped
from handlers.layout.text import escape, utf16_len
from reports.kinds import Kind, Target
from reports.kinds.send import FOOTER, SEND
from reports.models import Metrics
from reports.parse import parse_series
from reports.summary import Summary, summarise
from reports.views import DASH, ReportView, Table, fmt_count, fmt_rate, fmt_usd
from reports.views import conversions_line as conversion_events_line

START, END = date(2024, 3, 10), date(2024, 3, 14)
#: The columns of a table (any kind's; a Canvas report's variants are one).
COLUMNS = ("sent", "deliv.", "open", "CTR", "conv.")


def day(
    rows: dict[str, list[dict[str, Any]]] | None = None, when: str = "2024-03-10", **figures: Any
) -> dict[str, Any]:
    """One day as Braze sends it: ``messages`` by channel, and the day's own figures."""
    return {"time": when, "messages": rows or {}, **figures}


def summary(
    *days: dict[str, Any],
    start: date = START,
    end: date = END,
    window_end: date | None = None,
    campaign_id: str = "cmp-spring",
    send_id: str = "send-0001",
) -> Summary:
    """A send's summary of ``days`` (Braze's JSON), read by the real parser."""
    series = parse_series({"data": list(days)}, campaign_id=campaign_id, send_id=send_id)
    s = summarise(series, start=start, end=end)
    first = None if window_end is None else date.fromordinal(window_end.toordinal() - 14)
    return replace(s, first_day=first, window_end=window_end)


def table_blocks(title: str, rows: tuple[tuple[str, tuple[str, ...]], ...]) -> list[dict[str, Any]]:
    """A report whose one detail is a table: how the layout draws any kind's table."""
    view = ReportView(Target(Kind.CANVAS, "cv"), "T", ("x",), (), None, (Table(title, COLUMNS, rows),), "f", ("t",),
                      (7,))
    return layout.report_blocks(view)


def report_view(s: Summary, campaign_name: str | None):
    return SEND.report_view(s, title=SEND.title(campaign_name, Target(Kind.SEND, s.campaign_id, s.send_id)))


def report_blocks(s: Summary, *, campaign_name: str | None, chart_note: str | None = None) -> list[dict[str, Any]]:
    """The send report of ``s`` as posted: the kind's view, rendered by the layout."""
    return layout.report_blocks(report_view(s, campaign_name), chart_note=chart_note)


def report_text(s: Summary, campaign_name: str | None) -> str:
    return layout.report_text(report_view(s, campaign_name))


def help_blocks() -> list[dict[str, Any]]:
    return notice_blocks(help_text())


def row(
    label: str, sent: int | None = None, conversions: int | None = None, rates: tuple[float | None, ...] = (None,) * 3
) -> tuple[str, tuple[str, ...]]:
    """A table row: sent, delivery, open and click rates, conversions."""
    return label, (fmt_count(sent), *(fmt_rate(r) for r in rates), fmt_count(conversions))


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


def table_lines(blocks: list[dict[str, Any]], title: str) -> list[str]:
    """The rows of a table, after checking its title, its column headings and a phone's 40 columns."""
    (block,) = [b for b in blocks if b["type"] == "section" and b.get("text", {}).get("text", "").startswith(title)]
    text = block["text"]["text"]
    assert text.count("```") == 2
    head, body, tail = text.split("```")
    assert head == f"{title}\n"
    assert tail == "" or tail.startswith("\n*A* ")  # nothing after the table but its legend
    header, *rows = body.split("\n")
    assert header.split() == ["sent", "deliv.", "open", "CTR", "conv."]
    assert max(display_width(line) for line in (header, *rows)) <= 40
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
    email = {"sent": 1_234_567, "delivered": 1_200_000, "unique_opens": 250_000, "reported_spam": 1_000}
    s = summary(day({"email": [email]}, conversions=4_321, unique_recipients=1_000_000, revenue=98_765.4))
    blocks = report_blocks(s, campaign_name="Spring")
    assert blocks[2]["text"]["text"] == "*Sent 1,234,567 messages*: email 1,234,567"
    f = fields(blocks)
    assert f["*Unique recipients*"] == "1,000,000"
    assert f["*Conversions*"] == "4,321  (conv. 0.4%)"  # 4321 / 1,000,000
    assert f["*Revenue*"] == "$98,765.40"
    (section,) = [t for t in mrkdwn_texts(blocks) if t.startswith("*Email*")]
    assert "sent 1,234,567 · delivered 1,200,000 · unique opens 250,000 · reported spam 1,000" in section
    assert "unique open rate 20.8%" in section  # 250,000 / 1,200,000
    assert "spam rate 0.1%" in section and "÷" not in section  # each formula once, in the footer
    assert "unique open rate = unique opens ÷ delivered" in blocks[-2]["elements"][0]["text"]


def test_missing_numbers_and_rates_show_a_dash_never_zero() -> None:
    blocks = report_blocks(summary(day({"email": [{"sent": 0, "delivered": 0}]})), campaign_name=None)
    f = fields(blocks)
    assert f["*Unique recipients*"] == "–" and f["*Revenue*"] == "–"
    assert f["*Conversions*"] == "–  (conv. –)"
    assert "delivery rate –" in json.dumps(blocks, ensure_ascii=False)  # 0 sent: no rate
    assert "0.0%" not in json.dumps(blocks)


def test_table_rows_show_counts_rates_and_dashes() -> None:
    channels = (row("email", 2605, 19, (2505 / 2605, 440 / 2505, 101 / 2505)), row("webhook", 0, None))
    lines = table_lines(table_blocks("By channel", channels), "*By channel*")
    assert [line.split() for line in lines] == [
        ["email", "2,605", "96.2%", "17.6%", "4.0%", "19"],
        ["webhook", "0", "–", "–", "–", "–"],
    ]


def test_tables_over_twelve_rows_are_truncated() -> None:
    blocks = table_blocks("By channel", tuple(row(f"channel_{i:02d}", 1000 - i) for i in range(20)))
    lines = table_lines(blocks, "*By channel*")
    assert MAX_TABLE_ROWS == 12
    assert [line.split()[0] for line in lines[:-1]] == [f"channel_{i:02d}" for i in range(12)]  # 10 columns: whole
    assert lines[-1] == "… and 8 more"
    assert "channel_12" not in json.dumps(blocks)
    variation_lines = table_lines(
        table_blocks("By variation", tuple(row(f"V{i}", 10) for i in range(12))), "*By variation*"
    )
    assert len(variation_lines) == 12  # exactly twelve: nothing hidden, no "more" line
    assert "more" not in variation_lines[-1]


def test_long_labels_get_a_legend_and_code_fences_cannot_be_closed() -> None:
    blocks = table_blocks("By variation", (row("A" * 30, 5), row("x```y", 3)))
    lines = table_lines(blocks, "*By variation*")
    assert [line.split()[0] for line in lines] == ["A", "B"]
    (text,) = [t for t in mrkdwn_texts(blocks) if t.startswith("*By variation*")]
    assert text.split("```")[2] == "\n*A* " + "A" * 30 + "\n*B* xʹʹʹy"  # whole names, no fence to close
    short = table_blocks("By variation", (row("x```y", 3),))
    assert table_lines(short, "*By variation*")[0].split()[0] == "x'''y"


def test_one_variation_is_no_breakdown() -> None:
    blocks = report_blocks(summary(day({"email": [{"variation_name": "A", "sent": 5}]})), campaign_name=None)
    assert "By variation" not in json.dumps(blocks) and "*Email*" in json.dumps(blocks)


def test_conversion_events_line_is_shown_only_when_braze_reported_events() -> None:
    figures = {"conversions": 10, "conversions_by_send_time": 5, "conversions1": 3, "conversions1_by_send_time": 2,
               "conversions3": 1}
    line = conversion_events_line(Metrics.of(**figures))
    assert line == (
        "Conversions · primary (A) by send time 5 · event B (2nd): 3 (by send time 2) · "
        "event D (4th): 1 (by send time –)"
    )
    blocks = report_blocks(summary(day(**figures)), campaign_name=None)
    assert sum(wrapped(line) in t for t in mrkdwn_texts(blocks)) == 1  # on lines a phone shows whole

    assert conversion_events_line(Metrics.of(sent=100, conversions=10)) is None
    blocks = report_blocks(summary(day({"email": [{"sent": 100}]}, conversions=10)), campaign_name=None)
    assert not any(t.startswith("Conversions ·") for t in mrkdwn_texts(blocks))
    assert [b["type"] for b in blocks] == [
        "header", "context", "section", "section", "divider", "section", "context", "actions"
    ]


def test_header_context_and_footer() -> None:
    days = (day({"email": [{"sent": 1}]}), day({"email": [{"sent": 1}]}, when="2024-03-12"))
    blocks = report_blocks(summary(*days, window_end=date(2024, 3, 24)), campaign_name="Spring Sale",
                           chart_note="Chart below")
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "📊 Spring Sale", "emoji": True}}
    context = blocks[1]["elements"][0]["text"]
    assert context == (
        "Send `send-0001` · campaign `cmp-spring` · Mar 10, 2024 – Mar 14, 2024 (5 days, 2 with data)\n"
        "Braze keeps this send's analytics until Mar 24, 2024"
    )
    assert blocks[-1]["type"] == "actions"  # re-run and subscribe buttons close the message
    footer = blocks[-2]["elements"][0]["text"]
    assert footer == wrapped(FOOTER) + "\nChart below"  # on lines a phone shows whole
    assert "Unique recipients over several days are the sum of Braze's daily figures" in FOOTER


def test_single_day_without_window_and_default_title() -> None:
    blocks = report_blocks(summary(day(conversions=1), start=START, end=START), campaign_name=None)
    assert blocks[0]["text"]["text"] == "📊 Campaign cmp-spring"
    context = blocks[1]["elements"][0]["text"]
    assert "(1 day, 1 with data)" in context
    assert "keeps this send's analytics" not in context


def test_header_is_at_most_150_characters() -> None:
    blocks = report_blocks(summary(), campaign_name="N" * 400)
    header = blocks[0]["text"]["text"]
    assert utf16_len(header) == 150  # Slack's measure: the emoji is two units
    assert header == "📊 " + "N" * 146 + "…"


def test_slack_limits_hold_for_a_huge_report() -> None:
    ugly = "&<>" * 20
    big = {name: 10**15 for name in ("sent", "delivered", "total_opens", "direct_opens", "body_clicks")}
    messages = {f"{i}{ugly}": [{"variation_name": f"@channel {ugly}{i}", **big}] for i in range(300)}
    figures = {name: 10**15 for name in (
        "conversions", "conversions_by_send_time", "conversions1", "conversions1_by_send_time", "conversions2",
        "conversions2_by_send_time", "conversions3", "conversions3_by_send_time", "unique_recipients"
    )}
    s = summary(day(messages, revenue=10.0**15, **figures), window_end=date(2024, 3, 24), campaign_id="c" * 64,
                send_id="s" * 64)
    assert len(s.channels) == 300 and len(s.variations) == 300
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
    messages = {
        "<!channel>": [{"variation_name": "<!everyone> win", "sent": 5}, {"variation_name": "A & B", "sent": 3}],
        "@here": [{"variation_name": "@everyone", "sent": 4}],
    }
    s = summary(day(messages), campaign_id="<!here>", send_id="@channel")
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
    s = summary(day({"email": [{"sent": 8_000}], "ios_push": [{"sent": 4_000}]}, conversions=1_234))
    assert report_text(s, None) == (
        "Campaign cmp-spring · send send-0001: Sent 12,000 messages: email 8,000, push 4,000; 1,234 conversions"
    )


def test_blocks_to_text_reads_like_slack() -> None:
    blocks = report_blocks(summary(day({"email": [{"sent": 1500}]})), campaign_name="Spring <3")
    text = blocks_to_text(blocks)
    assert text.split("\n") == [
        "📊 SPRING <3",
        "  Send `send-0001` · campaign `cmp-spring` · Mar 10, 2024 – Mar 14, 2024 (5 days, 1 with data)",
        "*Sent 1,500 messages*: email 1,500",
        f"{'*Unique recipients*: –':<44}  *Conversions*: –  (conv. –)",
        f"{'*Revenue*: –':<44}  *Channels*: 1",
        "─" * 60,
        "*Email*",
        "sent 1,500",
        *("  " + wrapped(FOOTER)).split("\n"),
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
        "`@sendstats CAMPAIGN_ID SEND_ID [days]`",
        "`/sendstats find WORDS OF THE NAME`",
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
