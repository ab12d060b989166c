"""One digest round: claim, fetch each send once, post each send's digests as soon as it is drawn.

The scheduler's jobs and ``python -m bot digest`` both call :func:`run_round`. Exactly once rests on the
store: a claim is a lease renewed by this process's heartbeat (:mod:`digests.lease`), and each step is
written the moment it happens: the message's ``ts`` as soon as ``chat.postMessage`` returns, then the
chart. A crash resumes at the step it stopped at; a post whose answer was lost (timeout, dropped
connection) is looked up in the channel (message metadata carries the delivery id) before any re-post.
One broken subscription or one hung send never stops the others.
"""

from __future__ import annotations

import logging
import threading
import time as clock_time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from tenacity import Retrying, stop_after_attempt, wait_exponential

from digests import kinds
from digests.kinds import KindFetched
from digests.lease import LeaseKeeper
from digests.ports import DigestSender, SendFailed
from digests.records import Delivery, Subscription
from digests.schedule import first_digest_date, local_due
from digests.store import Store
from reports.braze import BrazeClient, BrazeError, BrazeNoData
from reports.daily import Digest, build_digest, fetch_span
from reports.kind_daily import KindDigest
from reports.models import SendSeries
from reports.pipeline import CampaignNames, Workers
from reports.summary import campaign_title, chart_data

log = logging.getLogger(__name__)
#: Threads that post a round's digests. Posting is waiting on Slack, not CPU: 1,000 digests took
#: 39 s with 8 threads and 15 s with 32 (bench/bench_digest.py); more gained nothing.
ROUND_WORKERS = 32
#: Concurrent Braze fetches in a round (one per send); Braze's limit is shared with other tools.
FETCH_WORKERS = 8
#: Chart uploads tried per digest before the thread gets a note instead of the chart.
CHART_TRIES = 3


@dataclass
class RoundResult:
    """What a round did, by outcome (also the figures ``python -m bot digest`` prints)."""

    posted: int = 0
    quiet: int = 0  # posted a short "no activity" digest
    skipped: int = 0
    failed: int = 0  # failed for now; retried with backoff until the subscriber's day ends
    missed: int = 0  # given up (the subscriber's local day ended), or a missed day seen again
    paused: int = 0
    ended: int = 0
    not_due: int = 0
    already_done: int = 0  # already posted (or skipped) before this round
    in_progress: int = 0  # held by another live process (or another round of this one)
    waiting: int = 0  # failed earlier; its retry backoff has not passed yet
    stopped: int = 0  # left resumable because the process is shutting down
    braze_calls: int = 0
    errors: list[str] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    #: Subscriptions whose digest another holder had, for ``digest`` to wait on.
    elsewhere: list[int] = field(default_factory=list)

    def count(self, name: str, reason: str | None = None) -> None:
        with _COUNT_LOCK:
            setattr(self, name, getattr(self, name) + 1)
            if reason:
                self.reasons[reason] += 1

    @property
    def left(self) -> int:
        """Digests of this round not posted: anything but 0 means someone has to look."""
        return self.failed + self.missed + self.in_progress + self.waiting + self.stopped

    def absorb(self, later: RoundResult) -> None:
        """Fold a follow-up round over the in-progress subscriptions into this one."""
        for name in ("posted", "quiet", "skipped", "failed", "missed", "paused", "ended", "waiting", "stopped"):
            setattr(self, name, getattr(self, name) + getattr(later, name))
        self.already_done += later.already_done
        self.braze_calls += later.braze_calls
        self.in_progress, self.elsewhere = later.in_progress, later.elsewhere
        self.errors += later.errors
        self.reasons.update(later.reasons)


_COUNT_LOCK = threading.Lock()


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RoundContext:
    """What a round needs: Braze, the chart workers, the store, a way to Slack (the port), the
    process's lease heartbeat, and a stop signal (SIGTERM) that rounds obey between digests."""

    braze: BrazeClient
    renderer: Workers
    names: CampaignNames
    store: Store
    sender: DigestSender
    clock: Callable[[], datetime] = _utc_now
    lease: LeaseKeeper | None = None
    stopping: threading.Event = field(default_factory=threading.Event)
    #: Backoff of failed digests: first retry after this, doubling up to ``retry_max``.
    retry_base: timedelta = timedelta(minutes=1)
    retry_max: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        if self.lease is None:
            self.lease = LeaseKeeper(self.store)

    @property
    def keeper(self) -> LeaseKeeper:
        assert self.lease is not None
        return self.lease

    def retry_at(self, delivery: Delivery, now: datetime) -> datetime:
        return now + min(self.retry_base * 2 ** max(delivery.attempts - 1, 0), self.retry_max)


@dataclass
class _Job:
    sub: Subscription
    claim: Delivery
    digest_date: date
    now: datetime  # the round's clock: backoffs count from it


def run_round(
    deps: RoundContext,
    subscriptions: Sequence[Subscription],
    *,
    now: datetime | None = None,
    digest_date: date | None = None,
    ignore_time: bool = False,
) -> RoundResult:
    """Post every due digest among ``subscriptions`` that is not posted yet.

    Live rounds (``digest_date`` None) post a subscription's digest once its local time has passed
    today; failed ones wait for their backoff. With ``digest_date`` (``python -m bot digest --date``)
    each subscription's digest for that date is posted now if it is not posted yet, whatever later days
    hold; ``ignore_time`` does the same for each local today. Both are a person asking: failed and missed
    days are retried at once.
    """
    now = now or deps.clock()
    manual = digest_date is not None or ignore_time
    result = RoundResult()
    jobs: list[_Job] = []
    keeper = deps.keeper
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
        if digest_date is None and sub.last_digest_on is not None and sub.last_digest_on >= day:
            result.already_done += 1  # known without a claim attempt (sweeps run every minute)
            continue
        try:
            claim = deps.store.claim(sub.id, day, holder=keeper.holder, lease=keeper.lease, force=manual, now=now)
            if claim is None:
                _count_unclaimed(deps, result, sub, day)
                continue
        except Exception as exc:  # a database hiccup costs this subscription this round, not the round
            log.exception("could not claim the %s digest of subscription %s", day, sub.id)
            result.count("failed", f"database: {type(exc).__name__}")
            continue
        keeper.hold(claim.id)
        jobs.append(_Job(sub, claim, day, now))
    groups: dict[tuple[str, str, str], list[_Job]] = {}
    for job in jobs:
        groups.setdefault(kinds.group_key(job.sub), []).append(job)
    charts = _ChartCache(deps)
    posts: list[Future[None]] = []
    posts_lock = threading.Lock()
    posters = ThreadPoolExecutor(max_workers=ROUND_WORKERS, thread_name_prefix="digest-post")
    fetchers = ThreadPoolExecutor(max_workers=FETCH_WORKERS, thread_name_prefix="digest-fetch")

    def fetch_then_post(group: list[_Job]) -> None:
        """A send's digests go out as soon as it is fetched: a hung send delays only its own."""
        series, name = _fetch_group(deps, group, result)
        if series is None:
            return
        with posts_lock:
            posts.extend(posters.submit(_post_one, deps, job, series, name, charts, result) for job in group)

    fetches = {fetchers.submit(fetch_then_post, group): group for group in groups.values()}
    pending = set(fetches)
    while pending and not deps.stopping.is_set():
        pending = wait(pending, timeout=0.5).not_done
    for future in pending:  # shutting down: a send still being fetched is left resumable
        for job in fetches[future]:
            _stop(deps, job, result)
    for future in set(fetches) - pending:
        future.result()
    with posts_lock:
        submitted = list(posts)
    for post in submitted:  # each post in hand finishes (bounded by Slack's timeout); queued ones stop
        post.result()
    fetchers.shutdown(wait=not pending, cancel_futures=True)
    posters.shutdown(wait=not pending, cancel_futures=True)
    log.info("digest round: %s", result)
    return result


def _count_unclaimed(deps: RoundContext, result: RoundResult, sub: Subscription, day: date) -> None:
    """Say why a digest could not be claimed: done, held by someone, waiting for its retry, or missed."""
    found = deps.store.get_delivery(sub.id, day)
    if found is None or found.status in ("posted", "skipped"):
        result.count("already_done")  # (None: the subscription was deleted meanwhile)
    elif found.status == "missed":
        result.count("missed", found.detail)
    elif found.status == "failed":
        result.count("waiting", found.detail)
    else:
        result.count("in_progress")
        with _COUNT_LOCK:
            result.elsewhere.append(sub.id)


def close_out_days(deps: RoundContext, *, now: datetime | None = None) -> int:
    """Give up failed digests whose subscriber's local day has ended: record them missed, and tell the
    subscriber once by DM (the conditional UPDATE picks exactly one process to tell). Returns how many."""
    now = now or deps.clock()
    missed = 0
    for delivery in deps.store.failed_deliveries():
        sub = deps.store.get_subscription(delivery.subscription_id)
        if sub is None or local_due(sub, now)[0] <= delivery.digest_date:
            continue
        reason = delivery.detail or "unknown error"
        if not deps.store.record_missed(delivery.id, reason, now=now):
            continue
        missed += 1
        log.warning("digest %s of subscription %s missed: %s", delivery.digest_date, sub.id, reason)
        try:
            deps.sender.tell_missed(sub, delivery.digest_date, reason)
        except Exception:
            log.warning("could not tell %s about the missed digest of subscription %s", sub.created_by, sub.id)
    return missed


def resume_past_days(deps: RoundContext, *, now: datetime | None = None) -> RoundResult:
    """Finish digests of earlier days whose holder died mid-way (a message without its chart, or a claim
    whose post may have landed): live rounds only look at today, so the sweep resumes these."""
    now = now or deps.clock()
    result = RoundResult()
    by_day: dict[date, list[Subscription]] = {}
    for delivery in deps.store.lapsed_leases(deps.keeper.lease, now=now):
        sub = deps.store.get_subscription(delivery.subscription_id)
        if sub is not None and sub.status == "active" and delivery.digest_date < local_due(sub, now)[0]:
            by_day.setdefault(delivery.digest_date, []).append(sub)
    for day, subs in sorted(by_day.items()):
        result.absorb(run_round(deps, subs, now=now, digest_date=day))
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


def _fetch_group(
    deps: RoundContext, group: list[_Job], result: RoundResult
) -> tuple[SendSeries | KindFetched | None, str | None]:
    """Fetch a send (campaign, Canvas) once for all its subscribers; on failure each claim fails for now
    (retried later)."""
    if deps.stopping.is_set():
        for job in group:
            _stop(deps, job, result)
        return None, None
    fetched: SendSeries | KindFetched | BrazeError
    try:
        if kinds.is_kind(group[0].sub):
            dates = [job.digest_date for job in group]
            fetched = kinds.fetch(deps.braze, group[0].sub, dates, lambda: result.count("braze_calls"))
        else:
            fetched = _fetch(deps, group, result)
    except BrazeError as exc:
        fetched = exc
    except Exception as exc:  # never let one send stop the round
        log.exception("digest fetch crashed")
        fetched = BrazeError(f"internal error ({type(exc).__name__})")
    if isinstance(fetched, BrazeError):
        for job in group:
            log.warning("digest %s for #%s failed at Braze: %s", job.digest_date, job.sub.id, fetched.user_message)
            if job.claim.status == "chart_pending":  # the message is out: its chart cannot be drawn now
                _release(deps, job)
                result.count("failed", "braze: chart data unavailable")
                continue
            _fail(deps, job, f"braze: {fetched.user_message}", result)
        return None, None
    if isinstance(fetched, KindFetched):
        return fetched, fetched.name
    return fetched, deps.names.get(group[0].sub.campaign_id)


class _ChartCache:
    """Draws the series-so-far chart once per (send, range) however many channels subscribe."""

    def __init__(self, deps: RoundContext) -> None:
        self._deps = deps
        self._charts: dict[tuple[str, ...] | tuple[str, str, date, date], bytes | None] = {}
        self._locks: dict[tuple[str, ...] | tuple[str, str, date, date], threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, digest: Digest | KindDigest, series: SendSeries | KindFetched, title: str) -> bytes | None:
        if isinstance(digest, KindDigest) and isinstance(series, KindFetched):
            key = kinds.chart_key(digest)
            draw = lambda: kinds.render(self._deps.renderer, series, digest, title)  # noqa: E731
        else:
            assert isinstance(digest, Digest) and isinstance(series, SendSeries)
            key = (series.campaign_id, series.send_id, digest.cumulative.start, digest.day)
            draw = lambda: self._deps.renderer.render(chart_data(series, digest.cumulative, title=title))  # noqa: E731
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


def _fail(deps: RoundContext, job: _Job, reason: str, result: RoundResult, *, unknown: bool = False) -> None:
    """Failed for now: retried after a backoff. A digest past its message step is released instead
    (its message is out; the next holder attaches the chart)."""
    now, keeper = job.now, deps.keeper
    retry = deps.retry_at(job.claim, now)
    recorded = _write(
        lambda: deps.store.record_failure(
            job.claim.id, keeper.holder, reason, retry_at=retry, outcome_unknown=unknown, now=now
        ),
        f"delivery {job.claim.id} as failed",
    )
    if not recorded:
        _release(deps, job)
    keeper.drop(job.claim.id)
    result.count("failed", reason)


def _release(deps: RoundContext, job: _Job) -> None:
    try:
        deps.store.release(job.claim.id, deps.keeper.holder)
    except Exception:
        log.warning("could not release delivery %s; its lease lapses instead", job.claim.id)
    deps.keeper.drop(job.claim.id)


def _stop(deps: RoundContext, job: _Job, result: RoundResult) -> None:
    """Shutting down: leave the digest at its step, released so the next process resumes it at once."""
    _release(deps, job)
    result.count("stopped")


def _post_one(
    deps: RoundContext,
    job: _Job,
    series: SendSeries | KindFetched,
    name: str | None,
    charts: _ChartCache,
    result: RoundResult,
) -> None:
    """Take one digest from the step it is at to done: message (unless it is out already), then chart."""
    store, sub, keeper = deps.store, job.sub, deps.keeper
    if deps.stopping.is_set():
        _stop(deps, job, result)
        return
    try:
        digest: Digest | KindDigest
        if isinstance(series, KindFetched):
            digest, title = kinds.build(series, sub, job.digest_date), kinds.title(series)
            chart_title = title
        else:
            digest = build_digest(series, first_day=sub.first_day, digest_date=job.digest_date)
            title = campaign_title(name, sub.campaign_id)
            chart_title = f"{title} · send {sub.send_id}"
        if digest.day < sub.first_day:
            _write(lambda: store.record_skip(job.claim.id, keeper.holder, "no complete day of data yet"), "a skip")
            result.count("skipped")
            return
        png = charts.get(digest, series, chart_title) if digest.has_activity else None
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
        _fail(deps, job, f"internal: {type(exc).__name__}", result, unknown=True)  # keeps any "sent" mark
        result.errors.append(f"{sub.id}: {type(exc).__name__}")
    finally:
        keeper.drop(job.claim.id)


def _post_message(
    deps: RoundContext, job: _Job, digest: Digest | KindDigest, title: str, *, chart_follows: bool, result: RoundResult
) -> str | None:
    """The message step. Returns its ts once recorded; None when it failed (recorded) or was lost."""
    store, sub, sender, holder, claim = deps.store, job.sub, deps.sender, deps.keeper.holder, job.claim
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
            found = sender.find_message(sub, delivery_id=claim.id)
        except SendFailed as exc:
            _fail(deps, job, f"slack: {exc.code} (looking for an earlier post)", result, unknown=True)
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
                found = sender.find_message(sub, delivery_id=claim.id)
            except SendFailed:
                found = None
            if found is not None:
                return landed(found.ts)
        _fail(deps, job, f"slack: {exc.code}", result, unknown=exc.unknown)
        if exc.permanent:
            _pause(deps, sub, exc)
            result.count("paused")
        return None
    return landed(posted.ts)


def _attach_chart(
    deps: RoundContext, job: _Job, digest: Digest | KindDigest, title: str, png: bytes | None, ts: str
) -> None:
    """The chart step: at most one chart per digest, so a lost upload answer is looked up, not repeated."""
    store, sub, sender, holder, claim = deps.store, job.sub, deps.sender, deps.keeper.holder, job.claim
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
            if exc.permanent or attempt == CHART_TRIES:
                if exc.unknown and sender.find_chart(sub, digest, ts=ts) is not None:
                    continue  # it landed after all: the next turn records it
                sender.note_missing_chart(sub, ts=ts, failure=exc)
                why = f"chart not attached: slack: {exc.code}"
                _write(lambda why=why: store.record_chart(claim.id, holder, file_id=None, detail=why), what)
                return
            clock_time.sleep(min(2.0**attempt, 10.0))
            continue
        _write(lambda fid=file_id: store.record_chart(claim.id, holder, file_id=fid), what)
        return


def _end_if_final(deps: RoundContext, sub: Subscription, digest: Digest | KindDigest, result: RoundResult) -> None:
    if not digest.final:
        return
    if isinstance(digest, KindDigest):
        reason = kinds.end_reason(digest)
    else:
        reason = f"Braze's analytics window closed on {digest.cumulative.window_end}"
    try:
        deps.store.end(sub.id, reason)
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
