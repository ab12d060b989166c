"""Daily digest subscriptions in the database: one per (channel, target), whatever its status.

A target is ``(kind, object_id, send_id)`` (see :class:`digests.records.Subscription`). One row per
channel and target rests on the UNIQUE ``uq_subscriptions_key``, and every status change is one
conditional UPDATE, so two processes never both win. Callers see :class:`Subscription` values.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Engine, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from digests.records import Subscription, SubscriptionStatus
from digests.tables import as_utc, subscriptions
from reports.kinds import Kind
from reports.kinds.registry import kind_of

_s = subscriptions.c


class Subscriptions:
    """Reads and writes of ``subscriptions``; thread- and process-safe, share one per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def upsert(
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
        needs_send_id = kind_of(kind).has_send_id  # a ValueError for a word that is no kind
        if needs_send_id != bool(send_id):
            raise ValueError(f"a {kind!r} subscription needs {'a' if needs_send_id else 'no'} send_id")
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
        key = and_(_s.channel_id == channel_id, _s.kind == kind, _s.object_id == object_id, _s.send_id == send_id)
        target = {"kind": kind, "object_id": object_id, "send_id": send_id}
        try:
            with self.engine.begin() as conn:
                values = {"team_id": team_id, "channel_id": channel_id, **target, "created_at": as_utc(now)}
                conn.execute(insert(subscriptions).values(**values, **changes))
                return _subscription(conn.execute(select(subscriptions).where(key)).one()), True
        except IntegrityError as exc:
            conflict = exc  # the row exists (perhaps created a moment ago by someone else): update it
        with self.engine.begin() as conn:
            if conn.execute(update(subscriptions).where(key).values(**changes)).rowcount != 1:
                raise conflict  # not a duplicate key after all, but some other constraint
            return _subscription(conn.execute(select(subscriptions).where(key)).one()), False

    def get(self, sub_id: int) -> Subscription | None:
        """The subscription with this id, or None."""
        found = self._select(_s.id == sub_id)
        return found[0] if found else None

    def find(self, channel_id: str, kind: str, object_id: str, send_id: str) -> Subscription | None:
        """The channel's subscription to this target (any status), or None."""
        found = self._select(
            _s.channel_id == channel_id, _s.kind == kind, _s.object_id == object_id, _s.send_id == send_id
        )
        return found[0] if found else None

    def in_channel(self, channel_id: str, include_inactive: bool = False) -> list[Subscription]:
        """A channel's subscriptions, oldest first: only 'active' ones unless include_inactive."""
        return self._select(_s.channel_id == channel_id, *self._active(include_inactive))

    def by_user(self, user_id: str, include_inactive: bool = False) -> list[Subscription]:
        """Subscriptions a user created (or last re-subscribed), oldest first; 'active' ones by default."""
        return self._select(_s.created_by == user_id, *self._active(include_inactive))

    def active(self) -> list[Subscription]:
        """Everything the scheduler should consider today."""
        return self._select(*self._active(False))

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

    # -- helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _active(include_inactive: bool) -> list[ColumnElement[bool]]:
        return [] if include_inactive else [_s.status == "active"]

    def _select(self, *where: ColumnElement[bool]) -> list[Subscription]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(subscriptions).where(*where).order_by(_s.id))
            return [_subscription(row) for row in rows]

    def _set_status(
        self, sub_id: int, status: SubscriptionStatus, reason: str | None, allowed_from: tuple[SubscriptionStatus, ...]
    ) -> bool:
        """One conditional UPDATE, so a transition is decided by the database, not a stale read."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(subscriptions)
                .where(_s.id == sub_id, _s.status.in_(allowed_from))
                .values(status=status, status_reason=reason)
            )
            return result.rowcount == 1


def _subscription(row: Any) -> Subscription:
    return Subscription(**{**row._mapping, "kind": Kind(row.kind)})


def _check_schedule(hour: int, minute: int, timezone: str) -> None:
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0-23, not {hour}")
    if not 0 <= minute <= 59:
        raise ValueError(f"minute must be 0-59, not {minute}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"{timezone!r} is not an IANA time zone such as Europe/Berlin") from exc
