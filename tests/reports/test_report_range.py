"""A report's days are a maximum look-back: its summary and chart start at the first day with data
(reports.pipeline.from_first_day), for every kind, and its header says how far back it found nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fakes.braze import SampleSend, series_payload
from reports.kinds import Kind, Target
from reports.kinds.registry import kind_of
from reports.models import ChannelRow, DayPoint, Metrics, Series, metrics_of
from reports.pipeline import analyse, from_first_day
from reports.views import span_text

TODAY = date(2026, 11, 30)


def d(n: int) -> date:
    """``n`` days before TODAY."""
    return TODAY - timedelta(days=n)


def row(channel: str, **counts: int) -> ChannelRow:
    return ChannelRow(channel, "A", "va", metrics_of(counts))


def campaign_series(first_ago: int = 9) -> Series:
    """A campaign that began ``first_ago`` days ago: sent on its first day, a tail after it."""
    days = [DayPoint(d(first_ago), (row("email", sent=30_000, unique_opens=9_000),),
                     metrics_of({"unique_recipients": 30_000, "conversions": 300}))]
    days += [DayPoint(d(n), (row("email", sent=1_000, unique_opens=200),)) for n in range(first_ago - 1, -1, -1)]
    return Series("cmp", "", tuple(days))


def summarise(kind: Kind, series: Series, days: int) -> object:
    return kind_of(kind).summarise(series, start=d(days - 1), end=TODAY)


def test_a_campaign_that_began_10_days_ago_gets_10_days_not_30() -> None:
    series = campaign_series(9)
    whole = summarise(Kind.CAMPAIGN, series, 30)
    narrowed = from_first_day(whole, series)
    assert (narrowed.start, narrowed.end, narrowed.quiet_before) == (d(9), TODAY, 20)
    assert narrowed.days_with_data == whole.days_with_data == 10
    assert narrowed.totals == whole.totals and narrowed.channels == whole.channels
    chart = kind_of(Kind.CAMPAIGN).chart(series, narrowed, title="Winter")
    assert chart.days[0] == d(9) and len(chart.days) == 10
    assert all(spec.values[0] is not None for spec in chart.top)  # no "no data" day before the send


def test_a_range_with_data_on_its_first_day_is_left_as_it_is() -> None:
    series = campaign_series(40)
    whole = summarise(Kind.CAMPAIGN, series, 30)
    assert from_first_day(whole, series) is whole


def test_leading_days_of_zeros_are_left_out_too() -> None:
    """Braze may report days of zeros before anything was sent: they say no more than a day left out."""
    zeros = tuple(DayPoint(d(n), (row("email", sent=0, unique_opens=0),)) for n in (12, 11, 10))
    series = Series("cmp", "", zeros + campaign_series(9).days)
    whole = summarise(Kind.CAMPAIGN, series, 30)
    assert whole.days_with_data == 13
    narrowed = from_first_day(whole, series)
    assert (narrowed.start, narrowed.days_with_data, narrowed.quiet_before) == (d(9), 10, 20)


def test_a_canvas_converting_before_anyone_entered_starts_there() -> None:
    """Any number counts, not only the kind's activity: conversions on a day without entries are data."""
    series = Series("cv", "", (
        DayPoint(d(5), level=Metrics.of(entries=0, conversions=4)),
        DayPoint(d(4), (ChannelRow("", "Control", "v1", Metrics.of(entries=10)),), Metrics.of(entries=10)),
    ))
    narrowed = from_first_day(summarise(Kind.CANVAS, series, 30), series)
    assert (narrowed.start, narrowed.quiet_before, narrowed.totals.get("conversions")) == (d(5), 24, 4)


def test_a_send_keeps_its_window_when_its_range_starts_at_the_send_day() -> None:
    """The send's window is read from the whole range (an empty day before the send day proves it is
    the first), then the range is narrowed: the chart still marks the window's end."""
    send = SampleSend("cmp", "snd", first_day=d(5))
    raw = series_payload(send, length=14, ending=TODAY)
    analysis = analyse(raw, target=Target(Kind.SEND, "cmp", "snd"), start=d(13), end=TODAY, until_given=False,
                       title="Spring")
    summary = analysis.summary
    assert (summary.start, summary.quiet_before, summary.days_with_data) == (d(5), 8, 6)
    assert summary.first_day == d(5) and summary.window_end == d(5) + timedelta(days=14)
    assert analysis.chart_png is not None


def test_the_range_line_says_how_far_back_nothing_was_found() -> None:
    said = span_text(d(9), TODAY, 10, 20)
    assert said == "Nov 21, 2026 – Nov 30, 2026 (10 days, 10 with data; nothing in the 20 days before)"
    assert span_text(d(0), TODAY, 1, 1).endswith("(1 day, 1 with data; nothing in the 1 day before)")
    assert span_text(d(29), TODAY, 10) == "Nov 1, 2026 – Nov 30, 2026 (30 days, 10 with data)"


@pytest.mark.parametrize("kind", [Kind.CAMPAIGN, Kind.SEND])
def test_the_report_header_says_it(kind: Kind) -> None:
    series = campaign_series(9)
    if kind is Kind.SEND:
        series = Series("cmp", "snd", series.days)
    narrowed = from_first_day(summarise(kind, series, 30), series)
    view = kind_of(kind).report_view(narrowed, title="Winter")
    context = "".join(part if isinstance(part, str) else part.text for part in view.context)
    assert "Nov 21, 2026 – Nov 30, 2026 (10 days, 10 with data; nothing in the 20 days before)" in context
