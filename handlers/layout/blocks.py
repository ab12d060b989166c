"""Block Kit for reports of every kind: one renderer of :class:`reports.views.ReportView`, the tables,
the buttons, and one-section notices. Pure functions: views in, JSON-ready blocks out.

Every span of text a view holds (names and IDs from users or Braze among them) is escaped here, once,
by :func:`handlers.layout.text.escape`.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from handlers.layout.text import escape
from reports.kinds import Target
from reports.views import Code, Detail, Emphasis, Figure, Line, Note, ReportView, Section, Strong, Table

Block = dict[str, Any]
MAX_TABLE_ROWS = 12
#: Columns a table label may take; the label column is one wider, so a space always follows it.
LABEL_WIDTH = 17
SUBSCRIBE = "sendstats_subscribe"
UNSUBSCRIBE = "sendstats_unsubscribe"
#: The Subscribe button of campaign/Canvas reports and ``find`` results (value: ``{"k", "i"}``).
KIND_SUBSCRIBE = "sendstats_subscribe_kind"
#: ``sendstats_rerun_14`` (a send), ``sendstats_rerun_campaign_30``, ``sendstats_rerun_canvas_7``…
RERUN_PREFIX = "sendstats_rerun_"


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit], "emoji": True}


def md(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text[:3000]}


def mrkdwn(line: Line) -> str:
    """A view's line as Slack mrkdwn, every span escaped."""
    out = []
    for span in line:
        if isinstance(span, Code):
            out.append(f"`{escape(span.text)}`")
        elif isinstance(span, Strong):
            out.append(f"*{escape(span.text)}*")
        elif isinstance(span, Emphasis):
            out.append(f"_{escape(span.text)}_")
        else:
            out.append(escape(span))
    return "".join(out)


def context(text: str) -> Block:
    return {"type": "context", "elements": [md(text)]}


def section(text: str) -> Block:
    return {"type": "section", "text": md(text)}


def field(figure: Figure) -> dict[str, str]:
    """A headline number as a Block Kit field (Slack shows them two per row)."""
    return md(f"*{escape(figure.label)}*\n{escape(figure.value)}")


# -- tables --------------------------------------------------------------------------------------------


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


def table_block(table: Table) -> Block:
    """A monospace table; Block Kit has no table block that every client renders."""
    label = LABEL_WIDTH + 1
    lines = [" " * label + "".join(cell(name, width) for name, width in table.columns)]
    shown = table.rows[:MAX_TABLE_ROWS]
    labels = table_labels([row[0] for row in shown])
    for i, (_, values) in enumerate(shown):
        cells = "".join(cell(value, width) for value, (_, width) in zip(values, table.columns, strict=True))
        lines.append(cell(labels[i], label, left=True) + cells)
    if len(table.rows) > MAX_TABLE_ROWS:
        lines.append(f"… and {len(table.rows) - MAX_TABLE_ROWS} more")
    body = "\n".join(lines)
    return section(f"*{escape(table.title)}*\n```{body}```")


def detail_block(detail: Detail) -> Block:
    if isinstance(detail, Table):
        return table_block(detail)
    if isinstance(detail, Section):
        return section("\n".join(mrkdwn(line) for line in detail.lines))
    assert isinstance(detail, Note)
    return context(mrkdwn(detail.line))


# -- buttons -------------------------------------------------------------------------------------------
# Sends were reported first: their buttons carry ``{"c", "s", "d"}`` and ``sendstats_rerun_<days>``; every
# other kind ``{"k", "i", "d"}`` and ``sendstats_rerun_<kind>_<days>``. Buttons already posted in channels
# keep working, so both stay; the target's send ID decides, here and nowhere else.


def button_value(target: Target, days: int | None = None) -> str:
    """A button's value (Slack allows 2000 characters; ours are at most ~150)."""
    value: dict[str, Any] = {"c": target.object_id, "s": target.send_id} if target.send_id else {
        "k": str(target.kind), "i": target.object_id
    }
    if days is not None:
        value["d"] = days
    return json.dumps(value, separators=(",", ":"))


def rerun_action(target: Target, days: int) -> str:
    return f"{RERUN_PREFIX}{days}" if target.send_id else f"{RERUN_PREFIX}{target.kind}_{days}"


def button(text: str, action_id: str, value: str) -> Block:
    return {"type": "button", "text": plain(text, 75), "action_id": action_id, "value": value}


def rerun_button(target: Target, days: int, text: str) -> Block:
    return button(text, rerun_action(target, days), button_value(target, days))


def report_actions(target: Target, rerun_days: tuple[int, ...]) -> Block:
    """Re-run for another range (answered in the report's thread) or subscribe the channel."""
    elements = [rerun_button(target, days, f"{days} days") for days in rerun_days]
    elements.append(button("Subscribe this channel", SUBSCRIBE if target.send_id else KIND_SUBSCRIBE,
                           button_value(target)))
    block_id = "sendstats_report_actions" if target.send_id else f"sendstats_{target.kind}_actions"
    return {"type": "actions", "block_id": block_id, "elements": elements}


# -- messages ------------------------------------------------------------------------------------------


def report_blocks(view: ReportView, *, chart_note: str | None = None) -> list[Block]:
    """The report message: header, what was asked, headline numbers, details, formulas, buttons."""
    blocks: list[Block] = [
        {"type": "header", "text": plain(f"📊 {view.title}")},
        context(mrkdwn(view.context)),
    ]
    if view.sent is not None:  # messages sent across channels, before the figures and channel sections
        blocks.append(section(mrkdwn(view.sent.line)))
    blocks.append({"type": "section", "fields": [field(f) for f in view.figures]})
    if view.figures_note:
        blocks.append(context(mrkdwn(view.figures_note)))
    blocks.append({"type": "divider"})
    blocks += [detail_block(detail) for detail in view.details]
    blocks.append(context(escape(view.footer + (f"\n{chart_note}" if chart_note else ""))))
    blocks.append(report_actions(view.target, view.rerun_days))
    return blocks


def report_text(view: ReportView) -> str:
    """Notification/fallback text (what a screen reader or a push preview shows)."""
    return mrkdwn(view.text)


def notice_blocks(text: str) -> list[Block]:
    """A one-section message (errors, confirmations, help)."""
    return [section(text)]


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
