"""One alert check: read each watched target from Braze once, judge every rule on today's data so far and
on each complete day, and post what changed, once.

The scheduler (every hour) and ``python -m bot alerts`` call :func:`check_alerts`. A rule posts once when
it starts to breach (the value, the threshold and a small chart in the thread) and once more, a short
"back to normal" reply in the breach's thread, when it clears; an ongoing breach posts nothing. The
state is stored (:mod:`digests.alert_store`): a change of verdict is one conditional UPDATE, so across
processes exactly one of them creates the post, and each post is then made under a lease with the
digests' discipline: marked sent before the Slack call, looked up by its metadata after a lost answer,
never repeated blindly.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from digests.alert_store import Alert, AlertPost
from digests.lease import LeaseKeeper, backoff
from digests.ports import SendFailed
from digests.store import Store
from reports.braze import BrazeClient, BrazeError, BrazeNoData, decode_json
from reports.chart import render_metric
from reports.kinds import Target
from reports.kinds.base import Names, Workers
from reports.kinds.metrics import METRICS
from reports.kinds.registry import kind_of
from reports.models import MetricChartData, Series

log = logging.getLogger(__name__)
#: Days read per target: today and the complete days an alert judges, and its chart's range.
ALERT_DAYS = 14
#: A rate of today so far is judged only once its denominator (sent, delivered, unique recipients,
#: entries) is at least this: the first minutes of a day say nothing about its rate.
MIN_PARTIAL_BASE = 100
#: Threads that post a check's alerts (each alert's posts in order on one of them).
POST_WORKERS = 8


class AlertSender(Protocol):
    """The check's only view of Slack (``handlers.flows.alert_posting`` implements it)."""

    def post(self, alert: Alert, post: AlertPost, *, title: str, thread_ts: str | None) -> str:
        """Post the breach (a message in the alert's channel) or the clearing (a reply in ``thread_ts``),
        tagged with the post's id (message metadata); its ts. :class:`SendFailed` if it fails."""
        ...

    def find(self, alert: Alert, post: AlertPost, *, thread_ts: str | None) -> str | None:
        """The ts of this post if it is already in the channel (or the thread), else None."""
        ...

    def attach_chart(self, alert: Alert, post: AlertPost, *, ts: str, title: str, png: bytes, start: date) -> str:
        """Upload the alert's chart (its days from ``start`` to the post's day) into the breach's thread; its
        file id. :class:`SendFailed`."""
        ...

    def tell_paused(self, alert: Alert, failure: SendFailed) -> None:
        """Tell the alert's creator privately (DM) that it stopped, why, and how to set it again."""
        ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AlertContext:
    """What a check needs: Braze, the chart workers, the names, the store, a way to Slack, the lease
    heartbeat of the alert posts, and a stop signal."""

    braze: BrazeClient
    renderer: Workers
    names: Names
    store: Store
    sender: AlertSender
    clock: Callable[[], datetime] = _utc_now
    lease: LeaseKeeper | None = None
    stopping: threading.Event = field(default_factory=threading.Event)
    retry_base: timedelta = timedelta(minutes=1)
    retry_max: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        if self.lease is None:
            self.lease = LeaseKeeper(self.store.alert_posts)

    @property
    def keeper(self) -> LeaseKeeper:
        assert self.lease is not None
        return self.lease


@dataclass
class CheckResult:
    """What a check did (``python -m bot alerts`` prints it)."""

    rules: int = 0
    targets: int = 0
    braze_calls: int = 0
    unchecked: int = 0  # rules whose target Braze would not give us: the check could not be made
    breaches: int = 0  # rules that started to breach
    clears: int = 0  # rules back to normal
    posted: int = 0
    failed: int = 0  # posts that failed for now (retried at the next check after their backoff)
    waiting: int = 0  # "back to normal" replies waiting for their breach's post
    reasons: Counter[str] = field(default_factory=Counter)

    def count(self, name: str, reason: str | None = None) -> None:
        with _LOCK:
            setattr(self, name, getattr(self, name) + 1)
            if reason:
                self.reasons[reason] += 1

    @property
    def exit_code(self) -> int:
        """0 when every rule was checked and every post that was due went out."""
        return 0 if self.unchecked == 0 and self.failed == 0 and self.waiting == 0 else 1

    def summary(self) -> str:
        reasons = "; ".join(f"{reason} ×{n}" for reason, n in self.reasons.most_common())
        return (
            f"alert check: {self.rules} active rule(s) on {self.targets} target(s); not checked {self.unchecked}; "
            f"started breaching {self.breaches}, back to normal {self.clears}; posted {self.posted}, "
            f"failed {self.failed}, waiting {self.waiting}; Braze calls {self.braze_calls}"
            + (f"; reasons: {reasons}" if reasons else "")
        )


_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Observation:
    day: date
    value: float | None
    complete: bool


def observations(alert: Alert, series: Series, now: datetime) -> list[Observation]:
    """What one check judges, in order: yesterday once it is complete (the first check after midnight
    sees its final numbers; a new rule starts with today), then today so far (UTC days, as Braze's).

    A count only grows during its day, so a part of a day below a ``<`` threshold says nothing yet
    ("sent < 1000" at 01:00 is no breach): that day is judged below it only once complete. Above it, it
    is a verdict already (and ``>`` counts breach as soon as they pass). A rate of today so far is judged
    once its denominator reaches :data:`MIN_PARTIAL_BASE` (a complete day is judged whatever its size)."""
    metric = METRICS[alert.metric]
    values = metric.daily(series)
    today = now.astimezone(UTC).date()
    yesterday = today - timedelta(days=1)
    seen: list[Observation] = []
    if alert.complete_through is not None and alert.complete_through < yesterday:
        seen.append(Observation(yesterday, values.get(yesterday), True))
    elif alert.complete_through is None:
        seen.append(Observation(yesterday, None, True))  # remembered as done, not judged
    so_far = values.get(today)
    if so_far is not None and not metric.is_rate and alert.op == "<" and so_far < alert.threshold:
        so_far = None  # not a verdict until the day is over
    point = next((p for p in series.days if p.day == today), None)
    parts = metric.parts_of_day(point) if point is not None else None
    if metric.is_rate and parts is not None and parts[1] < MIN_PARTIAL_BASE:
        so_far = None  # 1 bounce of the first 3 sends is not a 33% bounce rate: wait for more
    seen.append(Observation(today, so_far, False))
    return seen


class _Targets:
    """Each target read from Braze once per check (with its name), also for posts of earlier checks."""

    def __init__(self, ctx: AlertContext, result: CheckResult, now: datetime) -> None:
        self.ctx, self.result, self.now = ctx, result, now
        self.series: dict[Target, Series | BrazeError] = {}
        self._lock = threading.Lock()  # the posting threads may ask for a target no rule of this check read

    def get(self, target: Target) -> Series | BrazeError:
        with self._lock:
            return self._get(target)

    def _get(self, target: Target) -> Series | BrazeError:
        if target not in self.series:
            kind = kind_of(target.kind)
            self.result.count("braze_calls")
            try:
                raw = kind.fetch(self.ctx.braze, target, length=ALERT_DAYS, ending_at=None, now=self.now)
                payload = decode_json(raw) if isinstance(raw, bytes) else raw
                self.series[target] = kind.parse(payload, target)
            except BrazeNoData:
                self.series[target] = kind.parse({}, target)
            except BrazeError as exc:
                self.series[target] = exc
        return self.series[target]

    def title(self, target: Target) -> str:
        kind = kind_of(target.kind)
        try:
            name = self.ctx.names.get(kind.name_key, target.object_id)
        except Exception:  # a name is nice to have; the alert goes out without it
            name = None
        return kind.title(name, target)


def check_alerts(ctx: AlertContext, *, now: datetime | None = None) -> CheckResult:
    """Judge every active rule now and make the posts that are due (this check's and earlier ones')."""
    now = now or ctx.clock()
    result = CheckResult()
    rules = ctx.store.alerts.active()
    result.rules = len(rules)
    targets = _Targets(ctx, result, now)
    by_target: dict[Target, list[Alert]] = {}
    for rule in rules:
        by_target.setdefault(rule.target, []).append(rule)
    result.targets = len(by_target)
    for target, group in by_target.items():
        if ctx.stopping.is_set():
            break
        series = targets.get(target)
        if isinstance(series, BrazeError):
            log.warning("alert check of %s %s failed at Braze: %s", target.kind, target.ident, series.user_message)
            for _ in group:
                result.count("unchecked", f"braze: {series.user_message}")
            continue
        for rule in group:
            _judge(ctx, rule, series, now, result)
    post_due(ctx, targets, result, now)
    log.info("%s", result.summary())
    return result


def _judge(ctx: AlertContext, rule: Alert, series: Series, now: datetime, result: CheckResult) -> None:
    current: Alert | None = rule
    for seen in observations(rule, series, now):
        if current is None or current.status != "active":
            return
        made = ctx.store.alerts.observe(current, value=seen.value, day=seen.day, complete=seen.complete, now=now)
        if made is not None:
            result.count("breaches" if made.event == "breach" else "clears")
            log.info("alert %s: %s (%s on %s)", rule.id, made.event, made.value, made.day)
        current = ctx.store.alerts.get(rule.id)


def post_due(ctx: AlertContext, targets: _Targets, result: CheckResult, now: datetime) -> None:
    """Make every post that is due: new ones, failed ones past their backoff, and ones whose holder died
    (its lease lapsed). One alert's posts go in order (a breach before its "back to normal"), different
    alerts' on :data:`POST_WORKERS` threads: posting is waiting on Slack."""
    by_alert: dict[int, list[AlertPost]] = {}
    for due in ctx.store.alert_posts.due(ctx.keeper.lease, now=now):
        by_alert.setdefault(due.alert_id, []).append(due)
    if not by_alert:
        return
    with ThreadPoolExecutor(max_workers=min(POST_WORKERS, len(by_alert)), thread_name_prefix="alert-post") as pool:
        for future in [pool.submit(_post_alert, ctx, posts, targets, result, now) for posts in by_alert.values()]:
            future.result()


def _post_alert(
    ctx: AlertContext, posts: list[AlertPost], targets: _Targets, result: CheckResult, now: datetime
) -> None:
    keeper = ctx.keeper
    for due in posts:
        if ctx.stopping.is_set():
            return
        alert = ctx.store.alerts.get(due.alert_id)
        if alert is None or alert.status != "active":
            return  # removed or paused meanwhile: nothing more is posted for it
        post = ctx.store.alert_posts.claim(due.id, keeper.holder, keeper.lease, now=now)
        if post is None:
            continue  # another process has it
        keeper.hold(post.id)
        try:
            _post_one(ctx, alert, post, targets, result, now)
        except Exception as exc:
            log.exception("alert post %s failed", post.id)
            _fail(ctx, post, f"internal: {type(exc).__name__}", result, now, unknown=True)
        finally:
            keeper.drop(post.id)


def _post_one(
    ctx: AlertContext, alert: Alert, post: AlertPost, targets: _Targets, result: CheckResult, now: datetime
) -> None:
    store, sender, holder = ctx.store.alert_posts, ctx.sender, ctx.keeper.holder
    thread_ts: str | None = None
    if post.event == "clear":
        breach = next((p for p in store.of_alert(alert.id) if p.episode == post.episode and p.event == "breach"), None)
        if breach is None or breach.message_ts is None:  # the reply waits for the message it replies to
            store.release(post.id, holder)
            result.count("waiting")
            return
        thread_ts = breach.message_ts
    title = targets.title(alert.target)
    if post.sent_at is not None:  # an earlier post's answer never came: look before posting again
        try:
            found = sender.find(alert, post, thread_ts=thread_ts)
        except SendFailed as exc:
            _fail(ctx, post, f"slack: {exc.code} (looking for an earlier post)", result, now, unknown=True)
            return
        if found is not None:
            _landed(ctx, alert, post, found, title, targets, result)
            return
    if not store.mark_sent(post.id, holder, now=now):
        return  # our lease lapsed and someone took it over
    try:
        ts = sender.post(alert, post, title=title, thread_ts=thread_ts)
    except SendFailed as exc:
        if exc.unknown:
            try:
                found = sender.find(alert, post, thread_ts=thread_ts)
            except SendFailed:
                found = None
            if found is not None:
                _landed(ctx, alert, post, found, title, targets, result)
                return
        _fail(ctx, post, f"slack: {exc.code}", result, now, unknown=exc.unknown)
        if exc.permanent:
            _pause(ctx, alert, exc)
        return
    _landed(ctx, alert, post, ts, title, targets, result)


def _landed(
    ctx: AlertContext, alert: Alert, post: AlertPost, ts: str, title: str, targets: _Targets, result: CheckResult
) -> None:
    if not ctx.store.alert_posts.record_posted(post.id, ctx.keeper.holder, ts):
        log.warning("alert post %s landed (ts %s) but its lease was taken over", post.id, ts)
        return
    result.count("posted")
    if post.event != "breach":
        return
    drawn = _chart(ctx, alert, targets, title)
    if drawn is None:
        ctx.store.alert_posts.record_chart(post.id, file_id=None, detail="chart could not be drawn")
        return
    png, start = drawn
    try:
        file_id = ctx.sender.attach_chart(alert, post, ts=ts, title=title, png=png, start=start)
    except SendFailed as exc:  # the breach is out; its chart is a nice-to-have, tried once (no second upload)
        log.warning("alert %s: chart not attached: %s", alert.id, exc.code)
        ctx.store.alert_posts.record_chart(post.id, file_id=None, detail=f"chart not attached: slack: {exc.code}")
        return
    ctx.store.alert_posts.record_chart(post.id, file_id=file_id)


def chart_data(alert: Alert, series: Series, *, title: str, today: date) -> MetricChartData:
    """The alert's chart: the metric against its threshold over the last :data:`ALERT_DAYS` days, from the
    first of them with a value (a campaign that began 4 days ago gets 4 days, not 10 empty ones)."""
    metric = METRICS[alert.metric]
    values = metric.daily(series)
    first = max(today - timedelta(days=ALERT_DAYS - 1), min((d for d in values if d <= today), default=today))
    days = tuple(first + timedelta(days=i) for i in range((today - first).days + 1))
    return MetricChartData(
        title=title,
        days=days,
        label=metric.label,
        values=tuple(values.get(day) for day in days),
        threshold=alert.threshold,
        above=alert.op == ">",
        percent=metric.is_rate,
    )


def _chart(ctx: AlertContext, alert: Alert, targets: _Targets, title: str) -> tuple[bytes, date] | None:
    """The alert's chart and its first day, or None when it cannot be drawn."""
    series = targets.get(alert.target)
    if isinstance(series, BrazeError):
        return None
    try:
        data = chart_data(alert, series, title=title, today=targets.now.astimezone(UTC).date())
        return ctx.renderer.run(render_metric, data), data.days[0]
    except Exception:
        log.exception("alert chart failed")
        return None


def _pause(ctx: AlertContext, alert: Alert, failure: SendFailed) -> None:
    """Slack refuses the alert's channel: stop checking it, and tell its creator once (whoever paused it)."""
    if not ctx.store.alerts.pause(alert.id):
        return
    log.warning("alert %s paused: slack: %s", alert.id, failure.code)
    try:
        ctx.sender.tell_paused(alert, failure)
    except Exception:
        log.warning("could not tell %s about paused alert %s", alert.created_by, alert.id)


def _fail(
    ctx: AlertContext, post: AlertPost, reason: str, result: CheckResult, now: datetime, *, unknown: bool
) -> None:
    wait = backoff(post.attempts, ctx.retry_base, ctx.retry_max)
    try:
        ctx.store.alert_posts.record_failure(
            post.id, ctx.keeper.holder, reason, retry_at=now + wait, unknown=unknown
        )
    except Exception:
        log.exception("could not record alert post %s as failed; its lease lapses instead", post.id)
    result.count("failed", reason)
