"""Report blocks compared whole: every word, number, button value and action ID that Slack is sent.

tests/test_blocks.py checks the rules piece by piece (escaping, limits, dashes); this file pins the
exact message, so a changed label, a lost column heading or a wrong button value fails a test.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from handlers.grammar import help_text
from handlers.layout import blocks as layout
from handlers.layout.blocks import (
    blocks_to_text,
    button,
    button_value,
    display_width,
    fit_table,
    letters,
    notice_blocks,
)
from reports.kinds import Kind, Target
from reports.kinds.send import FOOTER, SEND
from reports.models import Metrics
from reports.parse import parse_series
from reports.summary import Summary, summarise
from reports.views import ReportView, Table, fmt_count, fmt_rate
from reports.views import conversions_line as conversion_events_line

#: The columns of a table (the layout's job; a Canvas report's variants are one), as a send's used to be.
COLUMNS = ("sent", "deliv.", "open", "CTR", "conv.")
HEAD = "       sent deliv.  open  CTR conv."
#: One day of a send as Braze sends it: email and push rows per variation, and Braze's own day figures.
DAY = {
    "time": "2024-03-10",
    "messages": {
        "email": [
            {"variation_name": "Variant A", "sent": 2000, "delivered": 1920, "unique_opens": 400, "unique_clicks": 80},
            {"variation_name": "Control", "sent": 605, "delivered": 585, "unique_opens": 100, "unique_clicks": 10},
        ],
        "ios_push": [
            {"variation_name": "Variant A", "sent": 1000, "delivered": 950, "direct_opens": 50, "total_opens": 70,
             "body_clicks": 20},
        ],
    },
    "unique_recipients": 2600,
    "conversions": 19,
    "conversions1": 3,
    "revenue": 120.5,
}


def md(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def summary(*days: dict[str, Any], window_end: date | None = date(2024, 3, 24)) -> Summary:
    """A send's summary of Mar 10–14, 2024, read from ``days`` (Braze's JSON) by the real parser."""
    series = parse_series({"data": list(days or (DAY,))}, campaign_id="cmp-spring", send_id="send-0001")
    s = summarise(series, start=date(2024, 3, 10), end=date(2024, 3, 14))
    return replace(s, first_day=None if window_end is None else date(2024, 3, 10), window_end=window_end)


def table_blocks(title: str, rows: tuple[tuple[str, tuple[str, ...]], ...]) -> list[dict[str, Any]]:
    """A report whose one detail is a table: how the layout draws any kind's table."""
    view = ReportView(Target(Kind.CANVAS, "cv"), "T", ("x",), (), None, (Table(title, COLUMNS, rows),), "f", ("t",),
                      (7,))
    return layout.report_blocks(view)


def row(label: str, sent: int | None, delivery: float | None = None, open_: float | None = None,
        click: float | None = None, conversions: int | None = None) -> tuple[str, tuple[str, ...]]:
    return label, (fmt_count(sent), fmt_rate(delivery), fmt_rate(open_), fmt_rate(click), fmt_count(conversions))


def report_blocks(s: Summary, *, campaign_name: str | None, chart_note: str | None = None) -> list[dict[str, Any]]:
    """The send report of ``s`` as posted: the kind's view, rendered by the layout."""
    title = SEND.title(campaign_name, Target(Kind.SEND, s.campaign_id, s.send_id))
    return layout.report_blocks(SEND.report_view(s, title=title), chart_note=chart_note)


def report_actions(campaign_id: str, send_id: str) -> dict[str, Any]:
    return layout.report_actions(Target(Kind.SEND, campaign_id, send_id), SEND.rerun_days)


def report_value(campaign_id: str, send_id: str, days: int | None = None) -> str:
    return button_value(Target(Kind.SEND, campaign_id, send_id), days)


def help_blocks() -> list[dict[str, Any]]:
    return notice_blocks(help_text())


def table_text(blocks: list[dict[str, Any]], title: str) -> str:
    (text,) = [b["text"]["text"] for b in blocks if b.get("text", {}).get("text", "").startswith(f"*{title}*")]
    return text


FOOTER_SHOWN = (
    "Each channel shows the metrics Braze reports for it, with its own rates; only messages sent are added "
    "across channels.\n"
    "Unique recipients over several days are the sum of Braze's daily figures,\n"
    "as Braze's dashboard counts them (someone reached on two days counts twice).\n"
    "Conversion rate = conversions (primary event) ÷ that sum.\n"
    "Rates: delivery rate = delivered ÷ sent · unique open rate = unique opens ÷ delivered\n"
    "unique click rate = unique clicks ÷ delivered · click-to-open = unique clicks ÷ unique opens\n"
    "direct open rate = direct opens ÷ sent · total open rate = total opens ÷ sent"
)


def test_a_report_block_by_block() -> None:
    blocks = report_blocks(summary(), campaign_name="Spring", chart_note="📈 Chart below")
    assert blocks == [
        {"type": "header", "text": plain("📊 Spring")},
        {
            "type": "context",
            "elements": [
                md(
                    "Send `send-0001` · campaign `cmp-spring` · Mar 10, 2024 – Mar 14, 2024 (5 days, 1 with data)\n"
                    "Braze keeps this send's analytics until Mar 24, 2024"
                )
            ],
        },
        # 2,000 + 605 email, 1,000 push: sent is the one figure added across channels
        {"type": "section", "text": md("*Sent 3,605 messages*: email 2,605, push 1,000")},
        {
            "type": "section",
            "fields": [
                md("*Unique recipients*\n2,600"),  # Braze's figure for the day (one day: people)
                md("*Conversions*\n19  (conv. 0.7%)"),  # 19 / 2600
                md("*Revenue*\n$120.50"),
                md("*Channels*\n2"),
            ],
        },
        {"type": "context", "elements": [md("Conversions · event B (2nd): 3 (by send time –)")]},
        {"type": "divider"},
        {
            "type": "section",
            "text": md(
                "*Email*\n"
                "sent 2,605 · delivered 2,505 · unique opens 500 · unique clicks 90\n"  # 2000 + 605, 1920 + 585…
                # 2505 / 2605 · 500 / 2505 = 19.96% · 90 / 2505 · 90 / 500: each formula once, in the footer
                "delivery rate 96.2% · unique open rate 20.0% · unique click rate 3.6% · click-to-open 18.0%"
            ),
        },
        {
            "type": "section",
            "text": md(
                "*Push* (iOS push)\n"
                "sent 1,000 · delivered 950 · direct opens 50 · total opens 70 · body clicks 20\n"
                "delivery rate 95.0% · direct open rate 5.0% · total open rate 7.0%"  # push's own 70 opens
            ),
        },
        # a table like the others, at a phone's width
        {
            "type": "section",
            "text": md("*By variation*\n```          Email  Push\nControl     605     –\nVariant A 2,000 1,000```"),
        },
        {"type": "context", "elements": [md(FOOTER_SHOWN + "\n📈 Chart below")]},
        report_actions("cmp-spring", "send-0001"),
    ]
    assert FOOTER == (
        "Each channel shows the metrics Braze reports for it, with its own rates; only messages sent are added "
        "across channels. Unique recipients over several days are the sum of Braze's daily figures, as Braze's "
        "dashboard counts them (someone reached on two days counts twice). "
        "Conversion rate = conversions (primary event) ÷ that sum."
    )


def test_without_a_chart_note_the_footer_is_the_explanation_alone() -> None:
    for empty in ("", None):
        assert not blocks_to_text(report_blocks(summary(), campaign_name=None, chart_note=empty)).endswith("None")
        assert report_blocks(summary(), campaign_name=None, chart_note=empty)[-2]["elements"][0]["text"] == (
            FOOTER_SHOWN
        )


@pytest.mark.parametrize(
    ("label", "legend"),
    [
        ("A" * 13, False),  # 13 + 27 columns of numbers: 40, a phone's width
        ("A" * 14, True),  # one more and the row is "A", with its full name under the table
        ("B" * 30 + "1234567890", True),
    ],
)
def test_a_label_too_long_for_a_phone_becomes_a_letter_with_a_legend(label: str, legend: bool) -> None:
    text = table_text(table_blocks("By variation", (row(label, 5),)), "By variation")
    head, line = text.split("```")[1].split("\n")
    assert line == ("A" if legend else label) + "    5      –    –   –     –"
    assert text.endswith(f"```\n*A* {label}" if legend else "```")
    assert max(display_width(x) for x in (head, line)) <= 40


EMAIL = row("Email", 2605, 2505 / 2605, 440 / 2505, 101 / 2505, 19)


def test_table_columns_line_up_under_their_headings() -> None:
    text = table_text(table_blocks("By channel", (EMAIL,)), "By channel")
    header, email = text.split("```")[1].split("\n")
    assert header == HEAD
    assert header.split() == ["sent", "deliv.", "open", "CTR", "conv."]
    for heading, value in zip(header.split(), email.split()[1:], strict=True):
        assert header.index(heading) + len(heading) == email.index(value) + len(value), heading  # right-aligned


# -- buttons -------------------------------------------------------------------------------------------


def test_report_actions_rerun_for_7_14_30_days_and_subscribe() -> None:
    assert report_actions("cmp-1", "send-1") == {
        "type": "actions",
        "block_id": "sendstats_report_actions",
        "elements": [
            {
                "type": "button",
                "text": plain("7 days"),
                "action_id": "sendstats_rerun_7",
                "value": '{"c":"cmp-1","s":"send-1","d":7}',
            },
            {
                "type": "button",
                "text": plain("14 days"),
                "action_id": "sendstats_rerun_14",
                "value": '{"c":"cmp-1","s":"send-1","d":14}',
            },
            {
                "type": "button",
                "text": plain("30 days"),
                "action_id": "sendstats_rerun_30",
                "value": '{"c":"cmp-1","s":"send-1","d":30}',
            },
            {
                "type": "button",
                "text": plain("Subscribe this channel"),
                "action_id": "sendstats_subscribe",
                "value": '{"c":"cmp-1","s":"send-1"}',
            },
        ],
    }


def test_button_values_are_compact_json_the_action_handlers_read_back() -> None:
    assert report_value("c" * 64, "s" * 64, 100) == '{"c":"' + "c" * 64 + '","s":"' + "s" * 64 + '","d":100}'
    assert json.loads(report_value("cmp-1", "send-1")) == {"c": "cmp-1", "s": "send-1"}
    assert report_value("cmp-1", "send-1", 0) == '{"c":"cmp-1","s":"send-1","d":0}'


def test_button_text_is_cut_to_slacks_75_characters() -> None:
    b = button("x" * 100, "act", "val")
    assert b == {"type": "button", "text": plain("x" * 74 + "…"), "action_id": "act", "value": "val"}
    assert button("x" * 75, "act", "val")["text"] == plain("x" * 75)  # one that fits is never cut
    # Slack counts UTF-16 units: an emoji is two, so 37 of them and "…" make 75
    assert button("😀" * 40, "act", "val")["text"] == plain("😀" * 37 + "…")


# -- conversion events -----------------------------------------------------------------------------------


def test_conversion_events_line_covers_events_1_2_and_3() -> None:
    # Braze's conversions1..3 are the 2nd to 4th conversion events, labelled B-D as in the dashboard (issue 9)
    assert conversion_events_line(Metrics.of(conversions2=4)) == "Conversions · event C (3rd): 4 (by send time –)"
    line = conversion_events_line(Metrics.of(conversions3_by_send_time=1))
    assert line == "Conversions · event D (4th): – (by send time 1)"
    assert conversion_events_line(Metrics.of(conversions_by_send_time=0)) is None  # an event nobody did is noise
    assert conversion_events_line(Metrics.of(conversions1=0, conversions1_by_send_time=0)) is None
    line = conversion_events_line(
        Metrics.of(
            conversions1=1, conversions2=2, conversions2_by_send_time=2, conversions3=3, conversions3_by_send_time=1
        )
    )
    assert line == (
        "Conversions · event B (2nd): 1 (by send time –) · event C (3rd): 2 (by send time 2) · "
        "event D (4th): 3 (by send time 1)"
    )


def test_conversion_events_sit_in_a_context_block_under_the_headline_numbers() -> None:
    s = summary({"time": "2024-03-10", "messages": {"email": [{"sent": 10}]}, "conversions1": 2})
    blocks = report_blocks(s, campaign_name=None)
    assert [b["type"] for b in blocks] == [
        "header", "context", "section", "section", "context", "divider", "section", "context", "actions"
    ]
    assert blocks[4] == {"type": "context", "elements": [md("Conversions · event B (2nd): 2 (by send time –)")]}


# -- help ------------------------------------------------------------------------------------------------


def test_help_text_word_for_word() -> None:
    assert help_blocks() == [
        {
            "type": "section",
            "text": md(
                "*sendstats* brings Braze analytics (sends, campaigns, Canvases) into Slack.\n\n"
                "• `/sendstats` alone\n"
                "  Opens a form: search any campaign or Canvas by name, add a send ID if you want one send, "
                "pick the days; the report is posted in this channel.\n"
                "• `/sendstats find WORDS OF THE NAME`\n"
                "  The best 10 campaigns and Canvases whose name holds every word (any case, accents optional), "
                "with their IDs and Report and Subscribe buttons.\n"
                "• `/sendstats CAMPAIGN_ID SEND_ID [days] [until YYYY-MM-DD]`\n"
                "  A report for one send: totals, rates, breakdowns by channel and variation, and a daily chart. "
                "`days` is 1–100 (default 14, Braze's retention); `until` ends the range on that day (UTC).\n"
                "• `/sendstats campaign CAMPAIGN_ID [days] [until YYYY-MM-DD]`\n"
                "  A campaign report (any campaign: scheduled, action-based, API): each channel with its own "
                "metrics and rates, variations, conversions and a daily chart. `days` is 1–100 (default 30); "
                "`until` ends the range on that day (UTC).\n"
                "• `/sendstats canvas CANVAS_ID [days] [until YYYY-MM-DD]`\n"
                "  A Canvas report: entries, conversions and conversion rate overall and per variant, and a daily "
                "chart. `days` is 1–100 (default 30); `until` ends the range on that day (UTC).\n"
                "• `/sendstats subscribe CAMPAIGN_ID SEND_ID [at HH:MM] [time zone]`\n"
                "  A digest in this channel every day while Braze keeps the send's data (14 days after the send). "
                "Default time 09:00 in your Slack time zone.\n"
                "• `/sendstats subscribe campaign|canvas ID [at HH:MM] [time zone]`\n"
                "  A daily digest of a whole campaign or Canvas. No end date: it ends by itself when Braze reports "
                "it archived, or after 14 days in a row with nothing sent or entered.\n"
                "• `/sendstats unsubscribe CAMPAIGN_ID SEND_ID` or `/sendstats unsubscribe NUMBER` (from `list`)\n"
                "  Stop a digest.\n"
                "• `/sendstats list`\n  This channel's digests.\n"
                # Slack reads `<` and `>` as markup, even in code: they are sent as &lt; and &gt;
                "• `/sendstats alert send CAMPAIGN_ID SEND_ID METRIC &gt; VALUE` or `/sendstats alert campaign "
                "CAMPAIGN_ID METRIC &gt; VALUE` or `/sendstats alert canvas CANVAS_ID METRIC &gt; VALUE`\n"
                "  Watch a metric (`delivery_rate`, `open_rate`, `click_rate`, `bounce_rate`, `unsubscribe_rate`, "
                "`spam_rate`, `conversion_rate`, `sent`; a Canvas has `conversion_rate`) with `&gt;` or `&lt;` a "
                "value, e.g. `bounce_rate &gt; 2%` or `sent &lt; 1000`. Checked every hour on today's data so far "
                "and on each "
                "complete day: one post here when it starts, a reply in its thread when it is back to normal.\n"
                "• `/sendstats alerts`\n  This channel's alerts and where they stand.\n"
                "• `/sendstats alert remove ALERT_ID` (the number `/sendstats alerts` shows)\n  Stop an alert.\n"
                "• `@sendstats CAMPAIGN_ID SEND_ID [days]`, `@sendstats campaign ID [days]` or "
                "`@sendstats canvas ID [days]` in a thread\n"
                "  The report, in that thread (Slack does not allow slash commands in threads).\n\n"
                "Find the IDs in Braze: the campaign's or Canvas's API identifier (on its page in the dashboard) "
                "and the `send_id` your API call used."
            ),
        }
    ]


# -- blocks_to_text --------------------------------------------------------------------------------------


def test_blocks_to_text_renders_every_block_kind() -> None:
    blocks = [
        {"type": "header", "text": plain("Spring & co")},
        {"type": "context", "elements": [md("Send `a` &lt;1&gt;"), {"type": "image", "image_url": "u"}, md("b")]},
        {"type": "divider"},
        {"type": "section", "text": md("*By channel*\n```x &amp; y```")},
        {"type": "section", "fields": [md("*A*\n1\n2"), md("*B*\n22"), md("*C*\n3")]},
        {"type": "image", "image_url": "u", "alt_text": "ignored"},
        {"type": "actions", "elements": [button("7 days", "a7", "v"), button("Go", "g", "v")]},
    ]
    assert blocks_to_text(blocks).split("\n") == [
        "SPRING & CO",
        "  Send `a` <1>    b",  # an image element has no text: an empty slot between the two
        "─" * 60,
        "*By channel*",
        "x & y",
        "*A*: 1",  # only the first line break of a field becomes ": "
        "2" + " " * 36 + "  *B*: 22",  # fields two to a line, each padded to 44
        "*C*: 3",
        "[7 days]  [Go]",
    ]


# -- reused send IDs ---------------------------------------------------------------------------------


def test_a_reused_send_id_is_said_with_the_latest_window() -> None:
    where = "Send `send-0001` · campaign `cmp-spring` · Mar 10, 2024 – Mar 14, 2024 (5 days, 1 with data)\n"
    reused = "this send ID was used for several sends;\nBraze keeps each send's analytics for the send day plus 14 days"
    blocks = report_blocks(replace(summary(), repeated=True), campaign_name=None)
    assert blocks[1] == {"type": "context", "elements": [md(where + reused + " (the latest until Mar 24, 2024)")]}
    blocks = report_blocks(replace(summary(window_end=None), repeated=True), campaign_name=None)
    assert blocks[1] == {"type": "context", "elements": [md(where + reused.replace(";\n", "; "))]}  # 104: one line


# -- widths and labels of the monospace tables -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("abc", 3),
        ("日本", 4),  # wide (W)
        ("ＡＢ", 4),  # full-width (F)
        ("a\u200db", 2),  # a zero-width joiner (Cf) takes no column, and what follows it still counts
        ("e\u0301x", 2),  # a combining accent (Mn, combining class 230)
        ("\u0e01\u0e31x", 2),  # Thai MAI HAN-AKAT: Mn with combining class 0
        ("o\u20ddx", 2),  # an enclosing circle (Me)
        ("", 0),
    ],
)
def test_display_width(text: str, width: int) -> None:
    assert display_width(text) == width


def test_tables_tell_rows_apart_and_keep_every_label_whole() -> None:
    labels = [
        "Spring promo variant A, for everyone who opened in March",
        "Spring promo variant B",
        "日本語のバリエーション名前です",
        "a\u200db",
        "x\ny\t z",
        "",
        "   ",
        "short",
        "short",
    ]
    table = Table("T", ("n",), tuple((label, ("1",)) for label in labels))
    groups, legend = fit_table(table)
    # the first is 56 columns: with the numbers it passes 40, so every row gets a letter
    assert legend == [
        ("A", "Spring promo variant A, for everyone who opened in March"),
        ("B", "Spring promo variant B"),
        ("C", "日本語のバリエーション名前です"),
        ("D", "a b"),
        ("E", "x y z"),
        ("F", "(blank)"),
        ("G", "(blank) (2)"),
        ("H", "short"),
        ("I", "short (2)"),
    ]
    assert groups == [["  n", *(f"{key} 1" for key, _ in legend)]]
    short = Table("T", ("n",), (("short", ("1",)), ("short", ("2",))))
    assert fit_table(short) == ([["          n", "short     1", "short (2) 2"]], [])


def test_columns_that_do_not_fit_continue_in_a_second_part() -> None:
    columns = tuple(f"c{i}" for i in range(8))
    table = Table("T", columns, (("Row", tuple("1,000,000" for _ in columns)),))
    groups, legend = fit_table(table)
    assert legend == []
    # "Row" and three columns of 10 are 33 columns, a fourth would be 43: parts of 3, 3 and 2 columns
    assert [len(g[0].split()) for g in groups] == [3, 3, 2]
    assert [line.split()[0] for g in groups for line in g[1:]] == ["Row", "Row", "Row"]
    assert sum(len(g[0].split()) for g in groups) == 8  # every column, once
    assert max(display_width(line) for g in groups for line in g) <= 40


def test_letters_go_on_past_z() -> None:
    assert letters(3) == ["A", "B", "C"]
    assert letters(28)[25:] == ["Z", "AA", "AB"]


def test_huge_numbers_push_the_row_instead_of_being_cut() -> None:
    text = table_text(table_blocks("By channel", (row("Email", 10**12),)), "By channel")
    assert "1,000,000,000,000" in text
    assert all(display_width(line) <= 40 for line in text.replace("```", "\n").split("\n"))
