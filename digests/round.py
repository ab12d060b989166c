"""One digest round: claim, fetch each send (campaign, Canvas) once, post its digests as soon as it is drawn.

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
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import date, datetime, timedelta

from digests.context import Job, RoundContext, RoundResult
from digests.posting import ChartCache, Fetched, SharedUploads, fail, post_one, release, stop_job
from digests.records import Delivery, Subscription
from digests.schedule import first_digest_date, local_due
from digests.states import CHART_STEPS
from reports.braze import BrazeError, BrazeNoData, BrazeRateLimited, decode_json
from reports.kinds import Target
from reports.kinds.base import ending_at
from reports.kinds.registry import kind_of

log = logging.getLogger(__name__)
#: Threads that post a round's digests. Posting is waiting on Slack, not CPU: 1,000 digests took
#: 39 s with 8 threads and 15 s with 32 (bench/bench_digest.py); more gained nothing.
ROUND_WORKERS = 32
#: Concurrent Braze fetches in a round (one per send); Braze's limit is shared with other tools.
FETCH_WORKERS = 8
#: How long a shared chart's row (its file id) is kept after its last day: Braze keeps sends 14 days, and a
#: digest still unfinished after that would at worst upload its chart again.
CHARTS_KEPT = timedelta(days=15)
#: Reason of a digest that waits for a Braze rate limit's reset: retried then (even once its day has
#: ended, until the day after it ends), never given up as missed meanwhile.
RATE_LIMITED = "braze (rate limited): "


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
    jobs: list[Job] = []
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
            claim = deps.store.deliveries.claim(
                sub.id, day, holder=keeper.holder, lease=keeper.lease, force=manual, now=now
            )
            if claim is None:
                _count_unclaimed(deps, result, sub, day)
                continue
        except Exception as exc:  # a database hiccup costs this subscription this round, not the round
            log.exception("could not claim the %s digest of subscription %s", day, sub.id)
            result.count("failed", f"database: {type(exc).__name__}")
            continue
        keeper.hold(claim.id)
        jobs.append(Job(sub, claim, day, now))
    groups: dict[Target, list[Job]] = {}
    for job in jobs:  # one Braze read per send, campaign or Canvas
        groups.setdefault(job.sub.target, []).append(job)
    charts = ChartCache(deps)
    uploads = SharedUploads(deps)
    posts: list[Future[None]] = []
    posts_lock = threading.Lock()
    posters = ThreadPoolExecutor(max_workers=ROUND_WORKERS, thread_name_prefix="digest-post")
    fetchers = ThreadPoolExecutor(max_workers=FETCH_WORKERS, thread_name_prefix="digest-fetch")

    def fetch_then_post(group: list[Job]) -> None:
        """A send's digests go out as soon as it is fetched: a hung send delays only its own."""
        fetched = _fetch_group(deps, group, result)
        if fetched is None:
            return
        with posts_lock:
            posts.extend(posters.submit(post_one, deps, job, fetched, charts, result, uploads) for job in group)

    fetches = {fetchers.submit(fetch_then_post, group): group for group in groups.values()}
    pending = set(fetches)
    while pending and not deps.stopping.is_set():
        pending = wait(pending, timeout=0.5).not_done
    for future in pending:  # shutting down: a send still being fetched is left resumable
        for job in fetches[future]:
            stop_job(deps, job, result)
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
    found = deps.store.deliveries.get(sub.id, day)
    if found is None or found.status in ("posted", "skipped"):
        result.count("already_done")  # (None: the subscription was deleted meanwhile)
    elif found.status == "missed":
        result.count("missed", found.detail)
    elif found.status == "failed":
        result.count("waiting", found.detail)
    else:
        result.count("in_progress")
        result.held_elsewhere(sub.id)


def close_out_days(deps: RoundContext, *, now: datetime | None = None) -> int:
    """Give up failed digests whose subscriber's local day has ended: record them missed, and tell the
    subscriber once by DM (the conditional UPDATE picks exactly one process to tell). Returns how many."""
    now = now or deps.clock()
    missed = 0
    try:
        deps.store.charts.forget(now.date() - CHARTS_KEPT)
    except Exception:  # housekeeping: the next sweep tries again
        log.warning("could not forget old shared charts", exc_info=True)
    for delivery in deps.store.deliveries.failed():
        sub = deps.store.subscriptions.get(delivery.subscription_id)
        if sub is None or local_due(sub, now)[0] <= delivery.digest_date:
            continue
        if _waits_for_braze(delivery, sub):
            continue
        reason = delivery.detail or "unknown error"
        if not deps.store.deliveries.record_missed(delivery.id, reason, now=now):
            continue
        missed += 1
        log.warning("digest %s of subscription %s missed: %s", delivery.digest_date, sub.id, reason)
        if sub.status != "active":  # paused (its subscriber was told how to resume) or ended: no second DM
            continue
        try:
            deps.sender.tell_missed(sub, delivery.digest_date, reason)
        except Exception:
            log.warning("could not tell %s about the missed digest of subscription %s", sub.created_by, sub.id)
    return missed


def resume_past_days(deps: RoundContext, *, now: datetime | None = None) -> RoundResult:
    """Finish digests of earlier days whose holder died mid-way (a message without its chart, or a claim
    whose post may have landed), and those that wait for a Braze rate limit's reset once it has passed:
    live rounds only look at today, so the sweep resumes these."""
    now = now or deps.clock()
    result = RoundResult()
    by_day: dict[date, list[Subscription]] = {}
    due_failures = [d for d in deps.store.deliveries.failed() if d.retry_at is None or d.retry_at <= now]
    for delivery in [*deps.store.deliveries.lapsed(deps.keeper.lease, now=now), *due_failures]:
        sub = deps.store.subscriptions.get(delivery.subscription_id)
        if sub is None or sub.status != "active" or delivery.digest_date >= local_due(sub, now)[0]:
            continue
        if delivery.status == "failed" and not _waits_for_braze(delivery, sub):
            continue
        by_day.setdefault(delivery.digest_date, []).append(sub)
    for day, subs in sorted(by_day.items()):
        result.absorb(run_round(deps, subs, now=now, digest_date=day))
    return result


def _waits_for_braze(delivery: Delivery, sub: Subscription) -> bool:
    """A digest that failed on a Braze rate limit while it was not yet a whole day late (in its subscriber's
    zone): it is retried at the reset, even when the reset falls after that day (a failure at 23:50 whose
    budget resets at 00:30). A second rate limit at that retry is past the day: the digest is missed."""
    failed_on = local_due(sub, delivery.updated_at)[0]
    return (delivery.detail or "").startswith(RATE_LIMITED) and failed_on <= delivery.digest_date + timedelta(days=1)


def _fetch(deps: RoundContext, group: list[Job], result: RoundResult) -> Fetched:
    """One Braze read for the whole group, covering every member's range, and what the kind needs beside
    the numbers (the name; for a campaign or Canvas, whether Braze reports it archived)."""
    target = group[0].sub.target
    kind = kind_of(target.kind)
    span = kind.digest_range(min(job.sub.first_day for job in group), max(job.digest_date for job in group))
    payload: object = {}
    if span is not None:
        length, last = span
        result.count("braze_calls")
        try:
            raw = kind.fetch(deps.braze, target, length=length, ending_at=ending_at(last), now=deps.clock())
            payload = decode_json(raw) if isinstance(raw, bytes) else raw
        except BrazeNoData:
            payload = {}
    status = kind.status(deps.braze, deps.names, target, lambda: result.count("braze_calls"))
    series = kind.read(payload, target, status.labels)
    return Fetched(target, series, status.name or kind.name_in(payload), status.archived)


def _fetch_group(deps: RoundContext, group: list[Job], result: RoundResult) -> Fetched | None:
    """Fetch a send (campaign, Canvas) once for all its subscribers; on failure each claim fails for now
    (retried later)."""
    if deps.stopping.is_set():
        for job in group:
            stop_job(deps, job, result)
        return None
    fetched: Fetched | BrazeError
    try:
        fetched = _fetch(deps, group, result)
    except BrazeError as exc:
        fetched = exc
    except Exception as exc:  # never let one send stop the round
        log.exception("digest fetch crashed")
        fetched = BrazeError(f"internal error ({type(exc).__name__})")
    if isinstance(fetched, BrazeError):
        for job in group:
            log.warning("digest %s for #%s failed at Braze: %s", job.digest_date, job.sub.id, fetched.user_message)
            if job.claim.status in CHART_STEPS:  # the message is out: its chart cannot be drawn now
                release(deps, job)
                result.count("failed", "braze: chart data unavailable")
                continue
            if isinstance(fetched, BrazeRateLimited):
                fail(deps, job, RATE_LIMITED + fetched.user_message, result, not_before=fetched.reset_at)
                continue
            fail(deps, job, f"braze: {fetched.user_message}", result)
        return None
    return fetched
