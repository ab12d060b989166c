"""Totals, rates and breakdowns for one send over a date range.

All arithmetic lives here so that Slack messages, digests and charts show the same numbers. A rate
whose denominator is zero or unreported is ``None`` (shown as "–"): 0% would be a claim we can't make.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from reports.channels import LEVEL_METRICS
from reports.models import ChartData, DayPoint, Metrics, Series, SeriesSpec, metrics_of, sum_metrics

#: Braze keeps send analytics for this many days after the send.
RETENTION_DAYS = 14


def window_end(first_day: date) -> date:
    """The last day Braze keeps the analytics of a send that began on ``first_day``."""
    return first_day + timedelta(days=RETENTION_DAYS)



def window_end_from(days: Iterable[date]) -> date | None:
    """The last day Braze keeps analytics for, derived from the days that have data.

    Braze keeps a send's analytics for the send day plus 14 days. A send ID may be reused for later sends
    (Braze allows it): data past one window's end can only come from a later send, so such a day opens
    a new window. Every day with data therefore lies inside the window we derive, never after it.
    """
    end: date | None = None
    for day in sorted(days):
        if end is None or day > end:
            end = day + timedelta(days=RETENTION_DAYS)
    return end


def reused(days: Iterable[date]) -> bool:
    """Whether the data spans more than one window: the send ID was used for several sends."""
    ordered = sorted(days)
    return bool(ordered) and ordered[-1] > ordered[0] + timedelta(days=RETENTION_DAYS)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None when either is unknown or the denominator is zero."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


@dataclass(frozen=True, slots=True)
class Rates:
    """The five rates marketers ask for; formulas are spelled out in the README."""

    delivery: float | None  # delivered / sent
    open: float | None  # total opens / delivered
    click: float | None  # body clicks / delivered
    bounce: float | None  # bounces / sent
    conversion: float | None  # conversions / unique recipients

    @classmethod
    def of(cls, m: Metrics) -> Rates:
        get = m.get
        return cls(
            delivery=ratio(get("delivered"), get("sent")),
            open=ratio(get("total_opens"), get("delivered")),
            click=ratio(get("body_clicks"), get("delivered")),
            bounce=ratio(get("bounces"), get("sent")),
            conversion=ratio(get("conversions"), get("unique_recipients")),
        )


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Totals and rates for one slice (a channel or a variation)."""

    label: str
    metrics: Metrics
    rates: Rates


@dataclass(frozen=True, slots=True)
class Summary:
    """What a report says about one send over ``start``..``end`` (inclusive)."""

    campaign_id: str
    send_id: str
    start: date
    end: date
    days_with_data: int
    totals: Metrics
    rates: Rates
    by_channel: tuple[Breakdown, ...]
    by_variation: tuple[Breakdown, ...]
    #: First day with data, when the range proves it is the send's first day.
    first_day: date | None
    #: Last day Braze keeps this send's analytics, when ``first_day`` is known (derived from the data).
    window_end: date | None
    #: The send ID has data over more than one window: it was reused for several sends.
    repeated: bool = False
    #: Days the request looked back over before ``start`` without data (``reports.pipeline.from_first_day``).
    quiet_before: int = 0
    #: The conversion events A–D by name (``/campaigns/details``), when known.
    events: tuple[str, ...] = ()

    @property
    def has_data(self) -> bool:
        return self.days_with_data > 0


def day_totals(point: DayPoint) -> Metrics:
    """A day's figures: Braze's own per-day ``unique_recipients``, ``conversions*`` and ``revenue`` win, and
    the rows' sum is only the fallback for one the day leaves out. Braze documents a row's
    ``unique_recipients`` as "at the campaign-level", so rows may repeat it and their sum would inflate it.
    Everything else (``sent``…) is the rows' sum."""
    own = point.level.only(LEVEL_METRICS)
    if not own:
        return point.metrics
    return metrics_of({**point.metrics.as_dict(), **own.as_dict()})


def _group(points: Iterable[DayPoint], key: Callable[[str, str], str]) -> tuple[Breakdown, ...]:
    rows: dict[str, list[Metrics]] = {}
    for point in points:
        for row in point.rows:
            rows.setdefault(key(row.channel, row.variation), []).append(row.metrics)
    groups = {label: sum_metrics(bags) for label, bags in rows.items()}
    ordered = sorted(groups.items(), key=lambda kv: (-(kv[1].get("sent") or 0), kv[0]))
    return tuple(Breakdown(label=label, metrics=m, rates=Rates.of(m)) for label, m in ordered)


def window_start_known(first_day: date | None, start: date, *, until_given: bool, length: int) -> bool:
    """Whether the first day with data is the send's first day, not just where our range began.

    True when an empty day precedes it in the range, or when the range reaches back over Braze's
    whole retention window from today: data lives for the send day plus RETENTION_DAYS days, so more than that
    (anything older has been deleted by Braze).
    """
    if first_day is None:
        return False
    return first_day > start or (not until_given and length > RETENTION_DAYS)


def summarise(series: Series, *, start: date, end: date, until_given: bool = False) -> Summary:
    """Summarise ``series`` restricted to ``start``..``end``."""
    points = [p for p in series.days if start <= p.day <= end and p.has_data]
    totals = sum_metrics(day_totals(point) for point in points)
    first = points[0].day if points else None
    length = (end - start).days + 1
    known = window_start_known(first, start, until_given=until_given, length=length)
    first_day = first if known else None
    data_days = [point.day for point in points]
    return Summary(
        campaign_id=series.object_id,
        send_id=series.send_id,
        start=start,
        end=end,
        days_with_data=len(points),
        totals=totals,
        rates=Rates.of(totals),
        by_channel=_group(points, lambda channel, _variation: channel),
        by_variation=_group(points, lambda _channel, variation: variation),
        first_day=first_day,
        window_end=window_end_from(data_days) if first_day else None,
        repeated=reused(data_days),
        events=series.events,
    )


def chart_data(series: Series, summary: Summary, *, title: str) -> ChartData:
    """Day-by-day values for the chart; a day without data is ``None`` so it is drawn as a gap."""
    by_day = {p.day: day_totals(p) for p in series.days if p.has_data}
    days = tuple(summary.start + timedelta(days=i) for i in range((summary.end - summary.start).days + 1))

    def column(pick: Callable[[Metrics], int | float | None]) -> tuple[int | None, ...]:
        values = []
        for day in days:
            m = by_day.get(day)
            value = pick(m) if m is not None else None
            values.append(None if value is None else int(value))
        return tuple(values)

    def opens(m: Metrics) -> int | float | None:
        total = m.get("total_opens")
        return total if total is not None else m.get("direct_opens")

    return ChartData(
        title=title,
        days=days,
        top_title="Volume",
        top=(
            SeriesSpec("Sent", column(lambda m: m.get("sent")), bars=True),
            SeriesSpec("Delivered", column(lambda m: m.get("delivered"))),
        ),
        bottom_title="Engagement",
        bottom=(
            SeriesSpec("Opens", column(opens)),
            SeriesSpec("Clicks", column(lambda m: m.get("body_clicks"))),
            SeriesSpec("Conversions", column(lambda m: m.get("conversions"))),
        ),
        window_end=summary.window_end,
    )
