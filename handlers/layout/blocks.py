"""Block Kit for reports and help. Pure functions: summary in, JSON-ready blocks out.

Every piece of text that came from a user or from Braze goes through :func:`handlers.layout.text.escape`.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from typing import Any

from handlers.grammar import (
    CAMPAIGN_USAGE,
    CANVAS_USAGE,
    DEFAULT_DAYS,
    FIND_USAGE,
    KIND_DEFAULT_DAYS,
    KIND_SUBSCRIBE_USAGE,
    MAX_DAYS,
    REPORT_USAGE,
    SUBSCRIBE_USAGE,
    UNSUBSCRIBE_USAGE,
)
from handlers.layout.text import escape, fmt_count, fmt_rate, fmt_usd
from reports.kind_daily import QUIET_DAYS_TO_END
from reports.models import Metrics
from reports.summary import RETENTION_DAYS, Breakdown, Rates, Summary, campaign_title

Block = dict[str, Any]
MAX_TABLE_ROWS = 12
RERUN_DAYS = (7, RETENTION_DAYS, 30)
SUBSCRIBE = "sendstats_subscribe"
UNSUBSCRIBE = "sendstats_unsubscribe"
RATE_FORMULAS = (
    "Rates: delivery = delivered ÷ sent · open = total opens ÷ delivered · "
    "click = body clicks ÷ delivered · bounce = bounces ÷ sent · conversion = conversions ÷ unique recipients"
)


def _day(d: date) -> str:
    return f"{d:%b} {d.day}, {d.year}"


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit], "emoji": True}


def _md(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text[:3000]}


def _with_rate(count: int | float | None, rate: float | None, label: str) -> str:
    """A count with its rate; an unknown rate shows as "–", never as a made-up 0%."""
    return f"{fmt_count(count)}  ({label} {fmt_rate(rate)})"


def metric_fields(m: Metrics, r: Rates) -> list[dict[str, str]]:
    """The headline numbers as Block Kit fields (Slack shows them two per row)."""
    get = m.get
    opens = f"{fmt_count(get('total_opens'))} total · {fmt_count(get('direct_opens'))} direct  ({fmt_rate(r.open)})"
    failed = f"{fmt_count(get('undelivered'))} undelivered · {fmt_count(get('delivery_failed'))} failed"
    return [
        _md(f"*Sent*\n{fmt_count(get('sent'))}"),
        _md(f"*Delivered*\n{_with_rate(get('delivered'), r.delivery, 'delivery')}"),
        _md(f"*Opens*\n{opens}"),
        _md(f"*Body clicks*\n{_with_rate(get('body_clicks'), r.click, 'CTR')}"),
        _md(f"*Conversions*\n{_with_rate(get('conversions'), r.conversion, 'conv.')}"),
        _md(f"*Revenue*\n{fmt_usd(get('revenue'))}"),
        _md(f"*Bounces*\n{_with_rate(get('bounces'), r.bounce, 'bounce')}"),
        _md(f"*Not delivered*\n{failed}"),
        _md(f"*Unique recipients*\n{fmt_count(get('unique_recipients'))}"),
    ]


#: Braze's docs: ``conversions`` is the campaign's primary conversion event ("A"); ``conversions1..3``
#: are its 2nd to 4th conversion events, which the dashboard labels "B", "C" and "D".
CONVERSION_LABELS = {1: "B (2nd)", 2: "C (3rd)", 3: "D (4th)"}


def conversion_events_line(m: Metrics) -> str | None:
    """The other conversion events ("B"–"D") with their by-send-time twins, only those Braze reported."""
    parts = []
    if (by_send_time := m.get("conversions_by_send_time")) is not None:
        parts.append(f"primary (A) by send time {fmt_count(by_send_time)}")
    for n in (1, 2, 3):
        value, twin = m.get(f"conversions{n}"), m.get(f"conversions{n}_by_send_time")
        if value is None and twin is None:
            continue
        parts.append(f"event {CONVERSION_LABELS[n]}: {fmt_count(value)} (by send time {fmt_count(twin)})")
    return "Conversions · " + " · ".join(parts) if parts else None


LABEL_WIDTH = 17


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospace font: wide (CJK, most emoji) count 2, combining and
    format characters (zero-width joiners) count 0."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Cf", "Mn", "Me"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _cut(text: str, width: int) -> str:
    """The longest prefix of ``text`` that fits in ``width`` columns."""
    out, used = [], 0
    for char in text:
        w = display_width(char)
        if used + w > width:
            break
        out.append(char)
        used += w
    return "".join(out)


def _cut_end(text: str, width: int) -> str:
    return _cut(text[::-1], width)[::-1]


def table_labels(labels: list[str]) -> list[str]:
    """One line each, at most LABEL_WIDTH columns, and told apart: a long name keeps its start and its
    end (variation names often differ only at the end), and names that still collide get ``#n``."""
    flat = [" ".join("".join(c if c.isprintable() else " " for c in label).split()) or "(blank)" for label in labels]
    shown = []
    for label in flat:
        if display_width(label) <= LABEL_WIDTH:
            shown.append(label)
        else:
            tail = _cut_end(label, 5)
            shown.append(_cut(label, LABEL_WIDTH - 1 - display_width(tail)) + "…" + tail)
    counts: dict[str, int] = {}
    for label in shown:
        counts[label] = counts.get(label, 0) + 1
    seen: dict[str, int] = {}
    for i, label in enumerate(shown):
        if counts[label] > 1:
            seen[label] = seen.get(label, 0) + 1
            mark = f"#{seen[label]}"
            shown[i] = _cut(label, LABEL_WIDTH - 1 - len(mark)) + "…" + mark
    return shown


def cell(text: str, width: int, *, left: bool = False) -> str:
    """Escape first, then pad by what Slack shows (``&amp;`` is one column), so the columns line up.
    Backticks become quotes so a name can never close the code block."""
    pad = " " * max(0, width - display_width(text))
    safe = escape(text.replace("`", "'"))
    return safe + pad if left else pad + safe


def _table(title: str, rows: tuple[Breakdown, ...]) -> Block:
    """A monospace table; Block Kit has no table block that every client renders."""
    columns = (("sent", 10), ("deliv.", 8), ("open", 8), ("CTR", 7), ("conv.", 8))
    lines = [" " * 18 + "".join(cell(name, width) for name, width in columns)]
    shown = rows[:MAX_TABLE_ROWS]
    labels = table_labels([row.label for row in shown])
    for i, row in enumerate(shown):
        r = row.rates
        lines.append(
            cell(labels[i], 18, left=True)
            + cell(fmt_count(row.metrics.get("sent")), 10)
            + cell(fmt_rate(r.delivery), 8)
            + cell(fmt_rate(r.open), 8)
            + cell(fmt_rate(r.click), 7)
            + cell(fmt_count(row.metrics.get("conversions")), 8)
        )
    if len(rows) > MAX_TABLE_ROWS:
        lines.append(f"… and {len(rows) - MAX_TABLE_ROWS} more")
    body = "\n".join(lines)
    return {"type": "section", "text": _md(f"*{title}*\n```{body}```")}


def report_value(campaign_id: str, send_id: str, days: int | None = None) -> str:
    """A button's value (Slack allows 2000 characters; ours are at most ~150)."""
    value: dict[str, Any] = {"c": campaign_id, "s": send_id}
    if days is not None:
        value["d"] = days
    return json.dumps(value, separators=(",", ":"))


def button(text: str, action_id: str, value: str) -> Block:
    return {"type": "button", "text": _plain(text, 75), "action_id": action_id, "value": value}


def report_actions(campaign_id: str, send_id: str) -> Block:
    """Re-run for another range (answered in the report's thread) or subscribe the channel."""
    elements = [
        button(f"{days} days", f"sendstats_rerun_{days}", report_value(campaign_id, send_id, days))
        for days in RERUN_DAYS
    ]
    elements.append(button("Subscribe this channel", SUBSCRIBE, report_value(campaign_id, send_id)))
    return {"type": "actions", "block_id": "sendstats_report_actions", "elements": elements}


def report_title(summary: Summary, campaign_name: str | None) -> str:
    return campaign_title(campaign_name, summary.campaign_id)


def report_text(summary: Summary, campaign_name: str | None) -> str:
    """Notification/fallback text (what a screen reader or a push preview shows)."""
    m, r = summary.totals, summary.rates
    return escape(
        f"{report_title(summary, campaign_name)} · send {summary.send_id}: {fmt_count(m.get('sent'))} sent, "
        f"{fmt_rate(r.delivery)} delivered, {fmt_rate(r.open)} open rate, {fmt_count(m.get('conversions'))} conversions"
    )


def report_blocks(summary: Summary, *, campaign_name: str | None, chart_note: str | None = None) -> list[Block]:
    """The report message: header, range, headline numbers, breakdowns, formulas."""
    days = (summary.end - summary.start).days + 1
    where = f"Send `{escape(summary.send_id)}` · campaign `{escape(summary.campaign_id)}`"
    span = f"{_day(summary.start)} – {_day(summary.end)} ({days} day{'s' if days != 1 else ''}"
    span += f", {summary.days_with_data} with data)"
    context = [where, span]
    if summary.repeated:
        context.append(
            "this send ID was used for several sends; Braze keeps each send's analytics for the send day plus "
            f"{RETENTION_DAYS} days" + (f" (the latest until {_day(summary.window_end)})" if summary.window_end else "")
        )
    elif summary.window_end is not None:
        context.append(f"Braze keeps this send's analytics until {_day(summary.window_end)}")
    blocks: list[Block] = [
        {"type": "header", "text": _plain(f"📊 {report_title(summary, campaign_name)}")},
        {"type": "context", "elements": [_md(" · ".join(context))]},
        {"type": "section", "fields": metric_fields(summary.totals, summary.rates)},
    ]
    if line := conversion_events_line(summary.totals):
        blocks.append({"type": "context", "elements": [_md(line)]})
    blocks.append({"type": "divider"})
    if summary.by_channel:
        blocks.append(_table("By channel", summary.by_channel))
    if summary.by_variation:
        blocks.append(_table("By variation", summary.by_variation))
    footer = RATE_FORMULAS + (f"\n{chart_note}" if chart_note else "")
    blocks.append({"type": "context", "elements": [_md(footer)]})
    blocks.append(report_actions(summary.campaign_id, summary.send_id))
    return blocks


def help_blocks() -> list[Block]:
    """What every command does, shown for ``/sendstats help`` (a bare ``/sendstats`` opens the modal)."""
    text = (
        "*sendstats* brings Braze analytics (sends, campaigns, Canvases) into Slack.\n\n"
        "• `/sendstats` alone\n  Opens a form: search any campaign or Canvas by name, add a send ID if you "
        "want one send, pick the days; the report is posted in this channel.\n"
        f"• {FIND_USAGE}\n  The best 10 campaigns and Canvases whose name holds every word (any case, accents "
        "optional), with their IDs and Report and Subscribe buttons.\n"
        f"• {REPORT_USAGE}\n  A report for one send: totals, rates, breakdowns by channel and variation, and a "
        f"daily chart. `days` is 1–{MAX_DAYS} (default {DEFAULT_DAYS}, Braze's retention); "
        "`until` ends the range on that day (UTC).\n"
        f"• {CAMPAIGN_USAGE}\n  A campaign report (any campaign: scheduled, action-based, API): each channel with "
        "its own metrics and rates, variations, conversions and a daily chart. "
        f"`days` is 1–{MAX_DAYS} (default {KIND_DEFAULT_DAYS}).\n"
        f"• {CANVAS_USAGE}\n  A Canvas report: entries, conversions and conversion rate overall and per "
        f"variant, and a daily chart. `days` is 1–{MAX_DAYS} (default {KIND_DEFAULT_DAYS}).\n"
        f"• {SUBSCRIBE_USAGE}\n  A digest in this channel every day while Braze keeps the send's data "
        f"({RETENTION_DAYS} days after the send). Default time 09:00 in your Slack time zone.\n"
        f"• {KIND_SUBSCRIBE_USAGE}\n  A daily digest of a whole campaign or Canvas. No end date: it ends by itself "
        f"when Braze reports it archived, or after {QUIET_DAYS_TO_END} days in a row with nothing sent or entered.\n"
        f"• {UNSUBSCRIBE_USAGE}\n  Stop a digest.\n"
        "• `/sendstats list`\n  This channel's digests.\n"
        "• `@sendstats <campaign_id> <send_id> [days]`, `@sendstats campaign <id> [days]` or "
        "`@sendstats canvas <id> [days]` in a thread\n  The report, in that thread "
        "(Slack does not allow slash commands in threads).\n\n"
        "Find the IDs in Braze: the campaign's or Canvas's API identifier (on its page in the dashboard) "
        "and the `send_id` your API call used."
    )
    return [{"type": "section", "text": _md(text)}]


def notice_blocks(text: str) -> list[Block]:
    """A one-section message (errors, confirmations)."""
    return [{"type": "section", "text": _md(text)}]


def blocks_to_text(blocks: list[Block]) -> str:
    """Render blocks roughly as Slack shows them, for the demo and for readable test failures."""
    out: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            out.append(block["text"]["text"].upper())
        elif kind == "divider":
            out.append("─" * 60)
        elif kind == "context":
            out.append("  " + "  ".join(e.get("text", "") for e in block["elements"]))
        elif kind == "section":
            if "text" in block:
                out.append(block["text"]["text"].replace("```", ""))
            for i in range(0, len(block.get("fields", [])), 2):
                pair = [f["text"].replace("\n", ": ", 1) for f in block["fields"][i : i + 2]]
                out.append("  ".join(f"{p:<44}" for p in pair).rstrip())
        elif kind == "actions":
            out.append("  ".join(f"[{e['text']['text']}]" for e in block["elements"]))
    return "\n".join(out).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
