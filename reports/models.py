"""Typed models for Braze analytics, the same for every report kind.

Braze answers with loosely shaped JSON (every metric and channel is optional, and each channel reports
its own metrics), so the parsers turn it into these frozen dataclasses once; nothing downstream ever
touches a raw dict. One day of any kind is a :class:`DayPoint`: rows (a send's or campaign's channel ×
variation rows, a Canvas's variants) beside the day's own figures; numbers are always :class:`Metrics`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property


@dataclass(frozen=True, slots=True)
class Metrics:
    """Named numbers of one Braze object: a channel row, a day's own figures, a Canvas variant.

    Each channel reports its own metrics (email ``unique_opens``, push ``direct_opens``, in-app
    ``impressions``, a Canvas ``entries``…) and Braze adds new ones, so a fixed field list would drop
    numbers. A name absent here means Braze did not report it (not the same as 0). Stored as a sorted
    tuple so it stays frozen, hashable and picklable.
    """

    items: tuple[tuple[str, int | float], ...] = ()

    @classmethod
    def of(cls, **values: int | float | None) -> Metrics:
        """``Metrics.of(sent=10, delivered=9)``: these numbers (a None is one Braze did not report)."""
        return metrics_of({k: v for k, v in values.items() if v is not None})

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

    def only(self, names: Iterable[str]) -> Metrics:
        """These names only (those reported)."""
        wanted = frozenset(names)
        return Metrics(tuple(item for item in self.items if item[0] in wanted))

    def __add__(self, other: Metrics) -> Metrics:
        """Sum two bags; a name missing on both sides stays missing."""
        return sum_metrics((self, other))

    def __bool__(self) -> bool:
        return bool(self.items)


def metrics_of(values: Mapping[str, int | float]) -> Metrics:
    return Metrics(tuple(sorted(values.items())))


def sum_metrics(bags: Iterable[Metrics]) -> Metrics:
    """Sum many bags in one pass (reports sum thousands of rows); a name missing everywhere stays
    missing, revenue keeps cents."""
    totals: dict[str, int | float] = {}
    for bag in bags:
        for key, value in bag.items:
            current = totals.get(key)
            totals[key] = value if current is None else current + value
    revenue = totals.get("revenue")
    if isinstance(revenue, float):
        totals["revenue"] = round(revenue, 2)
    return metrics_of(totals)


EMPTY = Metrics()


@dataclass(frozen=True, slots=True)
class ChannelRow:
    """One row of one day, as Braze reported it: a channel × variation (sends and campaigns), or a
    Canvas variant (``channel`` empty, ``variation_api_id`` its variant ID)."""

    channel: str
    variation: str
    variation_api_id: str | None
    metrics: Metrics


@dataclass(frozen=True)
class DayPoint:
    """One day of a series: its rows, and the figures Braze reports for the day itself (a send's or
    campaign's conversions, unique recipients and revenue beside ``messages``; a Canvas's
    ``total_stats``)."""

    day: date
    rows: tuple[ChannelRow, ...] = ()
    level: Metrics = EMPTY

    @cached_property
    def metrics(self) -> Metrics:
        """The rows' metrics summed under their names (computed once)."""
        return sum_metrics(row.metrics for row in self.rows)

    @property
    def has_data(self) -> bool:
        return bool(self.rows) or bool(self.level)

    def level_totals(self, names: Iterable[str] | None = None) -> Metrics:
        """The day's own figures; one it leaves out is summed from the rows (only ``names``, or any
        name when None): multivariate answers put conversions on each variation."""
        values = self.level.as_dict()
        summed = self.metrics if names is None else self.metrics.only(names)
        for key, value in summed.items:
            values.setdefault(key, value)
        return metrics_of(values)


@dataclass(frozen=True, slots=True)
class Labels:
    """What Braze's details name that a series only identifies (one ``/campaigns/details`` call, the one
    that also gives the title): the object's name, each message variation ID's name (``messages`` →
    ``message_variation_id`` → ``name``), and the conversion events A–D (``conversion_behaviors``)."""

    name: str | None = None
    #: (message variation ID, name), for the variations Braze names.
    variations: tuple[tuple[str, str], ...] = ()
    #: Conversion events in order: A (``conversions``), B (``conversions1``), C, D.
    events: tuple[str, ...] = ()


NO_LABELS = Labels()


@dataclass(frozen=True, slots=True)
class Series:
    """The daily series Braze returned for one send, campaign or Canvas, oldest day first."""

    #: The campaign ID of a send or campaign, the Canvas ID of a Canvas.
    object_id: str
    #: A send's ID; empty for campaigns and Canvases.
    send_id: str = ""
    days: tuple[DayPoint, ...] = field(default_factory=tuple)
    #: The name Braze put in the answer (``data.name`` of a Canvas), if any.
    name: str | None = None
    #: The conversion events A–D by name, from the details (:class:`Labels`), when known.
    events: tuple[str, ...] = ()

    def named(self, labels: Labels) -> Series:
        """This series with what the details name: a row Braze sent with only its ``variation_api_id``
        (multichannel campaigns) takes that variation's name; a row Braze named keeps its own name."""
        names = dict(labels.variations)
        if not names and not labels.events:
            return self

        def row(r: ChannelRow) -> ChannelRow:
            named = names.get(r.variation_api_id or "")
            return replace(r, variation=named) if named and r.variation == r.variation_api_id else r

        days = tuple(replace(d, rows=tuple(row(r) for r in d.rows)) for d in self.days)
        return replace(self, days=days, events=labels.events or self.events)

    @property
    def first_day(self) -> date | None:
        """First day that carries data (for a send: when it went out)."""
        return next((d.day for d in self.days if d.has_data), None)


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


@dataclass(frozen=True, slots=True)
class VariantRow:
    """One variation of a :class:`VariantChartData`: its rate with its confidence interval (all three None
    when the counts are not a rate), whether it is the control, and a few words about it ("+28%, 99%
    confidence", "no winner yet"); ``decisive`` sets those words in bold."""

    name: str
    rate: float | None
    low: float | None
    high: float | None
    control: bool = False
    note: str = ""
    decisive: bool = False


@dataclass(frozen=True, slots=True)
class VariantChartData:
    """The variations of one report compared on one rate (``rate_label``: "Conversion rate"), each a
    point with its interval at ``confidence``, in the order given (``reports.chart.variant_chart_data``
    builds it from ``reports.stats.compare``)."""

    title: str
    rate_label: str
    rows: tuple[VariantRow, ...]
    confidence: float = 0.95


@dataclass(frozen=True, slots=True)
class MetricChartData:
    """One metric day by day against a threshold (an alert): ``values`` covers ``days`` (None: no data
    that day); a day breaches when its value is above the threshold (``above``) or below it. Rates are
    fractions (``percent``: drawn as 2.5%)."""

    title: str
    days: tuple[date, ...]
    label: str
    values: tuple[float | None, ...]
    threshold: float
    above: bool = True
    percent: bool = True
