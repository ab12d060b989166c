"""A Canvas (``/canvas/data_series``): entries, conversions and revenue, overall and per variant.
Conversion rate is conversions ÷ entries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from reports.canvases import CanvasSummary, canvas_chart_data, conversion_rate, parse_canvas_series, summarise_canvas
from reports.comparison import ArmSet, variant_set
from reports.kinds import IdField, Kind, Target, Words
from reports.kinds.base import OpenEndedKind
from reports.listing import CanvasDetails, ListedItem
from reports.models import ChartData, DayPoint, Series
from reports.parse import text_of
from reports.views import (
    DigestView,
    Figure,
    Measure,
    ReportView,
    Table,
    delta,
    fmt_count,
    fmt_rate,
    fmt_usd,
    with_rate,
)

if TYPE_CHECKING:
    from reports.braze import BrazeClient
    from reports.daily import Digest

FOOTER = "Conversion rate = conversions ÷ entries. By entry time: conversions credited to the day users entered."
VARIANT_COLUMNS = ("entries", "conv.", "rate", "revenue")


class CanvasKind(OpenEndedKind):
    kind = Kind.CANVAS
    words = Words("Canvas", "Canvas", "Canvases", "🧭")
    command = "canvas"
    ids = (IdField("CANVAS_ID", "Canvas ID"),)
    example = "0ad1e1a4-canvas 60 until 2026-03-31"
    help = "A Canvas report: entries, conversions and conversion rate overall and per variant, and a daily chart."
    #: A Canvas has entries, not sends: only its conversion rate (conversions ÷ entries) is watched.
    metrics = ("conversion_rate",)
    list_permission = "canvas.list"
    # Entries above, conversions below.
    chart_series = "entries and conversions"
    volume_words = "entries"
    nothing = "nobody entered it"
    nothing_with = "nobody entering"

    def fetch(
        self, braze: BrazeClient, target: Target, *, length: int, ending_at: datetime | None, now: datetime
    ) -> dict[str, Any]:
        """Braze needs ``ending_at`` here; ranges over 14 days arrive in pieces, joined by the client."""
        return braze.canvas_series_payload(target.object_id, length=length, ending_at=ending_at or now.astimezone(UTC))

    def lookup_name(self, braze: BrazeClient, object_id: str) -> str | None:
        return braze.canvas_name(object_id)

    def list_pages(
        self, braze: BrazeClient, *, edited_after: datetime | None = None
    ) -> Iterator[tuple[ListedItem, ...]]:
        return braze.canvas_list_pages(edited_after=edited_after)

    def details(self, braze: BrazeClient, object_id: str) -> CanvasDetails:
        return braze.canvas_details(object_id)

    def name_in(self, payload: Any) -> str | None:
        """The name Braze sends with the series (a fallback when ``/canvas/details`` is not allowed)."""
        data = payload.get("data") if isinstance(payload, Mapping) else None
        return text_of(data.get("name")) if isinstance(data, Mapping) else None

    def parse(self, payload: Any, target: Target) -> Series:
        return parse_canvas_series(payload, canvas_id=target.object_id)

    def summarise(
        self,
        series: Series,
        *,
        start: date,
        end: date,
        until_given: bool = False,  # pragma: no mutate
    ) -> CanvasSummary:
        # until_given is not read (only a send's first day depends on it), so its default cannot matter.
        return summarise_canvas(series, start=start, end=end)

    def variant_sets(self, series: Series, *, start: date, end: date) -> tuple[ArmSet, ...]:
        return variant_set(series, start=start, end=end)

    def chart(self, series: Series, summary: CanvasSummary, *, title: str) -> ChartData:
        return canvas_chart_data(series, summary, title=title)

    def active(self, point: DayPoint) -> bool:
        """Somebody entered the Canvas that day."""
        values = [point.level.get("entries"), *(v.metrics.get("entries") for v in point.rows)]
        return any(v for v in values if v)

    def report_view(self, summary: CanvasSummary, *, title: str) -> ReportView:
        t = summary.totals
        variants = Table(
            "By variant",
            VARIANT_COLUMNS,
            tuple(
                (
                    v.name,
                    (
                        fmt_count(v.stats.get("entries")),
                        fmt_count(v.stats.get("conversions")),
                        fmt_rate(v.conversion_rate),
                        fmt_usd(v.stats.get("revenue")),
                    ),
                )
                for v in summary.variants
            ),
        )
        return self.object_report(
            summary,
            summary.canvas_id,
            title=title,
            figures=(
                Figure("Entries", fmt_count(t.get("entries"))),
                Figure("Conversions", with_rate(t.get("conversions"), summary.conversion_rate, "conv.")),
                Figure("Conversions by entry time", fmt_count(t.get("conversions_by_entry_time"))),
                Figure("Revenue", fmt_usd(t.get("revenue"))),
            ),
            details=(variants,) if summary.variants else (),
            footer=FOOTER,
            text=f"{title}: {fmt_count(t.get('entries'))} entries, {fmt_count(t.get('conversions'))} conversions "
            f"({fmt_rate(summary.conversion_rate)})",
        )

    def verdict_measures(self, summary: CanvasSummary, *, rates: bool) -> tuple[Measure, ...]:
        t = summary.totals
        rate = (Measure(conversion_rate(t), "converted", "rate"),) if rates else ()
        return (
            Measure(t.get("entries"), "entries"),
            *rate,
            Measure(t.get("conversions"), "conversions"),
            Measure(t.get("revenue"), "revenue", "usd", inside=True),
        )

    def movers(self, summary: CanvasSummary) -> tuple[tuple[str, float | None, str], ...]:
        t = summary.totals
        return (
            ("entries", t.get("entries"), "count"),
            ("conversions", t.get("conversions"), "count"),
            ("revenue", t.get("revenue"), "usd"),
        )

    def digest_view(self, digest: Digest, *, title: str) -> DigestView:
        t, b, w = digest.today.totals, digest.previous.totals, digest.span.totals

        def changed(name: str, shown: str) -> str:
            return shown + delta(t.get(name), b.get(name))

        figures = (
            Figure("Entries", changed("entries", fmt_count(t.get("entries")))),
            Figure("Conversions", changed("conversions", fmt_count(t.get("conversions")))),
            Figure("Conversion rate", fmt_rate(conversion_rate(t))),
            Figure("Revenue", changed("revenue", fmt_usd(t.get("revenue")))),
        )
        totals = (
            f"{fmt_count(w.get('entries'))} entries · {fmt_count(w.get('conversions'))} conversions "
            f"({fmt_rate(conversion_rate(w))}) · {fmt_usd(w.get('revenue'))}"
        )
        active = f"{fmt_count(t.get('entries'))} entries, {fmt_count(t.get('conversions'))} conversions"
        return self.object_digest(
            digest, title=title, figures=figures, totals=totals, text=self.notification(digest, title, active)
        )


CANVAS = CanvasKind()
