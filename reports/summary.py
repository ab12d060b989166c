"""Totals, rates and breakdowns for one send over a date range.

All arithmetic lives here so that Slack messages, digests and charts show the same numbers. A rate
whose denominator is zero or unreported is ``None`` (shown as "–"): 0% would be a claim we can't make.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from reports.campaigns import ChannelSummary, VariationSummary, campaign_chart_data, channel_breakdown
from reports.channels import LEVEL_METRICS, ratio
from reports.models import ChartData, DayPoint, Metrics, Series, metrics_of, sum_metrics

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


@dataclass(frozen=True, slots=True)
class Summary:
    """What a report says about one send over ``start``..``end`` (inclusive)."""

    campaign_id: str
    send_id: str
    start: date
    end: date
    days_with_data: int
    #: Braze's per-day figures (unique recipients, conversions, revenue; a row sum only where a day has
    #: none), and ``sent`` added across channels (the one figure that means the same in each).
    totals: Metrics
    #: Each channel family with its own metrics and rates (``reports.campaigns.channel_breakdown``).
    channels: tuple[ChannelSummary, ...]
    #: Each variation (when there are several): its campaign-level numbers and its volume per channel.
    variations: tuple[VariationSummary, ...]
    #: conversions ÷ unique recipients (both Braze's per-day figures, summed over the days).
    conversion_rate: float | None
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
    totals = sum_metrics(day_totals(point).only((*LEVEL_METRICS, "sent")) for point in points)
    channels, variations = channel_breakdown(points)
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
        channels=channels,
        variations=variations,
        conversion_rate=ratio(totals.get("conversions"), totals.get("unique_recipients")),
        first_day=first_day,
        window_end=window_end_from(data_days) if first_day else None,
        repeated=reused(data_days),
        events=series.events,
    )


def chart_data(series: Series, summary: Summary, *, title: str) -> ChartData:
    """A send's chart: the campaign's (each channel's volume over each channel's own engagement, named as
    such, and conversions), with the last day Braze keeps the send's analytics marked."""
    return replace(campaign_chart_data(series, summary, title=title), window_end=summary.window_end)
