"""Alerts in the database: the rules with their stored state (``alerts``), and one row per Slack post of a
breach or of its clearing (``alert_posts``).

The same discipline as digests (:mod:`digests.deliveries`): every cross-process guarantee rests on a UNIQUE
constraint or one conditional UPDATE, never on read-then-write in Python.

* A rule's state moves ``ok`` → ``breaching`` (a new episode) or back with one UPDATE conditional on the
  state and episode the check read; only the process whose UPDATE moved the row inserts the post, in the
  same transaction, and UNIQUE (alert, episode, event) backs that up. So a breach is posted once per
  episode, however many processes check, and an ongoing breach is never posted again.
* A post is taken with a lease (``claimed``, heartbeat renewed by :class:`digests.lease.LeaseKeeper`):
  ``pending`` → ``claimed`` → ``posted``, or ``failed`` (retried after ``retry_at``); a lapsed lease is
  taken over. ``sent_at`` marks a post whose answer is not known: whoever resumes looks in Slack first.

Callers see frozen :class:`Alert` and :class:`AlertPost` values, never rows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from digests.tables import alert_posts, alerts, as_utc
from reports.kinds import Kind, Target
from reports.kinds.registry import kind_of

AlertState = Literal["ok", "breaching"]
PostEvent = Literal["breach", "clear"]
_a = alerts.c
_p = alert_posts.c


@dataclass(frozen=True, slots=True)
class Alert:
    """A channel's rule: ``metric op threshold`` on a target (thresholds of rates are fractions)."""

    id: int
    team_id: str
    channel_id: str
    kind: Kind
    object_id: str
    send_id: str
    metric: str
    op: str
    threshold: float
    created_by: str
    created_at: datetime
    status: str
    state: AlertState
    episode: int
    last_value: float | None = None
    last_day: date | None = None
    checked_at: datetime | None = None
    complete_through: date | None = None

    @property
    def target(self) -> Target:
        return Target(Kind(self.kind), self.object_id, self.send_id)

    def breaches(self, value: float) -> bool:
        return value > self.threshold if self.op == ">" else value < self.threshold


@dataclass(frozen=True, slots=True)
class AlertPost:
    """One post of an alert: its breach, or the "back to normal" reply in the breach's thread."""

    id: int
    alert_id: int
    episode: int
    event: PostEvent
    status: str
    value: float
    day: date
    partial: bool
    attempts: int
    detail: str | None
    message_ts: str | None
    file_id: str | None
    created_at: datetime
    updated_at: datetime
    holder: str | None = None
    heartbeat_at: datetime | None = None
    sent_at: datetime | None = None
    retry_at: datetime | None = None


class Alerts:
    """Reads and writes of ``alerts``; thread- and process-safe, share one per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(
        self,
        *,
        team_id: str,
        channel_id: str,
        target: Target,
        metric: str,
        op: str,
        threshold: float,
        created_by: str,
        now: datetime | None = None,
    ) -> tuple[Alert, bool]:
        """Watch ``metric op threshold`` on ``target`` in a channel; returns (alert, created). The same
        channel, target, metric and op again takes the new threshold (and revives a removed rule) and keeps
        its id and state: the next check posts if the new threshold changes the verdict. A removed rule set
        again starts afresh (state ``ok``, nothing owed from before); a paused one keeps what it owes."""
        kind = kind_of(target.kind)
        if metric not in kind.metrics:
            raise ValueError(f"a {kind.words.noun} has no {metric!r}")
        if op not in (">", "<"):
            raise ValueError(f"op must be > or <, not {op!r}")
        key = and_(
            _a.channel_id == channel_id,
            _a.kind == target.kind,
            _a.object_id == target.object_id,
            _a.send_id == target.send_id,
            _a.metric == metric,
            _a.op == op,
        )
        changes = {"threshold": threshold, "created_by": created_by, "status": "active"}
        first = {
            "team_id": team_id,
            "channel_id": channel_id,
            "kind": str(target.kind),
            "object_id": target.object_id,
            "send_id": target.send_id,
            "metric": metric,
            "op": op,
            "created_at": as_utc(now),
            "state": "ok",
            "episode": 0,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(alerts).values(**first, **changes))
                return _alert(conn.execute(select(alerts).where(key)).one()), True
        except IntegrityError as exc:
            conflict = exc
        with self.engine.begin() as conn:
            found = conn.execute(select(alerts).where(key)).one_or_none()
            if found is None:
                raise conflict  # not a duplicate rule after all, but some other constraint
            if found.status == "removed":  # set again after a remove: it starts afresh, owing nothing
                changes["state"] = "ok"
                conn.execute(delete(alert_posts).where(_p.alert_id == found.id, _p.status != "posted"))
            conn.execute(update(alerts).where(key).values(**changes))
            return _alert(conn.execute(select(alerts).where(key)).one()), False

    def get(self, alert_id: int) -> Alert | None:
        found = self._select(_a.id == alert_id)
        return found[0] if found else None

    def active(self) -> list[Alert]:
        return self._select(_a.status == "active")

    def in_channel(self, channel_id: str) -> list[Alert]:
        """A channel's alerts that were not removed (active and paused), oldest first."""
        return self._select(_a.channel_id == channel_id, _a.status != "removed")

    def remove(self, alert_id: int, channel_id: str) -> Alert | None:
        """Stop watching (only from the rule's own channel); the removed rule, or None."""
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(alerts)
                .where(_a.id == alert_id, _a.channel_id == channel_id, _a.status != "removed")
                .values(status="removed")
            ).rowcount
            if moved != 1:
                return None
            return _alert(conn.execute(select(alerts).where(_a.id == alert_id)).one())

    def observe(
        self, alert: Alert, *, value: float | None, day: date, complete: bool, now: datetime | None = None
    ) -> AlertPost | None:
        """Record one observation of ``alert`` (``value`` on ``day``; ``complete``: the whole day). When it
        changes the rule's verdict, move the state with one UPDATE conditional on the state and episode
        ``alert`` carries, and insert the post in the same transaction: the post, for exactly one caller;
        None otherwise (no change, or someone else moved it first)."""
        now = as_utc(now)
        seen: dict[str, Any] = {"checked_at": now}
        if value is not None:
            seen.update(last_value=value, last_day=day)
        if complete:
            later = or_(_a.complete_through.is_(None), _a.complete_through < day)
            with self.engine.begin() as conn:
                conn.execute(update(alerts).where(_a.id == alert.id, later).values(complete_through=day))
        breaching = value is not None and alert.breaches(value)
        if value is None or breaching == (alert.state == "breaching"):
            with self.engine.begin() as conn:
                conn.execute(update(alerts).where(_a.id == alert.id).values(**seen))
            return None
        episode = alert.episode + 1 if breaching else alert.episode
        event: PostEvent = "breach" if breaching else "clear"
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(alerts)
                .where(_a.id == alert.id, _a.state == alert.state, _a.episode == alert.episode, _a.status == "active")
                .values(state="breaching" if breaching else "ok", episode=episode, **seen)
            ).rowcount
            if moved != 1:
                return None
            row = {
                "alert_id": alert.id,
                "episode": episode,
                "event": event,
                "status": "pending",
                "value": value,
                "day": day,
                "partial": 0 if complete else 1,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            conn.execute(insert(alert_posts).values(**row))
            found = conn.execute(
                select(alert_posts).where(_p.alert_id == alert.id, _p.episode == episode, _p.event == event)
            ).one()
            return _post(found)

    def pause(self, alert_id: int) -> bool:
        """Stop an alert whose channel Slack refuses (gone, archived, closed to the bot): True for the one
        caller that paused it (who tells its creator). Setting it again in its channel makes it active."""
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(alerts).where(_a.id == alert_id, _a.status == "active").values(status="paused")
            ).rowcount
            return moved == 1

    def _select(self, *where: ColumnElement[bool]) -> list[Alert]:
        with self.engine.connect() as conn:
            return [_alert(row) for row in conn.execute(select(alerts).where(*where).order_by(_a.id))]


class AlertPosts:
    """Reads and writes of ``alert_posts``: claims under a lease, then one conditional UPDATE per step."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def due(self, lease: timedelta, *, now: datetime | None = None) -> list[AlertPost]:
        """Posts someone should make now: new ones, failed ones whose retry time has passed, and held ones
        whose holder stopped renewing its lease; oldest first."""
        now = as_utc(now)
        return self._select(_claimable(lease, now))

    def claim(self, post_id: int, holder: str, lease: timedelta, *, now: datetime | None = None) -> AlertPost | None:
        """Take the lease on a due post; None when someone else has it (or it is done)."""
        now = as_utc(now)
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(alert_posts)
                .where(_p.id == post_id, _claimable(lease, now))
                .values(
                    status="claimed",
                    holder=holder,
                    heartbeat_at=now,
                    attempts=_p.attempts + 1,
                    retry_at=None,
                    updated_at=now,
                )
            ).rowcount
            if moved != 1:
                return None
            return _post(conn.execute(select(alert_posts).where(_p.id == post_id)).one())

    def renew(self, holder: str, post_ids: Collection[int], *, now: datetime | None = None) -> int:
        """Heartbeat (:class:`digests.lease.LeaseKeeper`): renew every lease ``holder`` holds among these."""
        if not post_ids:
            return 0
        with self.engine.begin() as conn:
            return conn.execute(
                update(alert_posts)
                .where(_p.id.in_(list(post_ids)), _p.status == "claimed", _p.holder == holder)
                .values(heartbeat_at=as_utc(now))
            ).rowcount

    def mark_sent(self, post_id: int, holder: str, *, now: datetime | None = None) -> bool:
        """Written just before the Slack post: until its answer is recorded, the outcome is unknown."""
        now = as_utc(now)
        return self._held(post_id, holder, sent_at=now, heartbeat_at=now, updated_at=now)

    def record_posted(self, post_id: int, holder: str, ts: str, *, now: datetime | None = None) -> bool:
        return self._held(
            post_id,
            holder,
            status="posted",
            message_ts=ts,
            sent_at=None,
            holder=None,
            heartbeat_at=None,
            detail=None,
            updated_at=as_utc(now),
        )

    def record_chart(self, post_id: int, *, file_id: str | None, detail: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(alert_posts).where(_p.id == post_id).values(file_id=file_id, detail=detail))

    def record_failure(
        self, post_id: int, holder: str, detail: str, *, retry_at: datetime, unknown: bool, now: datetime | None = None
    ) -> bool:
        """Failed for now: retried after ``retry_at``; with ``unknown`` (no answer) ``sent_at`` stays, so the
        retry looks in Slack before posting again."""
        values: dict[str, Any] = {} if unknown else {"sent_at": None}
        return self._held(
            post_id,
            holder,
            status="failed",
            detail=detail[:500],
            retry_at=as_utc(retry_at),
            holder=None,
            heartbeat_at=None,
            updated_at=as_utc(now),
            **values,
        )

    def release(self, post_id: int, holder: str) -> bool:
        """Give the lease back without a verdict (the breach it replies to is not posted yet)."""
        return self._held(post_id, holder, status="pending", holder=None, heartbeat_at=None)

    def get(self, post_id: int) -> AlertPost | None:
        found = self._select(_p.id == post_id)
        return found[0] if found else None

    def of_alert(self, alert_id: int) -> list[AlertPost]:
        return self._select(_p.alert_id == alert_id)

    def _held(self, post_id: int, by: str, /, **values: Any) -> bool:
        """One UPDATE of a post ``by`` holds (claimed by it): False when the lease was taken over."""
        with self.engine.begin() as conn:
            where = (_p.id == post_id, _p.status == "claimed", _p.holder == by)
            return conn.execute(update(alert_posts).where(*where).values(**values)).rowcount == 1

    def _select(self, *where: ColumnElement[bool]) -> list[AlertPost]:
        with self.engine.connect() as conn:
            return [_post(row) for row in conn.execute(select(alert_posts).where(*where).order_by(_p.id))]


def _claimable(lease: timedelta, now: datetime) -> ColumnElement[bool]:
    return or_(
        _p.status == "pending",
        and_(_p.status == "failed", or_(_p.retry_at.is_(None), _p.retry_at <= now)),
        and_(_p.status == "claimed", or_(_p.heartbeat_at.is_(None), _p.heartbeat_at < now - lease)),
    )


def _alert(row: Any) -> Alert:
    return Alert(**{**row._mapping, "kind": Kind(row.kind)})


def _post(row: Any) -> AlertPost:
    return AlertPost(**{**row._mapping, "partial": bool(row.partial)})
