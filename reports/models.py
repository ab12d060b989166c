"""Typed models for Braze send analytics.

Braze answers with loosely shaped JSON (every metric and channel is optional), so the parser turns it
into these frozen dataclasses once; nothing downstream ever touches a raw dict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from functools import cached_property

#: Metric names in the order people read them. Each is optional in Braze's answer.
COUNT_METRICS: tuple[str, ...] = (
    "sent",
    "delivered",
    "undelivered",
    "delivery_failed",
    "bounces",
    "unique_recipients",
    "direct_opens",
    "total_opens",
    "body_clicks",
    "conversions",
    "conversions_by_send_time",
    "conversions1",
    "conversions1_by_send_time",
    "conversions2",
    "conversions2_by_send_time",
    "conversions3",
    "conversions3_by_send_time",
)


@dataclass(frozen=True, slots=True)
class Metrics:
    """One bag of counters. ``None`` means Braze did not report the metric (not the same as 0)."""

    sent: int | None = None
    delivered: int | None = None
    undelivered: int | None = None
    delivery_failed: int | None = None
    bounces: int | None = None
    unique_recipients: int | None = None
    direct_opens: int | None = None
    total_opens: int | None = None
    body_clicks: int | None = None
    conversions: int | None = None
    conversions_by_send_time: int | None = None
    conversions1: int | None = None
    conversions1_by_send_time: int | None = None
    conversions2: int | None = None
    conversions2_by_send_time: int | None = None
    conversions3: int | None = None
    conversions3_by_send_time: int | None = None
    revenue: float | None = None

    def __add__(self, other: Metrics) -> Metrics:
        """Sum two bags; a metric missing on both sides stays missing."""
        return sum_metrics((self, other))

    def get(self, name: str) -> int | float | None:
        return getattr(self, name)


METRIC_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Metrics))


def sum_metrics(bags: Iterable[Metrics]) -> Metrics:
    """Sum many bags in one pass, building a single result (reports sum thousands of rows, and the
    CPU this takes runs in the process that acknowledges Slack)."""
    totals: list[int | float | None] = [None] * len(METRIC_NAMES)
    for bag in bags:
        for i, name in enumerate(METRIC_NAMES):
            value = getattr(bag, name)
            if value is not None:
                current = totals[i]
                totals[i] = value if current is None else current + value
    values = dict(zip(METRIC_NAMES, totals, strict=True))
    if isinstance(values["revenue"], float):
        values["revenue"] = round(values["revenue"], 2)
    return Metrics(**values)  # type: ignore[arg-type]


EMPTY = Metrics()


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One channel × variation row of one day."""

    channel: str
    variation: str
    metrics: Metrics


@dataclass(frozen=True)
class DayPoint:
    """One day of the series: per channel/variation rows plus the day's send-level totals."""

    day: date
    rows: tuple[MessageRow, ...] = ()
    #: Send-level numbers Braze reports beside ``messages`` (conversions, unique_recipients, revenue).
    send_level: Metrics = EMPTY

    @cached_property
    def metrics(self) -> Metrics:
        """The day's message metrics summed over every channel and variation (computed once)."""
        return sum_metrics(row.metrics for row in self.rows)

    @property
    def has_data(self) -> bool:
        return bool(self.rows) or self.send_level != EMPTY


@dataclass(frozen=True, slots=True)
class SendSeries:
    """The daily series Braze returned for one send, oldest day first."""

    campaign_id: str
    send_id: str
    days: tuple[DayPoint, ...] = field(default_factory=tuple)

    @property
    def first_day(self) -> date | None:
        """First day that carries data, which is when the send went out."""
        return next((d.day for d in self.days if d.has_data), None)


@dataclass(frozen=True, slots=True)
class Counts:
    """Named counters of one Braze object, for shapes whose metric set depends on the channel.

    Campaign channels each report their own metrics (email ``unique_opens``, SMS ``delivery_failed``,
    in-app ``impressions``…), and Braze adds new ones, so a fixed field list would drop numbers. A
    name absent from ``items`` means Braze did not report it (not the same as 0). Stored as a sorted
    tuple so it stays frozen, hashable and picklable.
    """

    items: tuple[tuple[str, int | float], ...] = ()

    def get(self, name: str) -> int | float | None:
        for key, value in self.items:
            if key == name:
                return value
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.items)

    def as_dict(self) -> dict[str, int | float]:
        return dict(self.items)

    def __add__(self, other: Counts) -> Counts:
        return sum_counts((self, other))

    def __bool__(self) -> bool:
        return bool(self.items)


def counts_of(values: dict[str, int | float]) -> Counts:
    return Counts(tuple(sorted(values.items())))


def sum_counts(bags: Iterable[Counts]) -> Counts:
    """Sum many bags; a name missing everywhere stays missing, revenue keeps cents."""
    totals: dict[str, int | float] = {}
    for bag in bags:
        for key, value in bag.items:
            totals[key] = totals.get(key, 0) + value
    if isinstance(totals.get("revenue"), float):
        totals["revenue"] = round(totals["revenue"], 2)
    return counts_of(totals)


@dataclass(frozen=True, slots=True)
class SeriesSpec:
    """One line (or bar series) of a :class:`ChartData` panel; ``None`` values are gaps."""

    label: str
    values: tuple[int | None, ...]
    bars: bool = False


@dataclass(frozen=True, slots=True)
class ChartData:
    """Everything a two-panel daily chart needs, whatever the report kind chose to draw (its series).

    Small and picklable, so it can cross into a render process. Every series covers ``days`` day by
    day; ``None`` means Braze had no data that day (drawn as a gap, never as zero).
    """

    title: str
    days: tuple[date, ...]
    top_title: str
    top: tuple[SeriesSpec, ...]
    bottom_title: str
    bottom: tuple[SeriesSpec, ...]
    #: Last day Braze keeps a send's analytics (``reports.summary.window_end``), marked when given.
    window_end: date | None = None
