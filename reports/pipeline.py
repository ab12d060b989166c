"""One report of any kind, from Braze to numbers to PNG, with no Slack in sight.

The command, thread mentions, buttons, the report form and the daily digest all call
:func:`build_report` (or, for digests, the same kind methods), so every surface shows the same numbers
for the same request. The calling thread only does I/O (the Braze fetch, the name lookup); decoding,
parsing, summing and drawing run in a worker process through ``Workers.run``.

A report's days are how far it looks back, at most: its summary and chart start at the first day with
data (:func:`from_first_day`), so a campaign that began 10 days ago gets 10 days, not a 30-day chart
two-thirds empty, and the header says how many days before it had nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from reports.braze import BrazeClient, decode_json
from reports.chart import render_chart, render_variants
from reports.comparison import RateComparison
from reports.comparison import chart_data as variants_chart_data
from reports.export import series_csv
from reports.kinds import Kind, Target
from reports.kinds.base import ReportKind, Workers
from reports.kinds.registry import kind_of
from reports.models import NO_LABELS, DayPoint, Labels, Series
from reports.verdict import halves

__all__ = [
    "Analysis", "CampaignNames", "Report", "Workers", "analyse", "build_report", "date_range", "export_csv",
    "from_first_day",
]

log = logging.getLogger(__name__)
#: How long a report waits for the name once its numbers are ready.
NAME_TIMEOUT = 3.0


@dataclass(frozen=True, slots=True)
class Analysis:
    """What a worker process returns: the numbers and the drawing (small and picklable)."""

    summary: Any
    chart_png: bytes | None
    chart_error: str | None = None
    #: The variations compared (none without two or more), their error-bar chart, and the daily series as CSV.
    comparisons: tuple[RateComparison, ...] = ()
    variants_png: bytes | None = None
    csv: bytes | None = None
    #: Summaries of the range's last week and the week before (:func:`reports.verdict.halves`), if it holds both.
    halves: tuple[Any, Any] | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """A finished report. ``chart_png`` is None when drawing failed; ``chart_error`` then says why."""

    target: Target
    #: The kind's summary (``reports.summary.Summary``, ``CampaignSummary``, ``CanvasSummary``).
    summary: Any
    name: str | None
    chart_png: bytes | None
    chart_error: str | None = None
    #: The variations compared on each rate (``reports.comparison``), primary rate first; empty without variations.
    comparisons: tuple[RateComparison, ...] = ()
    #: The error-bar chart of the primary rate's variations (None: nothing compared, or it could not be drawn).
    variants_png: bytes | None = None
    #: The daily series behind the chart, as CSV (``reports.export``).
    csv: bytes | None = None
    #: The last week and the week before, for the verdict's change (None: the range is too short).
    halves: tuple[Any, Any] | None = None

    @property
    def kind(self) -> ReportKind:
        return kind_of(self.target.kind)

    @property
    def title(self) -> str:
        return self.kind.title(self.name, self.target)


def analyse(
    raw: bytes | dict[str, Any],
    *,
    target: Target,
    start: date,
    end: date,
    until_given: bool,
    title: str,
    labels: Labels = NO_LABELS,
) -> Analysis:
    """Decode, parse, summarise and draw: every CPU-heavy step of a report, in one call a worker process
    can run. Kept out of the process that acknowledges Slack, where it would hold the GIL while acks wait.
    A send's answer arrives as bytes, so even the JSON decoding of a large answer happens here.
    """
    kind = kind_of(target.kind)
    payload = decode_json(raw) if isinstance(raw, bytes) else raw
    series = kind.read(payload, target, labels)
    summary = from_first_day(kind.summarise(series, start=start, end=end, until_given=until_given), series)
    if not summary.has_data:
        return Analysis(summary, None)
    comparisons = kind.compared(series, start=summary.start, end=summary.end)
    csv = series_csv(series, start=summary.start, end=summary.end)
    variants = None
    if (data := variants_chart_data(comparisons, title=title)) is not None:
        try:
            variants = render_variants(data)
        except Exception:  # the comparison stays in the message; only its picture is missing
            log.exception("variants chart failed for %s", target)
    periods = halves(summary.start, summary.end)
    pair = tuple(kind.summarise(series, start=a, end=b) for a, b in periods) if periods else None
    try:
        png, error = render_chart(kind.chart(series, summary, title=title)), None
    except Exception as exc:  # a chart is worth less than the numbers: deliver those regardless
        log.exception("chart rendering failed for %s", target)
        png, error = None, f"the chart could not be drawn ({type(exc).__name__})"
    return Analysis(summary, png, error, comparisons, variants, csv, pair)


def export_csv(
    raw: bytes | dict[str, Any], *, target: Target, start: date, end: date, labels: Labels = NO_LABELS
) -> bytes:
    """The CSV of ``start``..``end`` from Braze's answer (:mod:`reports.export`), variations named as a
    report names them (``labels``), for a worker process: a digest's data button fetches its range again
    and builds the file here."""
    kind = kind_of(target.kind)
    payload = decode_json(raw) if isinstance(raw, bytes) else raw
    return series_csv(kind.read(payload, target, labels), start=start, end=end)


def _has_numbers(point: DayPoint) -> bool:
    """Braze reported the day with a number other than 0 (a day of zeros before a campaign began says
    nothing more than a day Braze left out)."""
    return any(value for _, value in point.level.items) or any(
        value for row in point.rows for _, value in row.metrics.items
    )


def from_first_day(summary: Any, series: Series) -> Any:
    """``summary`` (any kind's) narrowed to start at the first day of its range with a number in ``series``;
    ``quiet_before`` counts the days left out. Nothing before that day had any data, so the totals stay as
    they are; days of zeros left out no longer count as days with data. Computed over the whole range
    first, so a send still knows its window from an empty day before its send day
    (``reports.summary.window_start_known``)."""
    first = next(
        (p.day for p in series.days if summary.start <= p.day <= summary.end and p.has_data and _has_numbers(p)),
        None,
    )
    if first is None or first <= summary.start:
        return summary
    zeros = sum(1 for p in series.days if summary.start <= p.day < first and p.has_data)
    return replace(
        summary, start=first, days_with_data=summary.days_with_data - zeros, quiet_before=(first - summary.start).days
    )


class CampaignNames:
    """Caches what Braze's details name (campaign and Canvas names, a campaign's variation and conversion
    event names: :class:`~reports.models.Labels`) for an hour: they rarely change, and each lookup costs
    a Braze call, the same one that gives the name."""

    def __init__(self, braze: BrazeClient, ttl: float = 3600.0) -> None:
        self._braze = braze
        self._ttl = ttl
        self._cache: dict[tuple[Kind, str], tuple[float, Labels]] = {}
        self._flights: dict[tuple[Kind, str], threading.Lock] = {}
        self._lock = threading.Lock()
        # Enough threads that one campaign whose lookup hangs (until the client's deadline) leaves room.
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="names")

    def clear(self) -> None:
        """Forget every cached name (the next lookup asks Braze again)."""
        with self._lock:
            self._cache.clear()

    def prefetch(self, kind: Kind, object_id: str) -> Future[Labels]:
        """Look the labels up beside the data fetch, so a cold cache doesn't add a second round trip."""
        return self._pool.submit(self.labels, kind, object_id)

    def get(self, kind: Kind, object_id: str) -> str | None:
        """The cached name of ``object_id`` as a ``kind`` report shows it (a send: its campaign's)."""
        return self.labels(kind, object_id).name

    def labels(self, kind: Kind, object_id: str) -> Labels:
        """The cached labels of ``object_id`` (a send: its campaign's), or one Braze lookup however many
        threads ask for it at once."""
        report = kind_of(kind)
        return self._cached((report.name_key, object_id), lambda: report.lookup_labels(self._braze, object_id))

    def remember(self, kind: Kind, object_id: str, name: str | None) -> None:
        """Store a name learnt elsewhere (a list page, a Canvas series answer) so no lookup is needed."""
        with self._lock:
            self._cache[(kind_of(kind).name_key, object_id)] = (time.monotonic(), Labels(name))

    def _cached(self, key: tuple[Kind, str], lookup: Callable[[], Labels]) -> Labels:
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            now = time.monotonic()
            with self._lock:
                hit = self._cache.get(key)
            if hit and now - hit[0] < self._ttl:
                return hit[1]
            labels = lookup()
            with self._lock:
                if len(self._cache) > 5000:
                    self._cache.clear()
                    self._flights.clear()
                self._cache[key] = (now, labels)
            return labels


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
    target: Target,
    days: int,
    until: date | None,
    now: datetime,
) -> Report:
    """Fetch (here: waiting is cheap), then analyse in a worker. Braze errors propagate as
    :class:`reports.braze.BrazeError`."""
    kind = kind_of(target.kind)
    start, end, ending_at = date_range(days, until, now.date())
    lookup = names.prefetch(target.kind, target.object_id)
    raw = kind.fetch(braze, target, length=days, ending_at=ending_at, now=now)
    try:
        labels = lookup.result(timeout=NAME_TIMEOUT)
    except Exception:  # slow, refused or unreadable: the ID is a fine title, the numbers matter more
        log.info("the name of %s was not available in time; using the ID", target)
        labels = NO_LABELS
    name = labels.name or kind.name_in(raw)
    analysis = workers.run(
        analyse,
        raw,
        target=target,
        start=start,
        end=end,
        until_given=until is not None,
        title=kind.chart_title(kind.title(name, target), target),
        labels=labels,
    )
    if not analysis.summary.has_data:
        raise kind.no_data(target)
    return Report(
        target, analysis.summary, name, analysis.chart_png, analysis.chart_error, analysis.comparisons,
        analysis.variants_png, analysis.csv, analysis.halves,
    )
