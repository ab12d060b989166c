"""The one-sentence description a screen reader speaks for a chart (``alt_txt`` of its upload).

Built where the chart's title is built, from that title and the days the chart covers: "Daily sent,
delivered, opens, clicks and conversions for Spring sale, Nov 1–14." What the chart shows depends on the
report kind, so the caller passes one of the ``*_SERIES`` phrases below.
"""

from __future__ import annotations

from datetime import date

#: What a send's chart shows (Volume: sent, delivered; Engagement: opens, clicks, conversions).
SEND_SERIES = "sent, delivered, opens, clicks and conversions"
#: What a campaign's chart shows (per-channel volume above, engagement below).
CAMPAIGN_SERIES = "volume and engagement by channel"
#: What a Canvas's chart shows (entries above, conversions below).
CANVAS_SERIES = "entries and conversions"
#: A Braze name can be long; the sentence stays short enough to be read out.
TITLE_CHARS = 150


def day_range(start: date, end: date) -> str:
    """``Nov 1–14``, ``Oct 28 – Nov 3``, ``Dec 28, 2025 – Jan 3, 2026``, or one day ``Nov 14``."""
    if start == end:
        return f"{end:%b} {end.day}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%b} {start.day}–{end.day}"
    if start.year == end.year:
        return f"{start:%b} {start.day} – {end:%b} {end.day}"
    return f"{start:%b} {start.day}, {start.year} – {end:%b} {end.day}, {end.year}"


def chart_alt_text(series: str, title: str, start: date, end: date) -> str:
    """``Daily <series> for <title>, <days>.``: one plain sentence, no markup."""
    name = " ".join(title.split())
    if len(name) > TITLE_CHARS:
        name = name[: TITLE_CHARS - 1].rstrip() + "…"
    return f"Daily {series} for {name}, {day_range(start, end)}."
