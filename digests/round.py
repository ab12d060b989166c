"""One digest round: claim, fetch each send once, build, post, record.

The scheduler's jobs and ``python -m bot digest`` both call :func:`run_round`. Exactly-once rests on the
store's claim (a row unique on subscription and digest date, inserted before posting), so two processes
running the same round post each digest once. One broken subscription never stops a round.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from tenacity import Retrying, stop_after_attempt, wait_exponential

from digests.ports import DigestSender, SendFailed
from digests.records import Delivery, DeliveryStatus, Subscription
from digests.schedule import first_digest_date, local_due
from digests.store import Store
from reports.braze import BrazeClient, BrazeError, BrazeNoData
from reports.daily import Digest, build_digest, fetch_span
from reports.models import SendSeries
from reports.pipeline import CampaignNames, Workers
from reports.summary import campaign_title, chart_data

log = logging.getLogger(__name__)
#: Threads that post a round's digests. Posting is waiting on Slack, not CPU: 1,000 digests took
#: 39 s with 8 threads and 15 s with 32 (bench/bench_digest.py); more gained nothing.
ROUND_WORKERS = 32
#: Concurrent Braze fetches in a round (one per send); Braze's limit is shared with other tools.
FETCH_WORKERS = 8


@dataclass
class RoundResult:
    """What a round did, by outcome (also the figures ``python -m bot digest`` prints)."""

    posted: int = 0
    quiet: int = 0  # posted a short "no activity" digest
    skipped: int = 0
    failed: int = 0
    paused: int = 0
    ended: int = 0
    not_due: int = 0
    already_done: int = 0
    braze_calls: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, name: str) -> None:
        with _COUNT_LOCK:
            setattr(self, name, getattr(self, name) + 1)


_COUNT_LOCK = threading.Lock()


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RoundContext:
    """What a round needs: Braze, the chart workers, the store, and a way to Slack (the port)."""

    braze: BrazeClient
    renderer: Workers
    names: CampaignNames
    store: Store
    sender: DigestSender
    clock: Callable[[], datetime] = _utc_now


@dataclass
class _Job:
    sub: Subscription
    claim: Delivery
    digest_date: date


def run_round(
    deps: RoundContext,
    subscriptions: Sequence[Subscription],
    *,
    now: datetime | None = None,
    digest_date: date | None = None,
    ignore_time: bool = False,
) -> RoundResult:
    """Post every due digest among ``subscriptions``.

    Live rounds (``digest_date`` None) post a subscription's digest once its local time has passed
    today. With ``digest_date`` (``python -m bot digest --date``) each subscription's digest for that
    date is posted now, if it has not been yet; ``ignore_time`` does the same for each local today.
    """
    now = now or deps.clock()
    result = RoundResult()
    jobs: list[_Job] = []
    for sub in subscriptions:
        if sub.status != "active":
            continue
        if digest_date is not None:  # an explicit date (backfill) is posted whatever the clock says
            day, due = digest_date, True
        else:
            day, time_passed = local_due(sub, now)
            due = (time_passed or ignore_time) and day >= first_digest_date(sub)
        if not due:
            result.not_due += 1
            continue
        if sub.last_digest_on is not None and sub.last_digest_on >= day:
            result.already_done += 1  # known without a claim attempt (sweeps run every few minutes)
            continue
        try:
            claim = deps.store.claim(sub.id, day, now=now)
        except Exception:  # a database hiccup costs this subscription this round, not the round
            log.exception("could not claim the %s digest of subscription %s", day, sub.id)
            result.count("failed")
            continue
        if claim is None:
            result.already_done += 1
            continue
        jobs.append(_Job(sub, claim, day))
    groups: dict[tuple[str, str], list[_Job]] = {}
    for job in jobs:
        groups.setdefault((job.sub.campaign_id, job.sub.send_id), []).append(job)
    charts = _ChartCache(deps)
    with ThreadPoolExecutor(max_workers=FETCH_WORKERS, thread_name_prefix="digest-fetch") as fetchers:
        fetched = list(fetchers.map(lambda group: _fetch_group(deps, group, result), groups.values()))
    with ThreadPoolExecutor(max_workers=ROUND_WORKERS, thread_name_prefix="digest-post") as posters:
        # Interleave sends, so the posting threads wait on several charts at once instead of all
        # queueing behind one send's chart.
        lanes = [
            [(job, series, name) for job in group]
            for group, (series, name) in zip(groups.values(), fetched, strict=True)
            if series is not None
        ]
        futures = [
            posters.submit(_post_one, deps, job, series, name, charts, result)
            for batch in itertools.zip_longest(*lanes)
            for item in batch
            if item is not None
            for job, series, name in [item]
        ]
        for future in futures:
            future.result()
    log.info("digest round: %s", result)
    return result


def _fetch(deps: RoundContext, group: list[_Job], result: RoundResult) -> SendSeries | BrazeError:
    """One Braze call for the whole group, covering every member's range."""
    first = min(job.sub.first_day for job in group)
    last_digest = max(job.digest_date for job in group)
    length, last = fetch_span(first, last_digest)
    sub = group[0].sub
    if last < first:
        return SendSeries(sub.campaign_id, sub.send_id)
    ending_at = datetime.combine(last, time(23, 59, 59), UTC)
    result.count("braze_calls")
    try:
        return deps.braze.data_series(sub.campaign_id, sub.send_id, length=length, ending_at=ending_at)
    except BrazeNoData:
        return SendSeries(sub.campaign_id, sub.send_id)
    except BrazeError as exc:
        return exc


def _fetch_group(deps: RoundContext, group: list[_Job], result: RoundResult) -> tuple[SendSeries | None, str | None]:
    """Fetch a send once for all its subscribers; on failure record each claim as failed (retried later)."""
    try:
        fetched = _fetch(deps, group, result)
    except Exception as exc:  # never let one send stop the round
        log.exception("digest fetch crashed")
        fetched = BrazeError(f"internal error ({type(exc).__name__})")
    if isinstance(fetched, BrazeError):
        for job in group:
            log.warning("digest %s for #%s failed at Braze: %s", job.digest_date, job.sub.id, fetched.user_message)
            deps.store.finish(job.claim.id, "failed", detail=f"braze: {fetched.user_message}"[:500])
            result.count("failed")
        return None, None
    return fetched, deps.names.get(group[0].sub.campaign_id)


class _ChartCache:
    """Draws the series-so-far chart once per (send, range) however many channels subscribe."""

    def __init__(self, deps: RoundContext) -> None:
        self._deps = deps
        self._charts: dict[tuple[str, str, date, date], bytes | None] = {}
        self._locks: dict[tuple[str, str, date, date], threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, digest: Digest, series: SendSeries, title: str) -> bytes | None:
        key = (series.campaign_id, series.send_id, digest.cumulative.start, digest.day)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._charts:
                try:
                    self._charts[key] = self._deps.renderer.render(chart_data(series, digest.cumulative, title=title))
                except Exception:
                    log.exception("digest chart failed")
                    self._charts[key] = None
            return self._charts[key]


def _record(store: Store, delivery_id: int, status: DeliveryStatus, **kwargs: Any) -> None:
    """Record a delivery's outcome, retrying a flaky database; never lets the error stop the round."""
    try:
        for attempt in Retrying(stop=stop_after_attempt(5), wait=wait_exponential(0.2, max=5), reraise=True):
            with attempt:
                store.finish(delivery_id, status, **kwargs)
    except Exception:
        log.exception("could not record delivery %s as %s; its claim stays until it goes stale", delivery_id, status)


def _post_one(
    deps: RoundContext,
    job: _Job,
    series: SendSeries,
    name: str | None,
    charts: _ChartCache,
    result: RoundResult,
) -> None:
    """Build and post one digest. Once Slack has it, the outcome is recorded as posted, never as
    failed: a failed row would be re-claimed and posted a second time."""
    store, sub = deps.store, job.sub
    try:
        digest = build_digest(series, first_day=sub.first_day, digest_date=job.digest_date)
        title = campaign_title(name, sub.campaign_id)
        if digest.day < sub.first_day:
            _record(store, job.claim.id, "skipped", detail="no complete day of data yet")
            result.count("skipped")
            return
        png = charts.get(digest, series, f"{title} · send {sub.send_id}") if digest.has_activity else None
        delivered = deps.sender.post_digest(sub, digest, title=title, png=png)
    except SendFailed as exc:
        _record(store, job.claim.id, "failed", detail=f"slack: {exc.code}")
        result.count("failed")
        if exc.permanent:
            _pause(deps, sub, exc)
            result.count("paused")
        return
    except Exception as exc:
        log.exception("digest for subscription %s failed", sub.id)
        _record(store, job.claim.id, "failed", detail=f"internal: {type(exc).__name__}")
        result.count("failed")
        result.errors.append(f"{sub.id}: {type(exc).__name__}")
        return
    _record(
        store, job.claim.id, "posted", detail=None if digest.has_activity else "no activity", message_ts=delivered.ts
    )
    result.count("posted" if digest.has_activity else "quiet")
    if digest.final:
        try:
            store.end(sub.id, f"Braze's analytics window closed on {digest.cumulative.window_end}")
            result.count("ended")
        except Exception:
            log.exception("could not end subscription %s", sub.id)


def _pause(deps: RoundContext, sub: Subscription, failure: SendFailed) -> None:
    """Stop posting where Slack refuses us, and tell the subscriber privately why and how to resume."""
    deps.store.pause(sub.id, f"slack: {failure.code}")
    try:
        deps.sender.tell_paused(sub, failure)
    except Exception:
        log.warning("could not tell %s about paused subscription %s", sub.created_by, sub.id)
