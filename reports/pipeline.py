"""One report, from Braze to numbers to PNG, with no Slack in sight.

The on-demand command, thread mentions, buttons and the daily digest all call :func:`build_report`, so
every surface shows the same numbers for the same request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from reports.braze import BrazeClient, decode_series, no_data
from reports.chart import render_chart
from reports.models import ChartData
from reports.parse import parse_series
from reports.summary import Summary, campaign_title, chart_data, summarise

log = logging.getLogger(__name__)
T = TypeVar("T")
#: How long a report waits for the campaign name once its numbers are ready.
NAME_TIMEOUT = 3.0


class Workers(Protocol):
    """Where CPU-bound work runs (``reports.render_pool.ChartRenderer``: worker processes)."""

    def render(self, data: ChartData) -> bytes: ...

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T: ...


@dataclass(frozen=True, slots=True)
class Analysis:
    """What a worker process returns: the numbers and the drawing (small and picklable)."""

    summary: Summary
    chart_png: bytes | None
    chart_error: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """A finished report. ``chart_png`` is None when drawing failed; ``chart_error`` then says why."""

    summary: Summary
    campaign_name: str | None
    chart_png: bytes | None
    chart_error: str | None = None

    @property
    def title(self) -> str:
        return campaign_title(self.campaign_name, self.summary.campaign_id)


def analyse(
    raw: bytes | dict[str, Any],
    *,
    campaign_id: str,
    send_id: str,
    start: date,
    end: date,
    until_given: bool,
    title: str,
) -> Analysis:
    """Decode, parse, summarise and draw: every CPU-heavy step of a report, in one call a worker process
    can run. Kept out of the process that acknowledges Slack, where it would hold the GIL while acks wait.
    Braze's answer arrives as bytes, so even the JSON decoding of a large answer happens here.
    """
    payload = decode_series(raw, campaign_id, send_id) if isinstance(raw, bytes) else raw
    series = parse_series(payload, campaign_id=campaign_id, send_id=send_id)
    summary = summarise(series, start=start, end=end, until_given=until_given)
    if not summary.has_data:
        return Analysis(summary, None)
    try:
        return Analysis(summary, render_chart(chart_data(series, summary, title=title)))
    except Exception as exc:  # a chart is worth less than the numbers: deliver those regardless
        log.exception("chart rendering failed for %s/%s", campaign_id, send_id)
        return Analysis(summary, None, f"the chart could not be drawn ({type(exc).__name__})")


class CampaignNames:
    """Caches campaign and Canvas names for an hour: a name rarely changes, and each lookup costs a Braze call."""

    def __init__(self, braze: BrazeClient, ttl: float = 3600.0) -> None:
        self._braze = braze
        self._ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, str | None]] = {}
        self._flights: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        # Enough threads that one campaign whose lookup hangs (until the client's deadline) leaves room.
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="names")

    def clear(self) -> None:
        """Forget every cached name (the next lookup asks Braze again)."""
        with self._lock:
            self._cache.clear()

    def prefetch(self, campaign_id: str) -> Future[str | None]:
        """Look the name up beside the data fetch, so a cold cache doesn't add a second round trip."""
        return self._pool.submit(self.get, campaign_id)

    def prefetch_canvas(self, canvas_id: str) -> Future[str | None]:
        """Like :meth:`prefetch`, for a Canvas (``/canvas/details``)."""
        return self._pool.submit(self.get_canvas, canvas_id)

    def get(self, campaign_id: str) -> str | None:
        """The cached campaign name, or one Braze lookup however many threads ask for it at once."""
        return self._cached(("campaign", campaign_id), self._braze.campaign_name)

    def get_canvas(self, canvas_id: str) -> str | None:
        """The cached Canvas name (``/canvas/details``), looked up once however many threads ask."""
        return self._cached(("canvas", canvas_id), self._braze.canvas_name)

    def remember(self, kind: str, object_id: str, name: str | None) -> None:
        """Store a name learnt elsewhere (a list page, a Canvas series answer) so no lookup is needed."""
        with self._lock:
            self._cache[(kind, object_id)] = (time.monotonic(), name)

    def _cached(self, key: tuple[str, str], lookup: Callable[[str], str | None]) -> str | None:
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            now = time.monotonic()
            with self._lock:
                hit = self._cache.get(key)
            if hit and now - hit[0] < self._ttl:
                return hit[1]
            name = lookup(key[1])
            with self._lock:
                if len(self._cache) > 5000:
                    self._cache.clear()
                    self._flights.clear()
                self._cache[key] = (now, name)
            return name


def days_with_data(raw: bytes, campaign_id: str, send_id: str) -> list[date]:
    """The days with data in a ``data_series`` answer, oldest first (``subscribe`` needs only these).
    Module-level so it runs in a worker process: a large answer is decoded and parsed there."""
    series = parse_series(decode_series(raw, campaign_id, send_id), campaign_id=campaign_id, send_id=send_id)
    return [point.day for point in series.days if point.has_data]


def date_range(days: int, until: date | None, today: date) -> tuple[date, date, datetime | None]:
    """The inclusive day range and Braze's ``ending_at`` (end of ``until``, UTC; None means now)."""
    end = until or today
    ending_at = datetime.combine(until, datetime.max.time().replace(microsecond=0), UTC) if until else None
    return end - timedelta(days=days - 1), end, ending_at


def build_report(
    braze: BrazeClient,
    workers: Workers,
    names: CampaignNames,
    *,
    campaign_id: str,
    send_id: str,
    days: int,
    until: date | None,
    today: date,
) -> Report:
    """Fetch (here: waiting is cheap), then analyse in a worker. Braze errors propagate as
    :class:`reports.braze.BrazeError`."""
    start, end, ending_at = date_range(days, until, today)
    name_lookup = names.prefetch(campaign_id)
    raw = braze.data_series_raw(campaign_id, send_id, length=days, ending_at=ending_at)
    try:
        name = name_lookup.result(timeout=NAME_TIMEOUT)
    except Exception:  # a slow or bad name lookup: the ID in the header is fine; the numbers matter more
        log.info("campaign name for %s not available in time; using the ID", campaign_id)
        name = None
    analysis = workers.run(
        analyse,
        raw,
        campaign_id=campaign_id,
        send_id=send_id,
        start=start,
        end=end,
        until_given=until is not None,
        title=f"{name or campaign_id} · send {send_id}",
    )
    if not analysis.summary.has_data:
        raise no_data(campaign_id, send_id)
    return Report(analysis.summary, name, analysis.chart_png, analysis.chart_error)
