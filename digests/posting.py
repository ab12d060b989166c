"""Posting one claimed digest, step by step, each step written the moment it happens: the message
(``ts`` recorded as soon as ``chat.postMessage`` returns, or found again by its metadata when the answer
was lost), then the chart (found again in the thread the same way), then the subscription's end when
it was the last digest. A failure is recorded with its reason and retried later; Slack refusing the
channel itself pauses the subscription and tells the subscriber privately."""

from __future__ import annotations

import logging
import threading
import time as clock_time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from tenacity import Retrying, stop_after_attempt, wait_exponential

from digests.context import Job, RoundContext, RoundResult
from digests.ports import SendFailed
from digests.records import Subscription
from reports.daily import Digest
from reports.kinds import Target
from reports.kinds.registry import kind_of
from reports.models import Series

log = logging.getLogger(__name__)
#: Chart uploads tried per digest before the thread gets a note instead of the chart.
CHART_TRIES = 3


@dataclass(frozen=True)
class Fetched:
    """One send's (campaign's, Canvas's) numbers for a round, with its name and whether Braze reports it
    archived."""

    target: Target
    series: Series
    name: str | None
    archived: bool = False


class ChartCache:
    """Draws a digest's chart once per (target, range) however many channels subscribe."""

    def __init__(self, deps: RoundContext) -> None:
        self._deps = deps
        self._charts: dict[tuple[Target, date, date], bytes | None] = {}
        self._locks: dict[tuple[Target, date, date], threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, digest: Digest, fetched: Fetched, title: str) -> bytes | None:
        """The chart of the digest's range (a send: since it began; a campaign or Canvas: the last 14 days)."""
        key = (digest.target, digest.span.start, digest.day)
        kind = kind_of(digest.target.kind)
        draw = lambda: self._deps.renderer.render(kind.chart(fetched.series, digest.span, title=title))  # noqa: E731
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._charts:
                try:
                    self._charts[key] = draw()
                except Exception:
                    log.exception("digest chart failed")
                    self._charts[key] = None
            return self._charts[key]


def _write(step: Callable[[], bool], what: str) -> bool:
    """Write one step, retrying a flaky database: once Slack has something it must be recorded.
    False: the row was not ours to move any more (our lease lapsed and someone took it over)."""
    try:
        for attempt in Retrying(stop=stop_after_attempt(5), wait=wait_exponential(0.2, max=5), reraise=True):
            with attempt:
                if not step():
                    log.warning("could not record %s: the lease was taken over", what)
                    return False
    except Exception:
        log.exception("could not record %s; the lease lapses and whoever resumes looks in Slack first", what)
        return False
    return True


def fail(
    deps: RoundContext,
    job: Job,
    reason: str,
    result: RoundResult,
    *,
    unknown: bool = False,
    not_before: datetime | None = None,
) -> None:
    """Failed for now: retried after a backoff, and not before ``not_before`` (a Braze rate limit's reset).
    A digest past its message step is released instead (its message is out; the next holder attaches the
    chart)."""
    now, keeper = job.now, deps.keeper
    retry = deps.retry_at(job.claim, now)
    if not_before is not None:
        retry = max(retry, not_before)
    recorded = _write(
        lambda: deps.store.deliveries.record_failure(
            job.claim.id, keeper.holder, reason, retry_at=retry, outcome_unknown=unknown, now=now
        ),
        f"delivery {job.claim.id} as failed",
    )
    if not recorded:
        release(deps, job)
    keeper.drop(job.claim.id)
    result.count("failed", reason)


def release(deps: RoundContext, job: Job) -> None:
    try:
        deps.store.deliveries.release(job.claim.id, deps.keeper.holder)
    except Exception:
        log.warning("could not release delivery %s; its lease lapses instead", job.claim.id)
    deps.keeper.drop(job.claim.id)


def stop_job(deps: RoundContext, job: Job, result: RoundResult) -> None:
    """Shutting down: leave the digest at its step, released so the next process resumes it at once."""
    release(deps, job)
    result.count("stopped")


def post_one(deps: RoundContext, job: Job, fetched: Fetched, charts: ChartCache, result: RoundResult) -> None:
    """Take one digest from the step it is at to done: message (unless it is out already), then chart."""
    store, sub, keeper = deps.store.deliveries, job.sub, deps.keeper
    if deps.stopping.is_set():
        stop_job(deps, job, result)
        return
    try:
        kind, target = kind_of(sub.kind), sub.target
        digest = kind.build_digest(
            fetched.series, target=target, first_day=sub.first_day, digest_date=job.digest_date,
            archived=fetched.archived,
        )
        title = kind.title(fetched.name, target)
        if digest.day < sub.first_day:
            _write(lambda: store.record_skip(job.claim.id, keeper.holder, "no complete day of data yet"), "a skip")
            result.count("skipped")
            return
        png = charts.get(digest, fetched, kind.chart_title(title, target)) if digest.has_activity else None
        ts = job.claim.message_ts
        if job.claim.status == "claimed":
            ts = _post_message(deps, job, digest, title, chart_follows=png is not None, result=result)
            if ts is None:
                return
            if png is None:
                result.count("posted" if digest.has_activity else "quiet")
                _end_if_final(deps, sub, digest, result)
                return
        assert ts is not None  # chart_pending rows always have their message's ts
        _attach_chart(deps, job, digest, title, png, ts)
        result.count("posted")
        _end_if_final(deps, sub, digest, result)
    except Exception as exc:
        log.exception("digest for subscription %s failed", sub.id)
        fail(deps, job, f"internal: {type(exc).__name__}", result, unknown=True)  # keeps any "sent" mark
        result.errors.append(f"{sub.id}: {type(exc).__name__}")
    finally:
        keeper.drop(job.claim.id)


def _post_message(
    deps: RoundContext, job: Job, digest: Digest, title: str, *, chart_follows: bool, result: RoundResult
) -> str | None:
    """The message step. Returns its ts once recorded; None when it failed (recorded) or was lost."""
    store, sub, sender, holder, claim = deps.store.deliveries, job.sub, deps.sender, deps.keeper.holder, job.claim
    detail = None if digest.has_activity else "no activity"

    def landed(ts: str | None) -> str | None:
        ts = ts or ""
        recorded = _write(
            lambda: store.record_message(claim.id, holder, ts, chart_follows=chart_follows, detail=detail),
            f"the message of delivery {claim.id}",
        )
        if not recorded:
            result.count("in_progress")
            return None
        return ts

    if claim.sent_at is not None:  # an earlier post's answer never came: look before posting again
        try:
            found = sender.find_message(sub, delivery_id=claim.id, digest_date=job.digest_date)
        except SendFailed as exc:
            fail(deps, job, f"slack: {exc.code} (looking for an earlier post)", result, unknown=not exc.permanent)
            if exc.permanent:  # the channel is closed to the bot: whatever was posted, nothing more will be
                _pause(deps, sub, exc)
                result.count("paused")
            return None
        if found is not None:
            log.info("delivery %s was posted before its answer was lost (ts %s)", claim.id, found.ts)
            return landed(found.ts)
    if not store.mark_sent(claim.id, holder):
        result.count("in_progress")  # our lease lapsed (database trouble) and someone took it over
        return None
    try:
        posted = sender.post_message(
            sub, digest, title=title, delivery_id=claim.id, digest_date=job.digest_date, chart_follows=chart_follows
        )
    except SendFailed as exc:
        if exc.unknown:
            try:
                found = sender.find_message(sub, delivery_id=claim.id, digest_date=job.digest_date)
            except SendFailed:
                found = None
            if found is not None:
                return landed(found.ts)
        fail(deps, job, f"slack: {exc.code}", result, unknown=exc.unknown)
        if exc.permanent:
            _pause(deps, sub, exc)
            result.count("paused")
        return None
    return landed(posted.ts)


def _attach_chart(deps: RoundContext, job: Job, digest: Digest, title: str, png: bytes | None, ts: str) -> None:
    """The chart step: at most one chart per digest, so a lost upload answer is looked up, not repeated."""
    store, sub, sender, holder, claim = deps.store.deliveries, job.sub, deps.sender, deps.keeper.holder, job.claim
    what = f"the chart of delivery {claim.id}"
    if png is None:
        _write(lambda: store.record_chart(claim.id, holder, file_id=None, detail="chart could not be drawn"), what)
        return
    unsure = job.claim.status == "chart_pending" and job.claim.sent_at is not None
    for attempt in range(1, CHART_TRIES + 1):
        if unsure:
            file_id = sender.find_chart(sub, digest, ts=ts)  # a SendFailed here leaves the step to a retry
            if file_id is not None:
                _write(lambda fid=file_id: store.record_chart(claim.id, holder, file_id=fid), what)
                return
        if not store.mark_sent(claim.id, holder):
            raise RuntimeError("lease lost before the chart upload")
        try:
            file_id = sender.attach_chart(sub, digest, ts=ts, title=title, png=png)
        except SendFailed as exc:
            unsure = exc.unknown
            if exc.permanent:  # the channel closed to the bot after its message went out
                _pause(deps, sub, exc)
            if exc.permanent or attempt == CHART_TRIES:
                if exc.unknown and (landed := sender.find_chart(sub, digest, ts=ts)) is not None:
                    _write(lambda fid=landed: store.record_chart(claim.id, holder, file_id=fid), what)
                    return  # it landed after all
                sender.note_missing_chart(sub, ts=ts, failure=exc)
                why = f"chart not attached: slack: {exc.code}"
                _write(lambda why=why: store.record_chart(claim.id, holder, file_id=None, detail=why), what)
                return
            clock_time.sleep(min(2.0**attempt, 10.0))
            continue
        _write(lambda fid=file_id: store.record_chart(claim.id, holder, file_id=fid), what)
        return


def _end_if_final(deps: RoundContext, sub: Subscription, digest: Digest, result: RoundResult) -> None:
    if digest.end_reason is None:
        return
    try:
        deps.store.subscriptions.end(sub.id, digest.end_reason)
        result.count("ended")
    except Exception:
        log.exception("could not end subscription %s", sub.id)


def _pause(deps: RoundContext, sub: Subscription, failure: SendFailed) -> None:
    """Stop posting where Slack refuses us, and tell the subscriber privately why and how to resume: once,
    by whoever paused it (a subscription paused already, say when the bot's removal was reported, is not
    told again)."""
    if not deps.store.subscriptions.pause(sub.id, f"slack: {failure.code}"):
        return
    try:
        deps.sender.tell_paused(sub, failure)
    except Exception:
        log.warning("could not tell %s about paused subscription %s", sub.created_by, sub.id)
