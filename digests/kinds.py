"""What the digest round does differently for campaign and Canvas subscriptions, in one place.

A send's digest reads ``/sends/data_series`` (see :mod:`digests.round`). A campaign's or Canvas's reads
its own series for the last 14 days (one call; a single Canvas piece) and its details, for the name and
the archived flag that ends the subscription. Everything else (claims, leases, steps, retries) is the
round's, shared by every kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from digests.records import Subscription
from reports.braze import BrazeClient, BrazeError, BrazeNoData
from reports.campaigns import campaign_chart_data, parse_campaign_series
from reports.canvases import canvas_chart_data, parse_canvas_series
from reports.kind_daily import KindDigest, build_kind_digest, span
from reports.kind_reports import kind_title
from reports.models import Series
from reports.pipeline import Workers

log = logging.getLogger(__name__)
KINDS = ("campaign", "canvas")


def is_kind(sub: Subscription) -> bool:
    """A campaign or Canvas subscription (not a send)."""
    return sub.kind in KINDS


def group_key(sub: Subscription) -> tuple[str, str, str]:
    """Subscriptions fetched together: one Braze read per send, campaign or Canvas."""
    return sub.kind, sub.object_id, sub.send_id


@dataclass(frozen=True)
class KindFetched:
    """One campaign's or Canvas's numbers for a round, with its name and whether it is archived."""

    kind: str
    object_id: str
    series: Series
    name: str | None
    archived: bool


def fetch(braze: BrazeClient, sub: Subscription, digest_dates: list[date], count: Callable[[], None]) -> KindFetched:
    """The series ending the day before the latest digest date, and the details (name, archived).

    A details failure is not fatal (a key without ``campaigns.details`` still gets digests, ended by quiet
    days only); a series failure raises :class:`BrazeError` and the round retries later.
    """
    length, last = span(max(digest_dates))
    ending_at = datetime.combine(last, time(23, 59, 59), UTC)
    object_id = sub.object_id
    count()
    try:
        if sub.kind == "campaign":
            payload = braze.campaign_series_payload(object_id, length=length, ending_at=ending_at)
        else:
            payload = braze.canvas_series_payload(object_id, length=length, ending_at=ending_at)
    except BrazeNoData:
        payload = {}
    count()
    name, archived = None, False
    try:
        details = braze.campaign_details(object_id) if sub.kind == "campaign" else braze.canvas_details(object_id)
        name, archived = details.name, bool(details.archived)
    except BrazeError as exc:
        log.info("no details for %s %s (%s); quiet days alone end its digests", sub.kind, object_id, exc.status)
    series: Series
    if sub.kind == "campaign":
        series = parse_campaign_series(payload, campaign_id=object_id)
    else:
        series = parse_canvas_series(payload, canvas_id=object_id)
        data = payload.get("data") if isinstance(payload, dict) else None
        name = name or (data.get("name") if isinstance(data, dict) and isinstance(data.get("name"), str) else None)
    return KindFetched(sub.kind, object_id, series, name, archived)


def build(fetched: KindFetched, sub: Subscription, digest_date: date) -> KindDigest:
    return build_kind_digest(
        fetched.kind, fetched.series, first_day=sub.first_day, digest_date=digest_date, archived=fetched.archived
    )


def title(fetched: KindFetched) -> str:
    return kind_title(fetched.kind, fetched.name, fetched.object_id)


def chart_key(digest: KindDigest) -> tuple[str, str, date, date]:
    return digest.kind, digest.object_id, digest.window.start, digest.day


def render(renderer: Workers, fetched: KindFetched, digest: KindDigest, chart_title: str) -> bytes:
    """The last 14 days' chart, drawn in a worker process."""
    if fetched.kind == "campaign":
        data = campaign_chart_data(fetched.series, digest.window, title=chart_title)  # type: ignore[arg-type]
    else:
        data = canvas_chart_data(fetched.series, digest.window, title=chart_title)  # type: ignore[arg-type]
    return renderer.render(data)


def end_reason(digest: KindDigest) -> str:
    return digest.end_reason or "ended"
