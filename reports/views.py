"""What a report or digest says, as typed content with no Slack in it: the kinds build these views,
and ``handlers.layout`` renders any kind's view into Block Kit once.

Text is a :data:`Line` of spans: plain strings (names and IDs from users or Braze included, never
pre-escaped), :class:`Code`, :class:`Strong` and :class:`Emphasis`. The renderer escapes every span, so
no kind can forget to. Numbers are formatted here, the same way on every surface.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from reports.kinds import Target
from reports.models import Metrics

DASH = "–"
#: Braze's docs: ``conversions`` is the primary conversion event ("A"); ``conversions1..3`` are the 2nd to
#: 4th events, which the dashboard labels "B", "C" and "D".
CONVERSION_LABELS = {1: "B (2nd)", 2: "C (3rd)", 3: "D (4th)"}


@dataclass(frozen=True, slots=True)
class Code:
    """An ID or a command, shown as code."""

    text: str


@dataclass(frozen=True, slots=True)
class Strong:
    text: str


@dataclass(frozen=True, slots=True)
class Emphasis:
    text: str


Span = str | Code | Strong | Emphasis
Line = tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Figure:
    """One headline number: its label and its value as shown ("1,234  (delivery 97.0%)")."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of figures under column headings (one row per channel, variation or variant)."""

    title: str
    #: Column headings, a few characters each (the layout sizes the columns and fits the table to a phone).
    columns: tuple[str, ...]
    #: (label, one value per column)
    rows: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class Section:
    """Lines that belong together (one channel's counts and rates, a list of variations)."""

    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Note:
    """Small print under what it qualifies."""

    line: Line


Detail = Table | Section | Note


@dataclass(frozen=True, slots=True)
class SentHeadline:
    """Messages sent across all channels, before the per-channel sections: ``sent`` means the same in
    every channel, so it is the one figure added across them (each channel's rates stay its own)."""

    total: int
    #: (channel, messages sent) of each channel that reports ``sent``, most first.
    by_channel: tuple[tuple[str, int], ...]

    @property
    def line(self) -> Line:
        """**Sent 744,429 messages**: email 512,000, push 201,000, SMS 31,429"""
        noun = "message" if self.total == 1 else "messages"
        parts = ", ".join(f"{channel} {fmt_count(sent)}" for channel, sent in self.by_channel)
        return (Strong(f"Sent {fmt_count(self.total)} {noun}"), f": {parts}")

    @property
    def text(self) -> str:
        return "".join(span.text if isinstance(span, Strong) else str(span) for span in self.line)


@dataclass(frozen=True, slots=True)
class RateView:
    """The variations compared on one rate (``reports.comparison``): its label, the control and why it
    is the control, and one sentence per other variation (``decisive``: beyond the noise, after Holm)."""

    label: str
    control: str
    control_why: str
    sentences: tuple[str, ...]
    decisive: tuple[bool, ...]


@dataclass(frozen=True, slots=True)
class ComparisonView:
    """The variant comparison of a report or digest: the rates shown, primary first, and how many more
    were compared than shown."""

    rates: tuple[RateView, ...]
    more: int = 0
    #: Where the rates not shown are compared ("the full report"); None: nowhere else.
    elsewhere: str | None = None


@dataclass(frozen=True, slots=True)
class Measure:
    """One number of a verdict, exact here; the layout words it and may round it ("$103k", "97%").

    ``style`` is ``count``, ``rate`` (a fraction) or ``usd``; ``words`` follow the number ("sent",
    "delivered", "conversions"). A measure ``inside`` the one before is shown in brackets after it:
    "1,716 conversions ($103k)"."""

    value: float | None
    words: str
    style: str = "count"
    inside: bool = False


@dataclass(frozen=True, slots=True)
class Shift:
    """The one change that matters: ``label`` went from ``before`` to ``now``, against ``against`` ("Mar 16",
    "the 7 days before"). None of a verdict when nothing could be compared soundly."""

    label: str
    now: float
    before: float
    against: str
    style: str = "count"

    @property
    def relative(self) -> float:
        return (self.now - self.before) / self.before


@dataclass(frozen=True, slots=True)
class Verdict:
    """What happened, first: a few rounded numbers, or a status in their place ("sending finished
    Mar 14", "no activity"), and the one change that matters. ``when`` names the day of a digest."""

    measures: tuple[Measure, ...]
    shift: Shift | None = None
    when: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class ReportView:
    """An on-demand report: header, what was asked, headline figures, details, how to read them."""

    target: Target
    title: str
    #: What was asked: the kind and its IDs, the range, and what Braze keeps.
    context: Line
    figures: tuple[Figure, ...]
    #: Under the figures (the other conversion events), if any.
    figures_note: Line | None
    details: tuple[Detail, ...]
    #: How the numbers are computed (rate formulas).
    footer: str
    #: The notification (push preview, screen reader).
    text: Line
    #: The ranges offered for a re-run, in days.
    rerun_days: tuple[int, ...]
    #: Messages sent across all channels, shown before the figures (a campaign's or a send's), if any.
    sent: SentHeadline | None = None
    #: The variations compared, when there are two or more (``reports.comparison``).
    comparison: ComparisonView | None = None
    #: The line read first (a report without one opens with its figures).
    verdict: Verdict | None = None


@dataclass(frozen=True, slots=True)
class DigestView:
    """A daily digest: the latest day against the one before, the totals of its range, and whether it
    is the last one."""

    target: Target
    title: str
    final: bool
    context: Line
    #: "Mar 17, change against the day before", or "No activity on Mar 17."
    day: Line
    #: The day's figures with their change (none on a quiet day).
    figures: tuple[Figure, ...]
    #: The totals of the digest's range, one line.
    totals: Line | None
    #: On the last digest: why it is the last.
    last: Line | None
    #: What the chart in the thread shows ("the series so far").
    chart_span: str
    #: Days of the "Full report" button.
    report_days: int
    text: Line
    #: Metrics far from their usual level that day, one sentence each (the digest's anomaly flags).
    flags: tuple[str, ...] = ()
    #: The variations compared over the digest's range, when there are two or more.
    comparison: ComparisonView | None = None
    #: The days whose data the digest's CSV button uploads (its range); None: no button.
    data_span: tuple[date, date] | None = None
    verdict: Verdict | None = None


# -- numbers and days -----------------------------------------------------------------------------------


def fmt_count(value: int | float | None) -> str:
    return DASH if value is None else f"{int(value):,}"


def fmt_rate(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


def fmt_usd(value: float | None) -> str:
    return DASH if value is None else f"${value:,.2f}"


def fmt_metric(name: str, value: int | float | None) -> str:
    """Revenue as money, anything else as a count."""
    return fmt_usd(value) if name == "revenue" else fmt_count(value)


def with_rate(count: int | float | None, rate: float | None, label: str) -> str:
    """A count with its rate, ``1,234  (delivery 97.0%)``; an unknown rate is "–", never a made-up 0%."""
    return f"{fmt_count(count)}  ({label} {fmt_rate(rate)})"


def change(today: float | None, before: float | None) -> float | None:
    """Relative change, or None when there is nothing sound to compare against."""
    if today is None or not before:
        return None
    return (today - before) / before


def delta(today: float | None, before: float | None) -> str:
    """``"  ▲ 12%"`` after a figure, or nothing when there is no sound comparison."""
    rel = change(today, before)
    if rel is None:
        return ""
    arrow = "▲" if rel > 0 else "▼" if rel < 0 else "＝"
    return f"  {arrow} {abs(rel) * 100:.0f}%"


def day_text(d: date) -> str:
    """``Mar 3, 2026``, without strftime's locale-dependent day padding."""
    return f"{d:%b} {d.day}, {d.year}"


def long_day(d: date) -> str:
    return f"{d:%A}, {d:%b} {d.day}"


def short_day(d: date) -> str:
    return f"{d:%b} {d.day}"


def span_text(start: date, end: date, days_with_data: int, quiet_before: int = 0) -> str:
    """``Mar 1, 2026 – Mar 14, 2026 (14 days, 5 with data)``; a range that starts at its first day with data
    says how far back nothing was found: ``(10 days, 10 with data; nothing in the 20 days before)``."""
    days = (end - start).days + 1
    before = f"; nothing in the {quiet_before} day{'s' if quiet_before != 1 else ''} before" if quiet_before else ""
    return (
        f"{day_text(start)} – {day_text(end)} ({days} day{'s' if days != 1 else ''}, {days_with_data} with data"
        f"{before})"
    )


def conversions_line(totals: Metrics, events: tuple[str, ...] = ()) -> str | None:
    """The conversion events Braze reported beyond the headline's count: the primary event's by-send-time
    twin, and events B–D (Braze's ``conversions1..3``) with theirs. ``events`` are their names from
    ``/campaigns/details`` → ``conversion_behaviors`` (A first), used when known; letters otherwise."""
    parts = []
    primary = f"{events[0]} (A)" if events else "primary (A)"
    if value := totals.get("conversions_by_send_time"):
        parts.append(f"{primary} by send time {fmt_count(value)}")
    elif events and totals.get("conversions") is not None:
        parts.append(f"{primary} {fmt_count(totals.get('conversions'))}")
    for n in (1, 2, 3):
        value, twin = totals.get(f"conversions{n}"), totals.get(f"conversions{n}_by_send_time")
        if value or twin:  # an event nobody did is noise
            label = f"{events[n]} ({CONVERSION_LABELS[n][0]})" if n < len(events) else f"event {CONVERSION_LABELS[n]}"
            parts.append(f"{label}: {fmt_count(value)} (by send time {fmt_count(twin)})")
    return "Conversions · " + " · ".join(parts) if parts else None


#: What unique recipients over several days are, and the denominator of the conversion rate (issue 16, item 9).
RECIPIENTS_NOTE = (
    "Unique recipients over several days are the sum of Braze's daily figures, as Braze's dashboard counts them "
    "(someone reached on two days counts twice). Conversion rate = conversions (primary event) ÷ that sum."
)


def recipients_figure(value: int | float | None, days_with_data: int) -> Figure:
    """Braze's ``unique_recipients``: people on one day; over several days the sum of the daily figures,
    and the figure says so."""
    if days_with_data > 1 and value is not None:
        return Figure("Unique recipients", f"{fmt_count(value)}  (sum of daily figures)")
    return Figure("Unique recipients", fmt_count(value))


def one_line(text: str) -> str:
    """A name from Braze on one line: newlines, tabs and other control characters become single spaces."""
    return " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).split())


#: Where a line of items is wrapped: a phone shows about 40 characters a line, and a line past ~120 is
#: already three.
LINE_CHARS = 110


def wrap(items: list[str], width: int = LINE_CHARS, sep: str = " · ") -> list[str]:
    """``a · b · c`` on as few lines as keep each within ``width`` (an item is never split)."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + len(sep) + len(item) <= width:
            lines[-1] += sep + item
        else:
            lines.append(item)
    return lines


def either(words: list[str], last: str = " or ") -> str:
    """``a, b or c`` (``last`` joins the last two: " or ", " and ")."""
    return ", ".join(words[:-1]) + last + words[-1] if len(words) > 1 else (words[0] if words else "")


def note(text: str | None) -> Line | None:
    return (text,) if text else None
