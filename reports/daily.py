"""The numbers of one daily digest: the latest complete day, its change, and totals since the send.

Pure functions over a send's :class:`reports.models.Series`, so a round can fetch a send once and build the digest of
every subscription to it without another Braze call.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from reports.models import EMPTY, Metrics, Series
from reports.summary import RETENTION_DAYS, Summary, day_totals, summarise, window_end_from

#: Metrics a digest compares day over day, in display order.
DELTA_METRICS: tuple[str, ...] = ("sent", "delivered", "total_opens", "body_clicks", "conversions", "revenue")
#: Days in one analytics window: the send day plus RETENTION_DAYS.
WINDOW_DAYS = RETENTION_DAYS + 1


@dataclass(frozen=True, slots=True)
class Digest:
    """One digest. ``day`` is the latest complete day (the day before the digest is posted)."""

    day: date
    day_metrics: Metrics | None  # None: no activity that day
    previous_metrics: Metrics | None
    cumulative: Summary
    #: True on the day Braze's analytics window closes: the last digest of the subscription.
    final: bool

    @property
    def day_in_window(self) -> int | None:
        """Which day of the current analytics window ``day`` is (1 = the send day; the window is the
        send day plus 14 days, so 15 days), or None before the window."""
        end = self.cumulative.window_end
        if end is None:
            return None
        number = (self.day - (end - timedelta(days=RETENTION_DAYS))).days + 1
        return number if 1 <= number <= WINDOW_DAYS else None

    @property
    def has_activity(self) -> bool:
        return self.day_metrics is not None and self.day_metrics != EMPTY


def change(today: float | None, before: float | None) -> float | None:
    """Relative change, or None when there is nothing sound to compare against."""
    if today is None or not before:
        return None
    return (today - before) / before


def fetch_span(first_day: date, digest_date: date) -> tuple[int, date]:
    """Braze ``length`` and last day to ask for: everything from the send's first day to yesterday."""
    last = digest_date - timedelta(days=1)
    length = (last - first_day).days + 1
    return max(1, min(100, length)), last


def build_digest(series: Series, *, first_day: date, digest_date: date) -> Digest:
    """Digest for ``digest_date`` (a local calendar day) of a send that began on ``first_day``."""
    day = digest_date - timedelta(days=1)
    by_day = {p.day: day_totals(p) for p in series.days if p.has_data}
    start = min(first_day, day)
    # The subscription recorded the send's first day, so the window is known even if the range isn't;
    # data past that window means the send ID was reused, and the window moves with the data.
    ends = window_end_from(day for day in (first_day, *by_day) if day >= first_day)
    assert ends is not None  # first_day is always among the days
    cumulative = replace(
        summarise(series, start=start, end=day),
        first_day=first_day,
        window_end=ends,
    )
    return Digest(
        day=day,
        day_metrics=by_day.get(day),
        previous_metrics=by_day.get(day - timedelta(days=1)),
        cumulative=cumulative,
        final=digest_date >= ends,
    )
