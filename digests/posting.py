"""Posting one claimed digest, step by step, each step written the moment it happens: the message
(``ts`` recorded as soon as ``chat.postMessage`` returns, or found again by its metadata when the answer
was lost), then the chart, then the subscription's end when it was the last digest. A failure is
recorded with its reason and retried later; Slack refusing the channel itself pauses the subscription
and tells the subscriber privately.

The chart: each distinct chart is uploaded once per round, without a channel (:class:`SharedUploads`,
its file id durable in ``digest_charts`` before any reply), and each digest's thread gets a reply whose
image block shows it, tagged with the delivery id so a lost answer is looked up, never posted twice.
The first reply of a chart waits for Slack to process the upload (``invalid_blocks`` until then, tried
again with a bounded backoff); the others wait for that first one. Where Slack still refuses the block
(a Slack Connect channel, a workspace policy), that digest falls back to uploading the chart into its
own thread (``chart_fallback``), and the round counts it."""

from __future__ import annotations

import logging
import threading
import time as clock_time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from tenacity import Retrying, stop_after_attempt, wait_exponential

from digests.charts import ChartKey
from digests.context import Job, RoundContext, RoundResult
from digests.ports import SendFailed
from digests.records import Subscription
from digests.states import DeliveryState
from reports.daily import Digest
from reports.kinds import Target
from reports.kinds.registry import kind_of
from reports.models import Series

log = logging.getLogger(__name__)
#: Chart uploads tried per digest before the thread gets a note instead of the chart.
CHART_TRIES = 3
#: Seconds a digest waits for another process's upload of its chart (that process holds the chart's
#: claim, under the same heartbeat as a delivery; a dead one's claim lapses and is taken over) before it
#: uploads the chart into its own thread instead.
SHARED_UPLOAD_WAIT = 180.0
#: Seconds between two looks at ``digest_charts`` while another process uploads the chart.
SHARED_UPLOAD_POLL = 0.25


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


@dataclass
class Shown:
    """A shared chart in this process: its file id, when its upload was completed, and whether a reply has
    shown it yet (Slack has processed it); ``probe`` lets one reply at a time wait for the processing."""

    file_id: str
    uploaded_at: datetime
    ready: threading.Event = field(default_factory=threading.Event)
    probe: threading.Lock = field(default_factory=threading.Lock)


class SharedUploads:
    """Uploads each distinct chart (target, first day, last day) once, without a channel, and keeps its file
    id for every digest that shows it.

    Across processes the chart's row in ``digest_charts`` decides: the first to claim it uploads and writes
    the file id the moment the upload is completed; the others (and whoever resumes after a crash) read it.
    None for a chart whose upload failed: its digests fall back to uploading into their own threads.
    """

    def __init__(self, deps: RoundContext) -> None:
        self._deps = deps
        self._shown: dict[ChartKey, Shown | None] = {}
        self._locks: dict[ChartKey, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, digest: Digest, title: str, png: bytes, result: RoundResult) -> Shown | None:
        key = chart_key(digest)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._shown:
                self._shown[key] = self._find_or_upload(key, digest, title, png, result)
            return self._shown[key]

    def _find_or_upload(
        self, key: ChartKey, digest: Digest, title: str, png: bytes, result: RoundResult
    ) -> Shown | None:
        deps = self._deps
        charts, keeper = deps.store.charts, deps.keeper
        ends = clock_time.monotonic() + SHARED_UPLOAD_WAIT
        while True:
            row = charts.get(key)
            if row is not None and row.file_id is not None:
                return Shown(row.file_id, row.uploaded_at or datetime.now(UTC))
            mine = charts.claim(key, keeper.holder, lease=keeper.lease)
            if mine is not None:
                break
            if deps.stopping.is_set() or clock_time.monotonic() > ends:
                log.warning("chart %s: still being uploaded elsewhere; its digests upload it themselves", key)
                return None
            clock_time.sleep(SHARED_UPLOAD_POLL)
        keeper.hold_chart(mine.id)
        try:
            try:
                file_id = deps.sender.upload_chart(digest, title=title, png=png)
            except SendFailed as exc:
                log.warning("shared upload of chart %s failed (%s): its digests upload it themselves", key, exc.code)
                charts.release(mine.id, keeper.holder)
                return None
            result.count("chart_uploads")
            shown = Shown(file_id, datetime.now(UTC))
            recorded = {"id": file_id}

            def record() -> bool:
                recorded["id"] = charts.record(mine.id, file_id)
                return True

            if not _write(record, f"the upload of chart {key}"):  # shown here, but a crash would upload again
                return shown
            return Shown(recorded["id"], shown.uploaded_at)
        finally:
            keeper.drop_chart(mine.id)


def chart_key(digest: Digest) -> ChartKey:
    return ChartKey(digest.target, digest.span.start, digest.day)


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


def post_one(
    deps: RoundContext,
    job: Job,
    fetched: Fetched,
    charts: ChartCache,
    result: RoundResult,
    uploads: SharedUploads | None = None,
) -> None:
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
        state, unsure = job.claim.status, job.claim.sent_at is not None
        if job.claim.status == "claimed":
            ts = _post_message(deps, job, digest, title, chart_follows=png is not None, result=result)
            if ts is None:
                return
            if png is None:
                result.count("posted" if digest.has_activity else "quiet")
                _end_if_final(deps, sub, digest, result)
                return
            state, unsure = DeliveryState.CHART_PENDING, False  # the message is recorded; nothing sent since
        assert ts is not None  # chart_pending rows always have their message's ts
        if not _chart_step(deps, job, digest, title, png, ts, result, uploads, state=state, unsure=unsure):
            return
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


def _chart_step(
    deps: RoundContext,
    job: Job,
    digest: Digest,
    title: str,
    png: bytes | None,
    ts: str,
    result: RoundResult,
    uploads: SharedUploads | None,
    *,
    state: DeliveryState,
    unsure: bool,
) -> bool:
    """The chart step, from the state the delivery is at (``unsure``: a write of this step was sent and its
    outcome is unknown). True: done (the chart shown, uploaded, or given up with a note); False: left for a
    later round (released, or our lease was lost)."""
    store, holder, claim = deps.store.deliveries, deps.keeper.holder, job.claim
    what = f"the chart of delivery {claim.id}"
    if png is None:
        _write(lambda: store.record_chart(claim.id, holder, file_id=None, detail="chart could not be drawn"), what)
        return True
    if state == DeliveryState.CHART_PENDING:
        if unsure:  # the reply may be in the thread: look before anything else (SendFailed: a later round)
            found = deps.sender.find_chart_reply(job.sub, ts=ts, delivery_id=claim.id)
            if found is not None:
                row = deps.store.charts.get(chart_key(digest))
                file_id = row.file_id if row is not None else None
                _write(lambda: store.record_chart(claim.id, holder, file_id=file_id), what)
                return True
        shown = uploads.get(digest, title, png, result) if uploads is not None and deps.shared_charts else None
        if deps.stopping.is_set():
            stop_job(deps, job, result)
            return False
        note: str | None = None
        if shown is not None:
            outcome = _reply(deps, job, digest, title, shown, ts, result)
            if outcome is not None:
                return outcome
            why = note = "slack: invalid_blocks (the chart reply was refused; uploaded into the thread instead)"
            log.warning("delivery %s: Slack refused its chart reply; uploading the chart into its thread", claim.id)
        elif deps.shared_charts and uploads is not None:
            why = note = "the shared chart upload failed; uploaded into the thread instead"
        else:
            why = "per-channel upload"
        if note is not None:
            result.count("chart_fallbacks")
        if not _write(lambda: store.record_fallback(claim.id, holder, why), f"the fallback of delivery {claim.id}"):
            release(deps, job)
            result.count("in_progress")
            return False
        unsure = False
    else:  # chart_fallback: the reason was recorded with the fallback
        note = claim.detail
    _attach_chart(deps, job, digest, title, png, ts, unsure=unsure, note=note)
    return True


def _reply(
    deps: RoundContext, job: Job, digest: Digest, title: str, shown: Shown, ts: str, result: RoundResult
) -> bool | None:
    """Post the reply showing the shared chart. True: shown (recorded); False: left for a later round; None:
    Slack refused the block after processing (the caller falls back to an upload into the thread)."""
    store, sub, sender, holder, claim = deps.store.deliveries, job.sub, deps.sender, deps.keeper.holder, job.claim
    what = f"the chart of delivery {claim.id}"

    def attempt() -> str | SendFailed:
        if not store.mark_sent(claim.id, holder):
            raise RuntimeError("lease lost before the chart reply")
        try:
            return sender.post_chart(sub, digest, ts=ts, file_id=shown.file_id, title=title, delivery_id=claim.id)
        except SendFailed as exc:
            if exc.code == "invalid_blocks":
                return exc
            raise

    try:
        outcome = attempt() if shown.ready.is_set() else _first_reply(deps, shown, attempt)
    except SendFailed as exc:
        if exc.permanent:  # the channel closed to the bot after its message went out
            _pause(deps, sub, exc)
            why = f"chart not attached: slack: {exc.code}"
            _write(lambda: store.record_chart(claim.id, holder, file_id=None, detail=why), what)
            return True
        log.warning("chart reply of delivery %s failed: %s; a later round resumes it", claim.id, exc.code)
        release(deps, job)
        result.count("failed", f"slack: {exc.code} (chart reply)")
        return False
    if outcome is None:  # shutting down while waiting for Slack's processing
        stop_job(deps, job, result)
        return False
    if isinstance(outcome, SendFailed):
        return None
    _write(lambda: store.record_chart(claim.id, holder, file_id=shown.file_id), what)
    return True


def _first_reply(deps: RoundContext, shown: Shown, attempt: Callable[[], str | SendFailed]) -> str | SendFailed | None:
    """Until a reply has shown the chart, one reply at a time tries, from ``processing_waits[0]`` seconds
    after the upload, again after each further wait while Slack answers ``invalid_blocks``; the chart's
    other replies wait for it. After the last try Slack has surely processed the file: from then on a
    refusal is the channel's. None: shutting down."""
    with shown.probe:
        if shown.ready.is_set():
            return attempt()
        first, *pauses = deps.processing_waits or (0.0,)
        wait = first - (datetime.now(UTC) - shown.uploaded_at).total_seconds()
        if wait > 0 and deps.stopping.wait(wait):
            return None
        outcome = attempt()
        for pause in pauses:
            if not isinstance(outcome, SendFailed):
                break
            if deps.stopping.wait(pause):
                return None
            outcome = attempt()
        shown.ready.set()
        return outcome


def _attach_chart(
    deps: RoundContext, job: Job, digest: Digest, title: str, png: bytes, ts: str, *, unsure: bool, note: str | None
) -> None:
    """The upload into the digest's thread (``chart_fallback``): at most one chart per digest, so a lost
    upload answer is looked up, not repeated. ``note``: why it was not the shared chart (kept in ``detail``)."""
    store, sub, sender, holder, claim = deps.store.deliveries, job.sub, deps.sender, deps.keeper.holder, job.claim
    what = f"the chart of delivery {claim.id}"
    for attempt in range(1, CHART_TRIES + 1):
        if unsure:
            file_id = sender.find_chart(sub, digest, ts=ts)  # a SendFailed here leaves the step to a retry
            if file_id is not None:
                _write(lambda fid=file_id: store.record_chart(claim.id, holder, file_id=fid, detail=note), what)
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
                    _write(lambda fid=landed: store.record_chart(claim.id, holder, file_id=fid, detail=note), what)
                    return  # it landed after all
                sender.note_missing_chart(sub, ts=ts, failure=exc)
                why = f"chart not attached: slack: {exc.code}"
                _write(lambda why=why: store.record_chart(claim.id, holder, file_id=None, detail=why), what)
                return
            clock_time.sleep(min(2.0**attempt, 10.0))
            continue
        _write(lambda fid=file_id: store.record_chart(claim.id, holder, file_id=fid, detail=note), what)
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
