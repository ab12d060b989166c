"""Digest deliveries in the database: claims under a lease, then one conditional UPDATE per step.

Each step is a transition of :mod:`digests.states`: its UPDATE moves a row only from that transition's
states, only for the lease holder when its guard says so, and to that transition's state. Exactly one
caller across threads and processes wins each: the first claim through the UNIQUE (subscription_id,
digest_date) constraint, every later move through a rowcount of 1. Callers see :class:`Delivery` values.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, false, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from digests.records import Delivery
from digests.states import DONE, HELD, TRANSITIONS, DeliveryState, Guard, Step
from digests.tables import as_utc, digest_deliveries, subscriptions

_d = digest_deliveries.c
#: The claims that take an existing row over (the first claim, CLAIM, inserts it).
_TAKES = (Step.TAKE_OVER, Step.RETRY, Step.FORCE)


class Deliveries:
    """Reads and writes of ``digest_deliveries``; thread- and process-safe, share one per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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

        The first claim of a day inserts the row (:attr:`Step.CLAIM`). Later claims take an existing row
        with one conditional UPDATE: a held row whose lease lapsed (:attr:`Step.TAKE_OVER`, which keeps a
        ``chart_pending`` or ``chart_fallback`` row at its chart step, so no second message is posted), a
        failed row whose backoff has passed (:attr:`Step.RETRY`), or, with ``force`` (a person asked), a
        failed or missed row (:attr:`Step.FORCE`). Posted and skipped days are never claimable again; unknown
        subscriptions give None.
        """
        now = as_utc(now)
        key = and_(_d.subscription_id == sub_id, _d.digest_date == digest_date)
        lease_values = {"holder": holder, "heartbeat_at": now, "claimed_at": now, "updated_at": now}
        first = {"subscription_id": sub_id, "digest_date": digest_date, "status": TRANSITIONS[Step.CLAIM].target}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(digest_deliveries).values(**first, attempts=1, **lease_values))
                return _delivery(conn.execute(select(digest_deliveries).where(key)).one())
        except IntegrityError:
            pass  # claimed before (or the subscription is gone): only a takeover, retry or force can win
        guards: dict[Guard, ColumnElement[bool]] = {
            Guard.LEASE_LAPSED: or_(_d.heartbeat_at.is_(None), _d.heartbeat_at < now - lease),
            Guard.BACKOFF_OVER: or_(_d.retry_at.is_(None), _d.retry_at <= now),
            Guard.FORCED: true() if force else false(),
        }
        takes = [TRANSITIONS[step] for step in _TAKES]
        takeable = or_(*(and_(_d.status.in_(t.sources), guards[t.guard]) for t in takes))
        to = case(*((_d.status.in_(t.sources), t.target or _d.status) for t in takes), else_=_d.status)
        with self.engine.begin() as conn:
            result = conn.execute(
                update(digest_deliveries)
                .where(key, takeable)
                .values(status=to, attempts=_d.attempts + 1, retry_at=None, **lease_values)
            )
            if result.rowcount != 1:
                return None
            return _delivery(conn.execute(select(digest_deliveries).where(key)).one())

    def renew(self, holder: str, delivery_ids: Collection[int], *, now: datetime | None = None) -> int:
        """Heartbeat: one UPDATE renews every lease ``holder`` still holds among ``delivery_ids``."""
        if not delivery_ids:
            return 0
        return self._move(Step.RENEW, _d.id.in_(list(delivery_ids)), holder, heartbeat_at=as_utc(now))

    def mark_sent(self, delivery_id: int, holder: str, *, now: datetime | None = None) -> bool:
        """Written just before a Slack write: until its answer is recorded, the outcome is unknown and
        whoever resumes looks in Slack before writing again. False: the lease was lost, so do not send."""
        now = as_utc(now)
        return self._step(Step.MARK_SENT, delivery_id, holder, sent_at=now, heartbeat_at=now, updated_at=now)

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
        step = Step.MESSAGE if chart_follows else Step.MESSAGE_DONE
        values = {"message_ts": message_ts, "detail": detail, "sent_at": None, "updated_at": as_utc(now)}
        return self._step(step, delivery_id, holder, **values)

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
        values = {"file_id": file_id, "detail": detail, "sent_at": None, "updated_at": as_utc(now)}
        return self._step(Step.CHART, delivery_id, holder, **values)

    def record_fallback(self, delivery_id: int, holder: str, detail: str, *, now: datetime | None = None) -> bool:
        """Slack refused the reply showing the shared chart (it never landed): this digest's chart is uploaded
        into its own thread instead (``chart_fallback``). False: the row was not ours to move."""
        values = {"detail": detail[:500], "sent_at": None, "updated_at": as_utc(now)}
        return self._step(Step.FALLBACK, delivery_id, holder, **values)

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
        retry = as_utc(retry_at) if retry_at is not None else None
        values.update(detail=detail[:500], retry_at=retry, updated_at=as_utc(now))
        return self._step(Step.FAIL, delivery_id, holder, **values)

    def record_skip(self, delivery_id: int, holder: str, detail: str, *, now: datetime | None = None) -> bool:
        """Nothing to post for this day (no complete day of data yet): done, never retried."""
        return self._step(Step.SKIP, delivery_id, holder, detail=detail, updated_at=as_utc(now))

    def release(self, delivery_id: int, holder: str) -> bool:
        """Give a lease back (shutting down): the state stays, and the next claimer resumes at once."""
        return self._step(Step.RELEASE, delivery_id, holder, holder=None, heartbeat_at=None)

    def record_missed(self, delivery_id: int, detail: str, *, now: datetime | None = None) -> bool:
        """Give up a failed day (the subscriber's local day is over). True for exactly one caller, who
        tells the subscriber."""
        return self._step(Step.MISS, delivery_id, None, detail=detail[:500], retry_at=None, updated_at=as_utc(now))

    # -- reads ---------------------------------------------------------------------------------------

    def get(self, sub_id: int, digest_date: date) -> Delivery | None:
        """The delivery of ``sub_id``'s digest for ``digest_date``, or None if never claimed."""
        found = self._select(_d.subscription_id == sub_id, _d.digest_date == digest_date)
        return found[0] if found else None

    def of_subscription(self, sub_id: int) -> list[Delivery]:
        """A subscription's deliveries, oldest day first (for the audit/status command)."""
        return self._select(_d.subscription_id == sub_id)

    def failed(self) -> list[Delivery]:
        """Every delivery waiting for a retry, oldest day first (the sweep gives up past days)."""
        return self._select(_d.status == DeliveryState.FAILED)

    def lapsed(self, lease: timedelta, *, now: datetime | None = None) -> list[Delivery]:
        """Held deliveries whose holder stopped renewing (or released them): resumable by anyone."""
        cutoff = as_utc(now) - lease
        return self._select(_d.status.in_(HELD), or_(_d.heartbeat_at.is_(None), _d.heartbeat_at < cutoff))

    def last_outcomes(self, sub_ids: Collection[int]) -> dict[int, Delivery]:
        """Each subscription's latest delivery (by day), for App Home and ``list``."""
        if not sub_ids:
            return {}
        return {d.subscription_id: d for d in self._select(_d.subscription_id.in_(list(sub_ids)))}

    # -- helpers -------------------------------------------------------------------------------------

    def _step(self, step: Step, delivery_id: int, by: str | None, /, **values: Any) -> bool:
        return self._move(step, _d.id == delivery_id, by, **values) == 1

    def _move(self, step: Step, which: ColumnElement[bool], by: str | None, /, **values: Any) -> int:
        """One conditional UPDATE taking ``step`` (see :data:`digests.states.TRANSITIONS`): only from its
        states, and only by the lease holder ``by`` where its guard asks for the holder. Leaving the held
        states ends the lease; reaching a done state also advances the subscription's ``last_digest_on``."""
        transition = TRANSITIONS[step]
        where = [which, _d.status.in_(transition.sources)]
        if transition.guard is Guard.HOLDER:
            where.append(_d.holder == by)
        if transition.target is not None:
            values["status"] = transition.target
            if transition.target not in HELD:
                values.update(holder=None, heartbeat_at=None)
        with self.engine.begin() as conn:
            moved = conn.execute(update(digest_deliveries).where(*where).values(**values)).rowcount
            if moved == 1 and transition.target in DONE:
                row = conn.execute(select(_d.subscription_id, _d.digest_date).where(which)).one()
                s = subscriptions.c
                later = or_(s.last_digest_on.is_(None), s.last_digest_on < row.digest_date)
                advance = update(subscriptions).where(s.id == row.subscription_id, later)
                conn.execute(advance.values(last_digest_on=row.digest_date))
            return moved

    def _select(self, *where: ColumnElement[bool]) -> list[Delivery]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(digest_deliveries).where(*where).order_by(_d.digest_date, _d.id))
            return [_delivery(row) for row in rows]


def _delivery(row: Any) -> Delivery:
    return Delivery(**{**row._mapping, "status": DeliveryState(row.status)})
