"""The one-sentence description a screen reader speaks for a chart (``alt_txt`` of its upload).

Built where the chart's title is built, from that title and the days the chart covers: "Daily sent,
delivered, opens, clicks and conversions for Spring sale, Nov 1–14." What the chart shows depends on the
report kind, so the caller passes the kind's phrase (``chart_series`` in :mod:`reports.kinds`).
"""

from __future__ import annotations

from datetime import date

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
