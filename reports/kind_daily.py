"""The numbers of one daily digest of a campaign or Canvas: the latest complete day, the day before,
and the last 14 days, plus whether the subscription should end.

Unlike a send, a campaign or Canvas has no analytics window that closes: its digests end when Braze
reports it archived, or after :data:`QUIET_DAYS_TO_END` days in a row with nothing sent (campaign) or
nobody entering (Canvas). Pure functions over parsed series, so a round fetches each campaign or Canvas
once however many channels subscribe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from reports.campaigns import CampaignSummary, summarise_campaign
from reports.canvases import CanvasSummary, summarise_canvas
from reports.models import DayPoint, Series

#: Days the digest's totals and chart cover, and the days fetched for it (a single Canvas piece).
WINDOW_DAYS = 14
#: Consecutive days without anything sent (or entered) after which a subscription ends.
QUIET_DAYS_TO_END = 14

KindSummary = CampaignSummary | CanvasSummary


@dataclass(frozen=True, slots=True)
class KindDigest:
    """One digest of a campaign or Canvas. ``day`` is the latest complete day (before ``digest_date``)."""

    kind: str
    object_id: str
    digest_date: date
    day: date
    today: KindSummary
    previous: KindSummary
    window: KindSummary
    #: Days in a row, ending on ``day``, with nothing sent or entered (counted from the subscription's start).
    quiet_days: int
    archived: bool
    #: The last digest: why it is the last (archived, or too many quiet days), else None.
    end_reason: str | None

    @property
    def has_activity(self) -> bool:
        return self.quiet_days == 0

    @property
    def final(self) -> bool:
        return self.end_reason is not None


def span(digest_date: date) -> tuple[int, date]:
    """Braze ``length`` and last day to fetch for the digest of ``digest_date``."""
    return WINDOW_DAYS, digest_date - timedelta(days=1)


def active(kind: str, point: DayPoint) -> bool:
    """Something was sent (any channel count above 0) or somebody entered the Canvas that day."""
    if kind == "canvas":
        values = [point.level.get("entries"), *(v.metrics.get("entries") for v in point.rows)]
        return any(v for v in values if v)
    return any(value > 0 for row in point.rows for _, value in row.metrics.items)


def _summarise(kind: str, series: Series, start: date, end: date) -> KindSummary:
    if kind == "canvas":
        return summarise_canvas(series, start=start, end=end)
    return summarise_campaign(series, start=start, end=end)


def build_kind_digest(
    kind: str, series: Series, *, first_day: date, digest_date: date, archived: bool
) -> KindDigest:
    """Digest for ``digest_date`` of a subscription whose first reported day is ``first_day``."""
    day = digest_date - timedelta(days=1)
    busy = {p.day for p in series.days if active(kind, p)}
    quiet, cursor = 0, day
    while cursor >= first_day and cursor not in busy and quiet < QUIET_DAYS_TO_END:
        quiet, cursor = quiet + 1, cursor - timedelta(days=1)
    noun = "campaign" if kind == "campaign" else "Canvas"
    nothing = "nothing was sent" if kind == "campaign" else "nobody entered it"
    if archived:
        reason: str | None = f"Braze reports the {noun} archived"
    elif quiet >= QUIET_DAYS_TO_END:
        reason = f"{nothing} for {QUIET_DAYS_TO_END} days in a row"
    else:
        reason = None
    object_id = series.object_id
    before = day - timedelta(days=1)
    return KindDigest(
        kind=kind,
        object_id=object_id,
        digest_date=digest_date,
        day=day,
        today=_summarise(kind, series, day, day),
        previous=_summarise(kind, series, before, before),
        window=_summarise(kind, series, day - timedelta(days=WINDOW_DAYS - 1), day),
        quiet_days=quiet,
        archived=archived,
        end_reason=reason,
    )
