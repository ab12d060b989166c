"""Block Kit for reports of every kind: one renderer of :class:`reports.views.ReportView`, the tables,
the buttons, and one-section notices. Pure functions: views in, JSON-ready blocks out.

Every span of text a view holds (names and IDs from users or Braze among them) is escaped here, once,
by :func:`handlers.layout.text.escape`.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import replace
from typing import Any

from handlers.layout.text import ELLIPSIS, escape, fit, neutral, plain_name, utf16_len
from reports.kinds import Target
from reports.views import (
    LINE_CHARS,
    Code,
    Detail,
    Emphasis,
    Figure,
    Line,
    Measure,
    Note,
    ReportView,
    Section,
    Shift,
    Strong,
    Table,
    Verdict,
    wrap,
)

Block = dict[str, Any]
MAX_TABLE_ROWS = 12
#: Columns a phone shows in a code block without wrapping.
TABLE_WIDTH = 40
#: Row labels this short ("Android push") stay in a table that is too wide; its columns are split instead.
SHORT_LABEL = 12
#: A column heading is a word or two ("Email", "conv."); a longer one is cut to this many columns.
HEADING_WIDTH = 12
#: Tables of at most this many rows may be turned to fit a phone (see :func:`fit_table`).
MAX_TURNED = 4
#: Slack's limits, in UTF-16 units: a section's text, a field's text, a header, a button or option.
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
HEADER_LIMIT = 150
LABEL_LIMIT = 75
SUBSCRIBE = "sendstats_subscribe"
UNSUBSCRIBE = "sendstats_unsubscribe"
#: The Subscribe button of campaign/Canvas reports and ``find`` results (value: ``{"k", "i"}``).
KIND_SUBSCRIBE = "sendstats_subscribe_kind"
#: ``sendstats_rerun_14`` (a send), ``sendstats_rerun_campaign_30``, ``sendstats_rerun_canvas_7``…
RERUN_PREFIX = "sendstats_rerun_"
FENCE = "```"


def plain(text: str, limit: int = HEADER_LIMIT) -> dict[str, Any]:
    """Plain text cut by Slack's measure, ending with "…" when cut."""
    return {"type": "plain_text", "text": fit(text, limit), "emoji": True}


def shorten(text: str, limit: int = SECTION_LIMIT) -> str:
    """A mrkdwn text that fits ``limit``: whole lines kept, and a last line saying how many were left out
    (never a silent cut mid-word). Builders split long texts into several sections first
    (:func:`sections`); this is the backstop."""
    if utf16_len(text) <= limit:
        return text
    lines = text.split("\n")
    for more in range(1, len(lines)):
        head = "\n".join(lines[:-more])
        tail = f"\n{ELLIPSIS} and {more} more line{'s' if more != 1 else ''}"
        if utf16_len(head + tail) <= limit and head.count(FENCE) % 2 == 0:
            return head + tail
    marker = " (cut: too long for one Slack section)"
    return fit(text.replace(FENCE, "'''"), limit - utf16_len(marker)) + marker


def md(text: str, limit: int = SECTION_LIMIT) -> dict[str, str]:
    return {"type": "mrkdwn", "text": shorten(text, limit)}


def mrkdwn(line: Line) -> str:
    """A view's line as Slack mrkdwn, every span escaped (and a name inside formatting neutralised)."""
    out = []
    for span in line:
        if isinstance(span, Code):
            out.append(f"`{escape(span.text.replace('`', 'ʹ'))}`")
        elif isinstance(span, Strong):
            out.append(f"*{escape(neutral(span.text))}*")
        elif isinstance(span, Emphasis):
            out.append(f"_{escape(neutral(span.text))}_")
        else:
            out.append(escape(span))
    return "".join(out)


def context(text: str) -> Block:
    return {"type": "context", "elements": [md(text)]}


def section(text: str) -> Block:
    return {"type": "section", "text": md(text)}


def sections(lines: list[str], limit: int = SECTION_LIMIT) -> list[Block]:
    """Lines as as few sections as fit Slack's limit, every line whole (a single line too long for a
    section is shortened, saying so): nothing is left out without a word."""
    groups: list[list[str]] = [[]]
    for line in lines:
        if groups[-1] and utf16_len("\n".join([*groups[-1], line])) > limit:
            groups.append([])
        groups[-1].append(line)
    return [section("\n".join(group)) for group in groups if group]


def field(figure: Figure) -> dict[str, str]:
    """A headline number as a Block Kit field (Slack shows them two per row)."""
    return md(f"*{escape(neutral(figure.label))}*\n{escape(figure.value)}", FIELD_LIMIT)


#: No line of a message runs past this (on a phone that is already three lines).
LINE_LIMIT = 120


def wrapped(text: str, sep: str = " · ", limit: int = LINE_LIMIT) -> str:
    """``a · b · c`` items on short lines; a line of prose still past :data:`LINE_LIMIT` goes on at its
    sentences (``. ``), then its clauses (``; ``, ``, ``)."""
    lines = [line for paragraph in text.split("\n") for line in wrap(paragraph.split(sep), sep=sep)]
    for stop in (". ", "; ", ", "):
        lines = [part for line in lines for part in (
            wrap([p + stop.strip() for p in line.split(stop)[:-1]] + line.split(stop)[-1:], sep=" ")
            if len(line) > limit else [line]
        )]
    return "\n".join(part for line in lines for part in (_words(line) if len(line) > limit else [line]))


def _words(line: str) -> list[str]:
    """A line with no sentence or clause to break at, broken between words (never inside ``*bold*``)."""
    out = [""]
    for word in line.split(" "):
        if out[-1] and len(out[-1]) + 1 + len(word) > LINE_CHARS and out[-1].count("*") % 2 == 0:
            out.append(word)
        else:
            out[-1] = f"{out[-1]} {word}" if out[-1] else word
    return out


# -- the verdict -----------------------------------------------------------------------------------------

_SINGULAR = {"conversions": "conversion", "entries": "entry", "opens": "open"}


def rounded(value: float, style: str) -> str:
    """A verdict's number, rounded for reading: ``97%``, ``3.4%``, ``$18.52``, ``$640``, ``$2.6k``, ``$103k``,
    ``1.2M``; counts under a million stay exact."""
    if style == "rate":
        return f"{value * 100:.0f}%" if abs(value) >= 0.1 else f"{value * 100:.1f}%"
    money = "$" if style == "usd" else ""
    size = abs(value)
    if size >= 1_000_000:
        return f"{money}{value / 1_000_000:.1f}M"
    if style == "usd" and size >= 10_000:
        return f"${value / 1000:.0f}k"
    if style == "usd" and size >= 1000:
        return f"${value / 1000:.1f}k"
    if style == "usd" and size < 100:
        return f"${value:,.2f}"
    return f"{money}{value:,.0f}"


def measure_words(measure: Measure) -> str | None:
    if measure.value is None:
        return None
    number = rounded(measure.value, measure.style)
    if measure.style == "usd":
        return number if measure.inside else f"{number} {measure.words}"
    words = _SINGULAR.get(measure.words, measure.words) if measure.value == 1 else measure.words
    return f"{number} {words}"


def shift_words(shift: Shift) -> str:
    """``Conversions ▲ 12% in the last 7 days against the 7 before (1,205 → 1,350)``."""
    label = shift.label[:1].upper() + shift.label[1:]
    move = shift.relative
    values = f"({rounded(shift.before, shift.style)} → {rounded(shift.now, shift.style)})"
    if round(abs(move) * 100) == 0:
        return f"{label} unchanged {shift.against} {values}"
    arrow = "▲" if move > 0 else "▼"  # pragma: no mutate (move is never 0 here: 0% returned "unchanged" above)
    return f"{label} {arrow} {abs(move) * 100:.0f}% {shift.against} {values}"


def verdict_words(verdict: Verdict) -> str:
    """``Mar 17: 390 sent · 3,284 opens · 105 conversions ($2.6k)``: the numbers a reader needs first."""
    parts: list[str] = [verdict.status] if verdict.status else []
    for measure in verdict.measures:
        words = measure_words(measure)
        if words is None or (measure.inside and not measure.value):
            continue
        if measure.inside and parts:
            parts[-1] += f" ({words})"
        else:
            parts.append(words)
    line = " · ".join(parts) or "nothing to report"
    return f"{verdict.when}: {line}" if verdict.when else line


def verdict_block(verdict: Verdict) -> Block:
    """The verdict in bold, and the change that matters under it."""
    lines = [f"*{escape(verdict_words(verdict))}*"]
    if verdict.shift is not None:
        lines.append(escape(shift_words(verdict.shift)))
    return section("\n".join(lines))


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


def cut_to(text: str, width: int) -> str:
    """``text`` if it takes at most ``width`` columns, else its longest start that does with "…"."""
    if display_width(text) <= width:
        return text
    out, used = [], 1
    for char in text:
        used += display_width(char)
        if used > width:
            break
        out.append(char)
    return "".join(out) + ELLIPSIS


def one_line(label: str) -> str:
    """A label on one line, control characters as spaces; "(blank)" for nothing."""
    return " ".join("".join(c if c.isprintable() else " " for c in label).split()) or "(blank)"


def told_apart(names: list[str]) -> list[str]:
    """Names shown twice get their count: ``Control``, ``Control (2)``."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def letters(n: int) -> list[str]:
    """``A`` … ``Z``, then ``AA``, ``AB`` …: the short keys of a legend."""
    out = []
    for i in range(1, n + 1):
        key = ""
        while i:
            i, rest = divmod(i - 1, 26)
            key = chr(ord("A") + rest) + key
        out.append(key)
    return out


def cell(text: str, width: int, *, left: bool = False) -> str:
    """Escape first, then pad by what Slack shows (``&amp;`` is one column), so the columns line up.
    Backticks become quotes so a name can never close the code block."""
    text = text.replace("`", "'")
    pad = " " * max(0, width - display_width(text))
    safe = escape(text)
    return safe + pad if left else pad + safe


def fit_table(table: Table, *, turn: bool = True) -> tuple[list[list[str]], list[tuple[str, str]]]:
    """The table as monospace line groups, every line at most :data:`TABLE_WIDTH` columns, and its legend.

    Row labels are shown whole when they fit beside the numbers, or when they are short (a channel's
    name); otherwise every row gets a letter and the legend under the table holds the full names (a cut
    name is unrecognisable). A table of a few rows and many columns (two or three variations, a dozen
    figures each) is turned, one row per figure and a lettered column per row, when that fits a phone in
    one piece; otherwise columns that do not fit continue in a second part with the same row labels. No
    figure is dropped."""
    groups, legend = _fit(table)
    if turn and len(groups) > 1 and 1 < len(table.rows) <= MAX_TURNED:
        keys = letters(len(table.rows))
        turned = replace(table, columns=tuple(keys), rows=tuple(
            (heading, tuple(values[i] for _, values in table.rows)) for i, heading in enumerate(table.columns)
        ))
        turned_groups, _ = _fit(turned)
        if len(turned_groups) == 1:
            names = told_apart([one_line(label) for label, _ in table.rows])
            return turned_groups, list(zip(
                keys,
                names,
                strict=True,  # pragma: no mutate (keys and names both hold one entry per row)
            ))
    return groups, legend


def _fit(table: Table) -> tuple[list[list[str]], list[tuple[str, str]]]:
    shown = table.rows[:MAX_TABLE_ROWS]
    names = told_apart([one_line(label) for label, _ in shown])
    headings = [cut_to(one_line(heading), HEADING_WIDTH) for heading in table.columns]
    widths = [
        max(display_width(text) for text in [heading, *(values[i] for _, values in shown)])
        for i, heading in enumerate(headings)
    ]
    label_width = max((display_width(name) for name in names), default=0)
    legend: list[tuple[str, str]] = []
    if label_width + sum(1 + w for w in widths) > TABLE_WIDTH and label_width > SHORT_LABEL:
        keys = letters(len(names))
        legend = list(
            zip(
                keys,
                names,
                strict=True,  # pragma: no mutate (a letter is made for each name)
            )
        )
        names, label_width = keys, max(len(k) for k in keys)  # a label wider than SHORT_LABEL: keys is not empty
    parts: list[list[int]] = [[]]
    used = label_width
    for i, w in enumerate(widths):
        if parts[-1] and used + 1 + w > TABLE_WIDTH:
            parts.append([])
            used = label_width
        parts[-1].append(i)
        used += 1 + w
    groups = []
    for columns in parts:
        lines = [" " * label_width + "".join(cell(headings[i], widths[i] + 1) for i in columns)]
        for name, (_, values) in zip(
            names,
            shown,
            strict=True,  # pragma: no mutate (a name, or its letter, is made for each row shown)
        ):
            lines.append(cell(name, label_width, left=True) + "".join(cell(values[i], widths[i] + 1) for i in columns))
        groups.append(lines)
    if len(table.rows) > MAX_TABLE_ROWS:
        groups[-1].append(f"{ELLIPSIS} and {len(table.rows) - MAX_TABLE_ROWS} more")
    return groups, legend


def table_blocks(table: Table) -> list[Block]:
    """A monospace table at phone width (see :func:`fit_table`), then its legend, if any."""
    groups, legend = fit_table(table)
    body = "\n".join(FENCE + "\n".join(lines) + FENCE for lines in groups)
    lines = [f"*{escape(neutral(table.title))}*\n{body}"]
    lines += [f"*{key}* {escape(plain_name(name))}" for key, name in legend]  # whole names, up to NAME_LIMIT
    return sections(lines)


def detail_blocks(detail: Detail) -> list[Block]:
    if isinstance(detail, Table):
        return table_blocks(detail)
    if isinstance(detail, Section):
        return sections([mrkdwn(line) for line in detail.lines])
    assert isinstance(detail, Note)
    return [context(mrkdwn(detail.line))]


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
    return {"type": "button", "text": plain(text, LABEL_LIMIT), "action_id": action_id, "value": value}


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
    """The report message, read first on a phone: the header, the verdict (rounded numbers and the one
    change that matters), what was asked, then the details with every exact figure (messages sent across
    channels first), the formulas once, and the buttons."""
    blocks: list[Block] = [{"type": "header", "text": plain(f"📊 {view.title}")}]
    if view.verdict is not None:
        blocks.append(verdict_block(view.verdict))
    blocks.append(context(wrapped(mrkdwn(view.context))))
    if view.sent is not None:  # messages sent across channels: the first of the details, under the verdict
        blocks.append(section(wrapped(mrkdwn(view.sent.line), sep=", ")))
    blocks.append({"type": "section", "fields": [field(f) for f in view.figures]})
    if view.figures_note:
        blocks.append(context(wrapped(mrkdwn(view.figures_note))))
    blocks.append({"type": "divider"})
    for detail in view.details:
        blocks += detail_blocks(detail)
    blocks.append(context(escape(wrapped(view.footer) + (f"\n{chart_note}" if chart_note else ""))))
    blocks.append(report_actions(view.target, view.rerun_days))
    return blocks


def report_text(view: ReportView) -> str:
    """Notification/fallback text (what a screen reader or a push preview shows): the verdict after the
    report's name, so the push preview is the five-second read; the kind's own summary without one."""
    if view.verdict is None:
        return mrkdwn(view.text)
    return escape(f"{view.title}: {verdict_words(view.verdict)}")


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
