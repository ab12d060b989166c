"""The data behind a chart as CSV: one row per day × channel × variation, every metric Braze returned.

RFC 4180 (comma-separated, CRLF line ends, a field quoted only when it holds a comma, a quote or a
line break, a quote doubled inside quotes), UTF-8 without a byte-order mark, ISO dates, numbers as
Braze sent them (no thousands separators, no rounding, no percent signs; a metric a row did not report
is an empty field, never 0). The columns are ``date``, ``channel``, ``variation``,
``variation_api_id``, then every metric name found in the range, sorted. A day's own figures (Braze's
per-day totals beside the rows: a send's or campaign's ``unique_recipients``, ``conversions``,
``revenue``; a Canvas's ``total_stats``) are the row whose channel and variation are empty. A Canvas's
variants have no channel.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from reports.models import Metrics, Series

KEY_COLUMNS = ("date", "channel", "variation", "variation_api_id")
MEDIA_TYPE = "text/csv"


def _number(value: int | float | None) -> str:
    """An int as its digits, a float (revenue) as Python's shortest round-trip form ("402.75")."""
    return "" if value is None else str(value)


def series_csv(series: Series, *, start: date, end: date) -> bytes:
    """The days of ``series`` from ``start`` to ``end`` (both included) that Braze returned, as CSV bytes."""
    points = [p for p in series.days if start <= p.day <= end and p.has_data]
    rows: list[tuple[str, str, str, str, Metrics]] = []
    for point in points:
        day = point.day.isoformat()
        if point.level:
            rows.append((day, "", "", "", point.level))
        for row in point.rows:
            rows.append((day, row.channel, row.variation, row.variation_api_id or "", row.metrics))
    names = sorted({name for *_, metrics in rows for name in metrics.names})
    out = io.StringIO(newline="")
    writer = csv.writer(out)  # the excel dialect: CRLF line ends, a field quoted only when it must be
    writer.writerow((*KEY_COLUMNS, *names))
    for day, channel, variation, api_id, metrics in rows:
        values = metrics.as_dict()
        writer.writerow((day, channel, variation, api_id, *(_number(values.get(name)) for name in names)))
    return out.getvalue().encode()  # UTF-8


def csv_filename(stem: str, start: date, end: date) -> str:
    """``sendstats-<stem>-<start>-<end>.csv``, within Slack's 120 characters kept for our file names."""
    return f"sendstats-{stem}-{start.isoformat()}-{end.isoformat()}"[:116] + ".csv"
