"""One report, from Braze to numbers to PNG, with no Slack in sight.

The on-demand command, thread mentions, buttons and the daily digest all call :func:`build_report`, so
every surface shows the same numbers for the same request.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from reports.braze import BrazeClient, BrazeError
from reports.models import ChartData, SendSeries
from reports.summary import Summary, chart_data, summarise

log = logging.getLogger(__name__)
#: How long a report waits for the campaign name once its numbers are ready.
NAME_TIMEOUT = 5.0


class Renderer(Protocol):
    def render(self, data: ChartData) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Report:
    """A finished report. ``chart_png`` is None when drawing failed; ``chart_error`` then says why."""

    summary: Summary
    series: SendSeries
    campaign_name: str | None
    chart_png: bytes | None
    chart_error: str | None = None

    @property
    def title(self) -> str:
        return self.campaign_name or f"Campaign {self.summary.campaign_id}"


class CampaignNames:
    """Caches campaign names for an hour: a name rarely changes, and each lookup costs a Braze call."""

    def __init__(self, braze: BrazeClient, ttl: float = 3600.0) -> None:
        self._braze = braze
        self._ttl = ttl
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._flights: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="names")

    def prefetch(self, campaign_id: str) -> Future[str | None]:
        """Look the name up beside the data fetch, so a cold cache doesn't add a second round trip."""
        return self._pool.submit(self.get, campaign_id)

    def get(self, campaign_id: str) -> str | None:
        """The cached name, or one Braze lookup however many threads ask for it at once."""
        with self._lock:
            flight = self._flights.setdefault(campaign_id, threading.Lock())
        with flight:
            now = time.monotonic()
            with self._lock:
                hit = self._cache.get(campaign_id)
            if hit and now - hit[0] < self._ttl:
                return hit[1]
            name = self._braze.campaign_name(campaign_id)
            with self._lock:
                if len(self._cache) > 5000:
                    self._cache.clear()
                    self._flights.clear()
                self._cache[campaign_id] = (now, name)
            return name


def date_range(days: int, until: date | None, today: date) -> tuple[date, date, datetime | None]:
    """The inclusive day range and Braze's ``ending_at`` (end of ``until``, UTC; None means now)."""
    end = until or today
    ending_at = datetime.combine(until, datetime.max.time().replace(microsecond=0), UTC) if until else None
    return end - timedelta(days=days - 1), end, ending_at


def build_report(
    braze: BrazeClient,
    renderer: Renderer,
    names: CampaignNames,
    *,
    campaign_id: str,
    send_id: str,
    days: int,
    until: date | None,
    today: date,
) -> Report:
    """Fetch, summarise and draw. Braze errors propagate as :class:`reports.braze.BrazeError`."""
    start, end, ending_at = date_range(days, until, today)
    name_lookup = names.prefetch(campaign_id)
    series = braze.data_series(campaign_id, send_id, length=days, ending_at=ending_at)
    summary = summarise(series, start=start, end=end, until_given=until is not None)
    try:
        name = name_lookup.result(timeout=NAME_TIMEOUT)
    except (TimeoutError, BrazeError):
        name = None  # the ID in the header is fine; the numbers matter more than the name
    title = f"{name or campaign_id} · send {send_id}"
    try:
        png, error = renderer.render(chart_data(series, summary, title=title)), None
    except Exception as exc:  # a chart is worth less than the numbers: deliver those regardless
        log.exception("chart rendering failed for %s/%s", campaign_id, send_id)
        png, error = None, f"the chart could not be drawn ({type(exc).__name__})"
    return Report(summary=summary, series=series, campaign_name=name, chart_png=png, chart_error=error)
