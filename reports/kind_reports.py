"""Campaign and Canvas reports, from Braze to numbers to PNG, with no Slack in sight.

Same split as :mod:`reports.pipeline` for sends: the calling thread only does I/O (the Braze fetch and
the name lookup), and parsing, summing and drawing run in a worker process through ``Workers.run``.
Everything that shows a campaign or Canvas report (the command, mentions, buttons, and later the modal
and digests) calls :func:`build_kind_report`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from reports.braze import BrazeClient, no_kind_data
from reports.campaigns import CampaignSummary, campaign_chart_data, parse_campaign_series, summarise_campaign
from reports.canvases import CanvasSummary, canvas_chart_data, parse_canvas_series, summarise_canvas
from reports.chart import render_chart
from reports.pipeline import NAME_TIMEOUT, CampaignNames, Workers, date_range

log = logging.getLogger(__name__)

ReportKind = Literal["campaign", "canvas"]
KIND_LABEL: dict[str, str] = {"campaign": "campaign", "canvas": "Canvas"}
KindSummary = CampaignSummary | CanvasSummary


@dataclass(frozen=True, slots=True)
class KindAnalysis:
    """What the worker returns: the numbers and the drawing (small and picklable)."""

    summary: KindSummary
    chart_png: bytes | None
    chart_error: str | None = None


@dataclass(frozen=True, slots=True)
class KindReport:
    """A finished campaign or Canvas report; ``chart_png`` None means drawing failed (``chart_error``)."""

    kind: ReportKind
    object_id: str
    summary: KindSummary
    name: str | None
    chart_png: bytes | None
    chart_error: str | None = None

    @property
    def title(self) -> str:
        return kind_title(self.kind, self.name, self.object_id)


def kind_title(kind: str, name: str | None, object_id: str) -> str:
    """Its Braze name, else "Campaign <id>" / "Canvas <id>"."""
    return name or f"{KIND_LABEL.get(kind, kind).capitalize()} {object_id}"


def analyse_kind(
    kind: ReportKind, payload: dict[str, Any], *, object_id: str, start: date, end: date, title: str
) -> KindAnalysis:
    """Parse, summarise and draw in one call a worker process can run."""
    summary: KindSummary
    if kind == "campaign":
        campaign = parse_campaign_series(payload, campaign_id=object_id)
        summary = summarise_campaign(campaign, start=start, end=end)
        make_chart = lambda: campaign_chart_data(campaign, summary, title=title)  # noqa: E731
    else:
        canvas = parse_canvas_series(payload, canvas_id=object_id)
        summary = summarise_canvas(canvas, start=start, end=end)
        make_chart = lambda: canvas_chart_data(canvas, summary, title=title)  # noqa: E731
    if not summary.has_data:
        return KindAnalysis(summary, None)
    try:
        return KindAnalysis(summary, render_chart(make_chart()))
    except Exception as exc:  # the numbers matter more than the drawing
        log.exception("chart rendering failed for %s %s", kind, object_id)
        return KindAnalysis(summary, None, f"the chart could not be drawn ({type(exc).__name__})")


def fetch_payload(braze: BrazeClient, kind: ReportKind, object_id: str, *, days: int, until: date | None,
                  now: datetime) -> dict[str, Any]:
    """Braze's JSON for the range (Canvas ranges over 14 days arrive in pieces, joined by the client)."""
    _start, _end, ending_at = date_range(days, until, now.date())
    if kind == "campaign":
        return braze.campaign_series_payload(object_id, length=days, ending_at=ending_at)
    return braze.canvas_series_payload(object_id, length=days, ending_at=ending_at or now.astimezone(UTC))


def build_kind_report(
    braze: BrazeClient,
    workers: Workers,
    names: CampaignNames,
    *,
    kind: ReportKind,
    object_id: str,
    days: int,
    until: date | None,
    now: datetime,
) -> KindReport:
    """Fetch (here: waiting is cheap), then analyse in a worker. Raises :class:`BrazeError`."""
    start, end, _ = date_range(days, until, now.date())
    lookup = names.prefetch(object_id) if kind == "campaign" else names.prefetch_canvas(object_id)
    payload = fetch_payload(braze, kind, object_id, days=days, until=until, now=now)
    try:
        name = lookup.result(timeout=NAME_TIMEOUT)
    except Exception:  # slow, refused or unreadable: the ID is a fine title, the numbers matter more
        name = None
    if name is None and kind == "canvas":
        data = payload.get("data")
        series_name = data.get("name") if isinstance(data, dict) else None
        name = series_name.strip()[:150] if isinstance(series_name, str) and series_name.strip() else None
    analysis = workers.run(
        analyse_kind, kind, payload, object_id=object_id, start=start, end=end,
        title=kind_title(kind, name, object_id),
    )
    if not analysis.summary.has_data:
        raise no_kind_data(KIND_LABEL[kind], object_id)
    return KindReport(kind, object_id, analysis.summary, name, analysis.chart_png, analysis.chart_error)
