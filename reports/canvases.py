"""Canvas analytics (``GET /canvas/data_series``): typed models, parsing, summary and chart data.

A Canvas reports entries and conversions per day (``total_stats``) and per variant (``variant_stats``,
keyed by variant ID with a ``name``). Conversion rate is conversions ÷ entries. Step breakdown is not
requested (a Canvas can have dozens of steps; the report is about the journey as a whole), and
``step_stats`` in an answer is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from reports.channels import ratio
from reports.models import ChannelRow, ChartData, DayPoint, Metrics, Series, SeriesSpec, sum_metrics
from reports.parse import by_date, merge_days, parse_metrics, text_of


def _variants(raw: Any) -> tuple[ChannelRow, ...]:
    """``variant_stats``: variant ID → its numbers and ``name``; each becomes a row without a channel."""
    if not isinstance(raw, Mapping):
        return ()
    out = []
    for variant_id, item in raw.items():
        if not isinstance(variant_id, str) or not variant_id.strip() or not isinstance(item, Mapping):
            continue
        vid = variant_id.strip()[:64]
        out.append(ChannelRow("", text_of(item.get("name")) or vid, vid, parse_metrics(item)))
    return tuple(out)


def parse_canvas_series(payload: Any, *, canvas_id: str) -> Series:
    """Parse ``{"data": {"name", "stats": [...]}}`` defensively; days merged by date and sorted. A day's
    ``total_stats`` are its own figures, its variants its rows."""
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, Mapping):
        data = {}
    days = by_date(  # pieces never overlap by design, but Braze may repeat a day: both halves are kept
        data.get("stats"),
        lambda day, item: DayPoint(day, _variants(item.get("variant_stats")), parse_metrics(item.get("total_stats"))),
        merge_days,
    )
    return Series(canvas_id, "", days, text_of(data.get("name")))


def conversion_rate(stats: Metrics) -> float | None:
    """conversions ÷ entries; None when either is unknown or there were no entries."""
    return ratio(stats.get("conversions"), stats.get("entries"))


@dataclass(frozen=True, slots=True)
class VariantSummary:
    variant_id: str
    name: str
    stats: Metrics

    @property
    def conversion_rate(self) -> float | None:
        return conversion_rate(self.stats)


@dataclass(frozen=True, slots=True)
class CanvasSummary:
    canvas_id: str
    start: date
    end: date
    days_with_data: int
    totals: Metrics
    variants: tuple[VariantSummary, ...]
    #: The name Braze sent with the series (a fallback when ``/canvas/details`` is not allowed).
    series_name: str | None = None
    #: Days the request looked back over before ``start`` without data (``reports.pipeline.from_first_day``).
    quiet_before: int = 0

    @property
    def has_data(self) -> bool:
        return self.days_with_data > 0

    @property
    def conversion_rate(self) -> float | None:
        return conversion_rate(self.totals)


def summarise_canvas(series: Series, *, start: date, end: date) -> CanvasSummary:
    """Totals and per-variant totals over ``start``..``end`` (inclusive). A day's ``total_stats``
    missing a number is completed from its variants."""
    points = [p for p in series.days if start <= p.day <= end and p.has_data]
    variants: dict[str, tuple[str, list[Metrics]]] = {}
    for point in points:
        for v in point.rows:
            vid = v.variation_api_id or v.variation
            variants.setdefault(vid, (v.variation, []))[1].append(v.metrics)
    summed = {vid: (name, sum_metrics(bags)) for vid, (name, bags) in variants.items()}
    ordered = sorted(summed.items(), key=lambda kv: (-(kv[1][1].get("entries") or 0), kv[1][0]))
    return CanvasSummary(
        canvas_id=series.object_id,
        start=start,
        end=end,
        days_with_data=len(points),
        totals=sum_metrics(p.level_totals() for p in points),
        variants=tuple(VariantSummary(vid, name, stats) for vid, (name, stats) in ordered),
        series_name=series.name,
    )


MAX_VARIANT_SERIES = 6


def canvas_chart_data(series: Series, summary: CanvasSummary, *, title: str) -> ChartData:
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
        return lambda p: next((v.metrics.get(metric) for v in p.rows if v.variation_api_id == vid), None)

    shown = summary.variants[:MAX_VARIANT_SERIES]
    top = [SeriesSpec("All entries", column(lambda p: p.level_totals().get("entries")), bars=True)]
    top += [SeriesSpec(v.name, column(variant(v.variant_id, "entries"))) for v in shown]
    bottom = [SeriesSpec("All conversions", column(lambda p: p.level_totals().get("conversions")), bars=True)]
    bottom += [SeriesSpec(v.name, column(variant(v.variant_id, "conversions"))) for v in shown]
    return ChartData(title, days, "Entries", tuple(top), "Conversions", tuple(bottom))
