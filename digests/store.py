"""Persistence for daily digest subscriptions, digest deliveries and Slack event de-duplication.

SQLite is the embedded default (one process); PostgreSQL via ``DATABASE_URL`` when several processes
(web + clock, or many dynos) share the work. Every cross-process guarantee rests on a UNIQUE constraint
or on a single conditional UPDATE, never on read-then-write in Python, so it holds on both backends:

* one subscription per (channel, kind, object, send): ``uq_subscriptions_key``;
* one digest per (subscription, day): ``uq_deliveries_day`` + the takeover UPDATE in :meth:`Store.claim`,
  and every later step is an UPDATE conditional on the lease holder and the state it moves from;
* one handling per Slack event id: the primary key of ``processed_events``.

Callers only ever see frozen dataclasses (:class:`Subscription`, :class:`Delivery`), never rows.
Every datetime is timezone-aware UTC going in and coming out (SQLite stores naive UTC text).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    Engine,
    and_,
    case,
    create_engine,
    delete,
    event,
    false,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from digests.records import (
    DONE_STATUSES,
    HELD_STATUSES,
    Delivery,
    Subscription,
    SubscriptionKind,
    SubscriptionStatus,
)
from digests.tables import as_utc, digest_deliveries, processed_events, subscriptions

#: Seconds to wait for a PostgreSQL connection: a "black hole" server would otherwise hang start-up forever.
CONNECT_TIMEOUT = 5


def make_engine(url: str, *, busy_timeout_ms: int = 5000) -> Engine:
    """Engine for ``sqlite:///path``, ``sqlite://`` (memory), ``postgresql://…`` or ``postgres://…``.

    PostgreSQL URLs always get the psycopg 3 driver (the one we ship; Heroku hands out ``postgres://``),
    with a ``connect_timeout`` (unless the URL sets one) so an unreachable server fails fast.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        # pre_ping: managed Postgres drops idle connections; the scheduler is idle most of the day.
        # Pool sized for a digest round's worker threads plus the web and job threads.
        connect_args: dict[str, Any] = {}
        if "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT
        return create_engine(
            parsed.set(drivername="postgresql+psycopg"),
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=30,
            pool_timeout=10,
            connect_args=connect_args,
        )
    if backend != "sqlite":
        raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}; use sqlite or postgresql")

    if parsed.database in (None, "", ":memory:"):
        # One shared connection, or every thread would see its own empty in-memory database.
        engine = create_engine(parsed, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        engine = create_engine(parsed, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # first, so the WAL switch itself waits for locks
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
        finally:
            cursor.close()

    return engine


class Store:
    """All reads and writes of subscriptions, digest deliveries and processed Slack events.

    Thread-safe and multi-process-safe: share one instance per process.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(make_engine(url))

    def dispose(self) -> None:
        """Close pooled connections (at shutdown, or in a child process after fork)."""
        self.engine.dispose()

    def ping(self) -> None:
        """Raise unless the database answers a read of our own table (the health check's probe)."""
        with self.engine.connect() as conn:
            conn.execute(select(subscriptions.c.id).limit(1)).all()

    # -- subscriptions -------------------------------------------------------------------------------

    def upsert_subscription(
        self,
        *,
        team_id: str,
        channel_id: str,
        kind: str,
        object_id: str,
        send_id: str,
        hour: int,
        minute: int,
        timezone: str,
        created_by: str,
        first_day: date,
        ends_on: date,
        now: datetime | None = None,
    ) -> tuple[Subscription, bool]:
        """Subscribe a channel to a target, or re-subscribe it; returns (subscription, created).

        The target is ``(kind, object_id, send_id)``: a send's campaign ID and send ID, or a campaign's or
        Canvas's ID and an empty ``send_id``. Re-subscribing (same channel and target) takes the new time,
        zone and requester and makes the subscription active again, whatever its status; its id,
        created_at and last_digest_on stay. INSERT comes first and a UNIQUE violation falls through to
        UPDATE, so two people subscribing at the same moment end up with one row.
        """
        _check_schedule(hour, minute, timezone)
        if kind not in get_args(SubscriptionKind) or (kind != "send") == bool(send_id):
            raise ValueError(f"a {kind!r} subscription needs {'a' if kind == 'send' else 'no'} send_id")
        if ends_on < first_day:
            raise ValueError(f"ends_on {ends_on} is before first_day {first_day}")
        changes = {
            "hour": hour,
            "minute": minute,
            "timezone": timezone,
            "created_by": created_by,
            "first_day": first_day,
            "ends_on": ends_on,
            "status": "active",
            "status_reason": None,
        }
        s = subscriptions.c
        key = and_(s.channel_id == channel_id, s.kind == kind, s.object_id == object_id, s.send_id == send_id)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(subscriptions).values(
                        team_id=team_id,
                        channel_id=channel_id,
                        object_id=object_id,
                        send_id=send_id,
                        kind=kind,
                        created_at=as_utc(now),
                        **changes,
                    )
                )
                return _subscription(conn.execute(select(subscriptions).where(key)).one()), True
        except IntegrityError as exc:
            conflict = exc  # the row exists (perhaps created a moment ago by someone else): update it
        with self.engine.begin() as conn:
            if conn.execute(update(subscriptions).where(key).values(**changes)).rowcount != 1:
                raise conflict  # not a duplicate key after all, but some other constraint
            return _subscription(conn.execute(select(subscriptions).where(key)).one()), False

    def get_subscription(self, sub_id: int) -> Subscription | None:
        """The subscription with this id, or None."""
        found = self._subscriptions(subscriptions.c.id == sub_id)
        return found[0] if found else None

    def find_subscription(self, channel_id: str, kind: str, object_id: str, send_id: str) -> Subscription | None:
        """The channel's subscription to this target (any status), or None."""
        s = subscriptions.c
        found = self._subscriptions(
            s.channel_id == channel_id, s.kind == kind, s.object_id == object_id, s.send_id == send_id
        )
        return found[0] if found else None

    def list_channel(self, channel_id: str, include_inactive: bool = False) -> list[Subscription]:
        """A channel's subscriptions, oldest first: only 'active' ones unless include_inactive."""
        where = [subscriptions.c.channel_id == channel_id]
        if not include_inactive:
            where.append(subscriptions.c.status == "active")
        return self._subscriptions(*where)

    def list_by_user(self, user_id: str, include_inactive: bool = False) -> list[Subscription]:
        """Subscriptions a user created (or last re-subscribed), oldest first; 'active' ones by default."""
        where = [subscriptions.c.created_by == user_id]
        if not include_inactive:
            where.append(subscriptions.c.status == "active")
        return self._subscriptions(*where)

    def active_subscriptions(self) -> list[Subscription]:
        """Everything the scheduler should consider today."""
        return self._subscriptions(subscriptions.c.status == "active")

    def cancel(self, sub_id: int) -> bool:
        """Unsubscribe (from any status). False if unknown or already cancelled."""
        return self._set_status(sub_id, "cancelled", None, ("active", "paused", "ended"))

    def pause(self, sub_id: int, reason: str) -> bool:
        """Stop digests for a reason someone can fix (e.g. bot removed from the channel).

        Only an active subscription can be paused, so a pause never revives a cancelled or ended one.
        """
        return self._set_status(sub_id, "paused", reason, ("active",))

    def end(self, sub_id: int, reason: str) -> bool:
        """Stop digests for good (Braze no longer keeps the send's data); never overrides 'cancelled'."""
        return self._set_status(sub_id, "ended", reason, ("active", "paused"))

    # -- digest deliveries ---------------------------------------------------------------------------

    def claim(
        self,
        sub_id: int,
        digest_date: date,
        *,
        holder: str = "anonymous",
        lease: timedelta = timedelta(seconds=60),
        force: bool = False,
        now: datetime | None = None,
    ) -> Delivery | None:
        """Take the lease on ``sub_id``'s digest for ``digest_date``; None if it is done or someone holds it.

        Exactly one caller across all threads and processes wins: the first INSERT wins through the
        UNIQUE (subscription_id, digest_date) constraint. Later callers take the row over only with a
        single conditional UPDATE (rowcount 1 = won), and only when

        * it is held (``claimed``/``chart_pending``) but its holder's heartbeat is older than ``lease``
          or was released: the holder died or stopped. A live holder renews its heartbeat (see
          :class:`digests.lease.LeaseKeeper`), so a long round is never overtaken; or
        * it ``failed`` and its backoff (``retry_at``) has passed, or ``force`` (a person asked); or
        * it was ``missed`` and ``force`` (a backfill).

        A taken-over ``chart_pending`` row stays ``chart_pending``: the new holder attaches the chart and
        never posts a second message. Posted and skipped days are never claimable again. Unknown
        subscriptions give None.
        """
        now = as_utc(now)
        d = digest_deliveries.c
        key = and_(d.subscription_id == sub_id, d.digest_date == digest_date)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(digest_deliveries).values(
                        subscription_id=sub_id,
                        digest_date=digest_date,
                        status="claimed",
                        attempts=1,
                        claimed_at=now,
                        updated_at=now,
                        holder=holder,
                        heartbeat_at=now,
                    )
                )
                return _delivery(conn.execute(select(digest_deliveries).where(key)).one())
        except IntegrityError:
            pass  # the day was claimed before (or the subscription is gone): only a takeover can win
        retry_due = true() if force else or_(d.retry_at.is_(None), d.retry_at <= now)
        takeable = or_(
            and_(d.status.in_(HELD_STATUSES), or_(d.heartbeat_at.is_(None), d.heartbeat_at < now - lease)),
            and_(d.status == "failed", retry_due),
            and_(d.status == "missed", true() if force else false()),
        )
        with self.engine.begin() as conn:
            result = conn.execute(
                update(digest_deliveries)
                .where(key, takeable)
                .values(
                    status=case((d.status == "chart_pending", "chart_pending"), else_="claimed"),
                    attempts=d.attempts + 1,
                    holder=holder,
                    heartbeat_at=now,
                    retry_at=None,
                    claimed_at=now,
                    updated_at=now,
                )
            )
            if result.rowcount != 1:
                return None
            return _delivery(conn.execute(select(digest_deliveries).where(key)).one())

    def get_delivery(self, sub_id: int, digest_date: date) -> Delivery | None:
        """The delivery of ``sub_id``'s digest for ``digest_date``, or None if never claimed."""
        d = digest_deliveries.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(digest_deliveries).where(d.subscription_id == sub_id, d.digest_date == digest_date)
            ).one_or_none()
            return _delivery(row) if row is not None else None

    def renew(self, holder: str, delivery_ids: Collection[int], *, now: datetime | None = None) -> int:
        """Heartbeat: one UPDATE renews every lease ``holder`` still holds among ``delivery_ids``."""
        if not delivery_ids:
            return 0
        d = digest_deliveries.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(digest_deliveries)
                .where(d.id.in_(list(delivery_ids)), d.holder == holder, d.status.in_(HELD_STATUSES))
                .values(heartbeat_at=as_utc(now))
            )
            return result.rowcount

    def mark_sent(self, delivery_id: int, holder: str, *, now: datetime | None = None) -> bool:
        """Written just before a Slack write: until its answer is recorded, the outcome is unknown and
        whoever resumes looks in Slack before writing again. False: the lease was lost, so do not send."""
        now = as_utc(now)
        return self._step(delivery_id, holder, HELD_STATUSES, sent_at=now, heartbeat_at=now, updated_at=now)

    def record_message(
        self,
        delivery_id: int,
        holder: str,
        message_ts: str,
        *,
        chart_follows: bool,
        detail: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """``chat.postMessage`` returned: store its ts the moment it lands. ``chart_pending`` if a chart
        follows, else done (``posted``). False: the row was no longer ours to move."""
        now = as_utc(now)
        return self._step(
            delivery_id,
            holder,
            ("claimed",),
            status="chart_pending" if chart_follows else "posted",
            message_ts=message_ts,
            detail=detail,
            sent_at=None,
            updated_at=now,
            **({} if chart_follows else {"holder": None, "heartbeat_at": None}),
        )

    def record_chart(
        self,
        delivery_id: int,
        holder: str,
        *,
        file_id: str | None,
        detail: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """The chart is attached (``file_id``), or given up with ``detail``: the digest is done."""
        return self._step(
            delivery_id,
            holder,
            ("chart_pending",),
            status="posted",
            file_id=file_id,
            detail=detail,
            sent_at=None,
            holder=None,
            heartbeat_at=None,
            updated_at=as_utc(now),
        )

    def record_failure(
        self,
        delivery_id: int,
        holder: str,
        detail: str,
        *,
        retry_at: datetime | None,
        outcome_unknown: bool = False,
        now: datetime | None = None,
    ) -> bool:
        """A claimed digest failed for now: retried after ``retry_at``. With ``outcome_unknown`` (the post
        was sent but no answer came), ``sent_at`` stays, so the retry looks in Slack before re-posting."""
        values: dict[str, Any] = {} if outcome_unknown else {"sent_at": None}
        return self._step(
            delivery_id,
            holder,
            ("claimed",),
            status="failed",
            detail=detail[:500],
            retry_at=as_utc(retry_at) if retry_at is not None else None,
            holder=None,
            heartbeat_at=None,
            updated_at=as_utc(now),
            **values,
        )

    def record_skip(self, delivery_id: int, holder: str, detail: str, *, now: datetime | None = None) -> bool:
        """Nothing to post for this day (no complete day of data yet): done, never retried."""
        return self._step(
            delivery_id,
            holder,
            ("claimed",),
            status="skipped",
            detail=detail,
            holder=None,
            heartbeat_at=None,
            updated_at=as_utc(now),
        )

    def release(self, delivery_id: int, holder: str) -> bool:
        """Give a lease back (shutting down): the state stays, and the next claimer resumes at once."""
        d = digest_deliveries.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(digest_deliveries)
                .where(d.id == delivery_id, d.holder == holder, d.status.in_(HELD_STATUSES))
                .values(holder=None, heartbeat_at=None)
            )
            return result.rowcount == 1

    def record_missed(self, delivery_id: int, detail: str, *, now: datetime | None = None) -> bool:
        """Give up a failed day (the subscriber's local day is over). True for exactly one caller, who
        tells the subscriber."""
        d = digest_deliveries.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(digest_deliveries)
                .where(d.id == delivery_id, d.status == "failed")
                .values(status="missed", detail=detail[:500], retry_at=None, updated_at=as_utc(now))
            )
            return result.rowcount == 1

    def failed_deliveries(self) -> list[Delivery]:
        """Every delivery waiting for a retry, oldest day first (the sweep gives up past days)."""
        d = digest_deliveries.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(digest_deliveries).where(d.status == "failed").order_by(d.digest_date, d.id))
            return [_delivery(row) for row in rows]

    def lapsed_leases(self, lease: timedelta, *, now: datetime | None = None) -> list[Delivery]:
        """Held deliveries whose holder stopped renewing (or released them): resumable by anyone."""
        d = digest_deliveries.c
        cutoff = as_utc(now) - lease
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(digest_deliveries)
                .where(d.status.in_(HELD_STATUSES), or_(d.heartbeat_at.is_(None), d.heartbeat_at < cutoff))
                .order_by(d.digest_date, d.id)
            )
            return [_delivery(row) for row in rows]

    def last_outcomes(self, sub_ids: Collection[int]) -> dict[int, Delivery]:
        """Each subscription's latest delivery (by day), for App Home and ``list``."""
        if not sub_ids:
            return {}
        d = digest_deliveries.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(digest_deliveries).where(d.subscription_id.in_(list(sub_ids))).order_by(d.digest_date, d.id)
            )
            return {row.subscription_id: _delivery(row) for row in rows}

    def finish(
        self,
        delivery_id: int,
        status: Literal["posted", "failed", "skipped"],
        *,
        detail: str | None = None,
        message_ts: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Record how a claimed digest went, whoever holds it (tools and tests; rounds use the steps).

        Only a held delivery can be finished, so a second finish cannot overwrite the first outcome;
        False says the delivery was unknown or not held any more.
        """
        if status not in ("posted", "failed", "skipped"):
            raise ValueError(f"cannot finish a delivery as {status!r}")
        return self._step(
            delivery_id,
            None,
            HELD_STATUSES,
            status=status,
            detail=detail,
            message_ts=message_ts,
            holder=None,
            heartbeat_at=None,
            sent_at=None,
            updated_at=as_utc(now),
        )

    def _step(self, delivery_id: int, owner: str | None, from_statuses: tuple[str, ...], **values: Any) -> bool:
        """One conditional UPDATE that moves a delivery forward, if ``owner`` (None: anyone) still holds
        it in one of ``from_statuses``; reaching a done state also advances ``last_digest_on``."""
        d, s = digest_deliveries.c, subscriptions.c
        where = [d.id == delivery_id, d.status.in_(from_statuses)]
        if owner is not None:
            where.append(d.holder == owner)
        with self.engine.begin() as conn:
            if conn.execute(update(digest_deliveries).where(*where).values(**values)).rowcount != 1:
                return False
            if values.get("status") in DONE_STATUSES:
                row = conn.execute(select(d.subscription_id, d.digest_date).where(d.id == delivery_id)).one()
                conn.execute(
                    update(subscriptions)
                    .where(
                        s.id == row.subscription_id,
                        or_(s.last_digest_on.is_(None), s.last_digest_on < row.digest_date),
                    )
                    .values(last_digest_on=row.digest_date)
                )
            return True

    def deliveries_for(self, sub_id: int) -> list[Delivery]:
        """A subscription's deliveries, oldest day first (for the audit/status command)."""
        d = digest_deliveries.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(digest_deliveries).where(d.subscription_id == sub_id).order_by(d.digest_date))
            return [_delivery(row) for row in rows]

    # -- Slack event de-duplication ------------------------------------------------------------------

    def remember_event(self, event_id: str, *, now: datetime | None = None) -> bool:
        """True the first time this Slack event id is seen; False for Slack's retries of it."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(processed_events).values(event_id=event_id, received_at=as_utc(now)))
        except IntegrityError:
            return False
        return True

    def forget_events_before(self, cutoff: datetime) -> int:
        """Prune event ids received before ``cutoff`` (Slack retries only for minutes); returns how many."""
        with self.engine.begin() as conn:
            result = conn.execute(delete(processed_events).where(processed_events.c.received_at < as_utc(cutoff)))
            return result.rowcount

    # -- helpers -------------------------------------------------------------------------------------

    def _subscriptions(self, *where: Any) -> list[Subscription]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(subscriptions).where(*where).order_by(subscriptions.c.id))
            return [_subscription(row) for row in rows]

    def _set_status(
        self, sub_id: int, status: SubscriptionStatus, reason: str | None, allowed_from: tuple[str, ...]
    ) -> bool:
        """One conditional UPDATE, so a transition is decided by the database, not a stale read."""
        s = subscriptions.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(subscriptions)
                .where(s.id == sub_id, s.status.in_(allowed_from))
                .values(status=status, status_reason=reason)
            )
            return result.rowcount == 1


def _subscription(row: Any) -> Subscription:
    return Subscription(**row._mapping)


def _delivery(row: Any) -> Delivery:
    return Delivery(**row._mapping)


def _check_schedule(hour: int, minute: int, timezone: str) -> None:
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0-23, not {hour}")
    if not 0 <= minute <= 59:
        raise ValueError(f"minute must be 0-59, not {minute}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"{timezone!r} is not an IANA time zone such as Europe/Berlin") from exc
