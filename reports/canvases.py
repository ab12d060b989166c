"""Canvas analytics (``GET /canvas/data_series``): typed models, parsing, summary and chart data.

A Canvas reports entries and conversions per day (``total_stats``) and per variant (``variant_stats``,
keyed by variant ID with a ``name``). Conversion rate is conversions ÷ entries. Step breakdown is not
requested (a Canvas can have dozens of steps; the report is about the journey as a whole), and
``step_stats`` in an answer is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from reports.models import ChartData, SeriesSpec
from reports.parse import by_date, parse_number


@dataclass(frozen=True, slots=True)
class CanvasStats:
    """One ``total_stats`` or variant object. ``None`` means Braze did not report the number."""

    entries: int | None = None
    conversions: int | None = None
    conversions_by_entry_time: int | None = None
    revenue: float | None = None

    def __add__(self, other: CanvasStats) -> CanvasStats:
        values: dict[str, Any] = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            values[f.name] = a if b is None else b if a is None else a + b
        if isinstance(values["revenue"], float):
            values["revenue"] = round(values["revenue"], 2)
        return CanvasStats(**values)

    @property
    def conversion_rate(self) -> float | None:
        """conversions ÷ entries; None when either is unknown or there were no entries."""
        if self.conversions is None or not self.entries:
            return None
        return self.conversions / self.entries

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))


@dataclass(frozen=True, slots=True)
class VariantDay:
    variant_id: str
    name: str
    stats: CanvasStats


@dataclass(frozen=True, slots=True)
class CanvasDay:
    day: date
    total: CanvasStats = CanvasStats()
    variants: tuple[VariantDay, ...] = ()

    @property
    def has_data(self) -> bool:
        return bool(self.total) or bool(self.variants)


@dataclass(frozen=True, slots=True)
class CanvasSeries:
    canvas_id: str
    #: The name Braze put in the answer (``data.name``), if any.
    name: str | None = None
    days: tuple[CanvasDay, ...] = ()


def parse_stats(raw: Any) -> CanvasStats:
    if not isinstance(raw, Mapping):
        return CanvasStats()
    values: dict[str, Any] = {}
    for f in fields(CanvasStats):
        number = parse_number(raw.get(f.name))
        if number is not None:
            values[f.name] = round(number, 2) if f.name == "revenue" else int(number)
    return CanvasStats(**values)


def _text(value: Any, limit: int = 150) -> str | None:
    return value.strip()[:limit] if isinstance(value, str) and value.strip() else None


def _variants(raw: Any) -> tuple[VariantDay, ...]:
    if not isinstance(raw, Mapping):
        return ()
    out = []
    for variant_id, item in raw.items():
        if not isinstance(variant_id, str) or not variant_id.strip() or not isinstance(item, Mapping):
            continue
        vid = variant_id.strip()[:64]
        out.append(VariantDay(vid, _text(item.get("name")) or vid, parse_stats(item)))
    return tuple(out)


def parse_canvas_series(payload: Any, *, canvas_id: str) -> CanvasSeries:
    """Parse ``{"data": {"name", "stats": [...]}}`` defensively; days merged by date and sorted."""
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, Mapping):
        data = {}
    days = by_date(  # pieces never overlap by design, but Braze may repeat a day: both halves are kept
        data.get("stats"),
        lambda day, item: CanvasDay(day, parse_stats(item.get("total_stats")), _variants(item.get("variant_stats"))),
        lambda old, new: CanvasDay(old.day, old.total + new.total, old.variants + new.variants),
    )
    return CanvasSeries(canvas_id, _text(data.get("name")), days)


@dataclass(frozen=True, slots=True)
class VariantSummary:
    variant_id: str
    name: str
    stats: CanvasStats

    @property
    def conversion_rate(self) -> float | None:
        return self.stats.conversion_rate


@dataclass(frozen=True, slots=True)
class CanvasSummary:
    canvas_id: str
    start: date
    end: date
    days_with_data: int
    totals: CanvasStats
    variants: tuple[VariantSummary, ...]
    #: The name Braze sent with the series (a fallback when ``/canvas/details`` is not allowed).
    series_name: str | None = None

    @property
    def has_data(self) -> bool:
        return self.days_with_data > 0

    @property
    def conversion_rate(self) -> float | None:
        return self.totals.conversion_rate


def summarise_canvas(series: CanvasSeries, *, start: date, end: date) -> CanvasSummary:
    """Totals and per-variant totals over ``start``..``end`` (inclusive). A day's ``total_stats``
    missing a number is completed from its variants."""
    points = [p for p in series.days if start <= p.day <= end and p.has_data]
    totals = CanvasStats()
    variants: dict[str, tuple[str, CanvasStats]] = {}
    for point in points:
        totals = totals + _day_total(point)
        for v in point.variants:
            name, stats = variants.get(v.variant_id, (v.name, CanvasStats()))
            variants[v.variant_id] = (name, stats + v.stats)
    ordered = sorted(variants.items(), key=lambda kv: (-(kv[1][1].entries or 0), kv[1][0]))
    return CanvasSummary(
        canvas_id=series.canvas_id,
        start=start,
        end=end,
        days_with_data=len(points),
        totals=totals,
        variants=tuple(VariantSummary(vid, name, stats) for vid, (name, stats) in ordered),
        series_name=series.name,
    )


def _day_total(point: CanvasDay) -> CanvasStats:
    if not point.variants:
        return point.total
    summed = CanvasStats()
    for v in point.variants:
        summed = summed + v.stats
    values = {f.name: getattr(point.total, f.name) for f in fields(CanvasStats)}
    for name, value in values.items():
        if value is None:
            values[name] = getattr(summed, name)
    return CanvasStats(**values)


MAX_VARIANT_SERIES = 6


def canvas_chart_data(series: CanvasSeries, summary: CanvasSummary, *, title: str) -> ChartData:
    """Entries per variant (total as bars) over conversions per variant; days without data are gaps."""
    days = tuple(summary.start + timedelta(days=i) for i in range((summary.end - summary.start).days + 1))
    by_day = {p.day: p for p in series.days if p.has_data}

    def column(pick: Any) -> tuple[int | None, ...]:
        out: list[int | None] = []
        for day in days:
            point = by_day.get(day)
            value = pick(point) if point is not None else None
            out.append(None if value is None else int(value))
        return tuple(out)

    def variant(vid: str, metric: str) -> Any:
        return lambda p: next((getattr(v.stats, metric) for v in p.variants if v.variant_id == vid), None)

    shown = summary.variants[:MAX_VARIANT_SERIES]
    top = [SeriesSpec("All entries", column(lambda p: _day_total(p).entries), bars=True)]
    top += [SeriesSpec(v.name, column(variant(v.variant_id, "entries"))) for v in shown]
    bottom = [SeriesSpec("All conversions", column(lambda p: _day_total(p).conversions), bars=True)]
    bottom += [SeriesSpec(v.name, column(variant(v.variant_id, "conversions"))) for v in shown]
    return ChartData(title, days, "Entries", tuple(top), "Conversions", tuple(bottom))
