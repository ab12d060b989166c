"""The metrics an alert can watch and a digest flags, written once for every kind.

A metric is a rate (a numerator over a denominator) or a count, read day by day from any kind's parsed
series. Which metrics a kind has is the kind's :attr:`reports.kinds.base.ReportKind.metrics` (a Canvas
has entries, not sends, so only its conversion rate); how a metric is read is here, once:

* a rate sums, over the day's rows (channel × variation, or Canvas variant), the numerator and the
  denominator of the first pair each row reports both of, so a channel that does not report a metric
  never dilutes it (push has no ``delivered``; a webhook no bounces). ``per_day`` rates (conversions) read
  the day's own figures instead: Braze counts people and conversions once per day, not per channel;
* a count sums its name over the rows.

A day without data, or whose rows report no pair, has no value (None): never a made-up 0%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reports.models import DayPoint, Metrics, Series


@dataclass(frozen=True, slots=True)
class Metric:
    """One watchable metric: ``name`` is what people type (``bounce_rate``), ``label`` what they read."""

    name: str
    label: str
    #: (numerator, denominator) pairs, the first one a row reports both of wins; a count has one name
    #: and an empty denominator.
    pairs: tuple[tuple[str, str], ...]
    #: Read from the day's own figures (conversions, unique recipients, a Canvas's entries), not its rows.
    per_day: bool = False

    @property
    def is_rate(self) -> bool:
        return bool(self.pairs[0][1])

    @property
    def formula(self) -> str:
        """``bounces ÷ sent`` (the first pair), for the words of an alert."""
        num, den = self.pairs[0]
        return f"{num.replace('_', ' ')} ÷ {den.replace('_', ' ')}" if den else num.replace("_", " ")

    def of_day(self, point: DayPoint) -> float | None:
        """This metric's value on one day, or None when the day does not report it."""
        parts = self.parts_of_day(point)
        if parts is None:
            return None
        top, bottom = parts
        if not self.is_rate:
            return top
        return top / bottom if bottom else None

    def parts_of_day(self, point: DayPoint) -> tuple[float, float] | None:
        """(numerator, denominator) of one day (a count: (count, 0)), or None when the day reports neither."""
        if not point.has_data:
            return None
        bags: Sequence[Metrics] = (point.level_totals(),) if self.per_day else [r.metrics for r in point.rows]
        if not self.is_rate:
            found = [value for bag in bags if (value := bag.get(self.pairs[0][0])) is not None]
            return (float(sum(found)), 0.0) if found else None
        found_pairs = [pair for bag in bags if (pair := self._first_pair(bag)) is not None]
        if not found_pairs:
            return None
        return float(sum(n for n, _ in found_pairs)), float(sum(d for _, d in found_pairs))

    def _first_pair(self, bag: Metrics) -> tuple[float, float] | None:
        """The first of :attr:`pairs` ``bag`` reports both numbers of, or None."""
        for num, den in self.pairs:
            n, d = bag.get(num), bag.get(den)
            if n is not None and d is not None:
                return n, d
        return None

    def daily(self, series: Series) -> dict[date, float]:
        """The metric on every day of ``series`` that reports it."""
        return {point.day: value for point in series.days if (value := self.of_day(point)) is not None}


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("delivery_rate", "Delivery rate", (("delivered", "sent"),)),
        Metric(
            "open_rate",
            "Open rate",
            (("unique_opens", "delivered"), ("total_opens", "delivered"), ("total_opens", "sent")),
        ),
        Metric(
            "click_rate",
            "Click rate",
            (("unique_clicks", "delivered"), ("body_clicks", "delivered"), ("body_clicks", "sent")),
        ),
        Metric("bounce_rate", "Bounce rate", (("bounces", "sent"),)),
        Metric("unsubscribe_rate", "Unsubscribe rate", (("unsubscribes", "delivered"),)),
        Metric("spam_rate", "Spam rate", (("reported_spam", "delivered"),)),
        Metric(
            "conversion_rate",
            "Conversion rate",
            (("conversions", "unique_recipients"), ("conversions", "entries")),
            per_day=True,
        ),
        Metric("sent", "Sent", (("sent", ""),)),
    )
}


def metric(name: str) -> Metric | None:
    """The metric ``name`` names (``bounce_rate``; ``bounce`` and ``Bounce-Rate`` too), or None."""
    key = name.lower().replace("-", "_")
    return METRICS.get(key) or METRICS.get(f"{key}_rate")
