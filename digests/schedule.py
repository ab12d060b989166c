"""Digest calendar arithmetic in the subscriber's own zone: when the first digest is, whether today's is
due, and when the next one goes out. Pure functions, so App Home, ``list`` and the round agree."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from digests.records import Subscription


def first_digest_date(sub: Subscription) -> date:
    """The first local day whose digest time comes after the subscription was made."""
    zone = ZoneInfo(sub.timezone)
    created = sub.created_at.astimezone(zone)
    same_day = created.time() < time(sub.hour, sub.minute)
    return created.date() if same_day else created.date() + timedelta(days=1)


def local_due(sub: Subscription, now: datetime) -> tuple[date, bool]:
    """The subscriber's local date now, and whether today's digest time has passed."""
    local = now.astimezone(ZoneInfo(sub.timezone))
    return local.date(), local.time() >= time(sub.hour, sub.minute)


def next_digest(sub: Subscription, now: datetime) -> datetime | None:
    """When the next digest goes out, in the subscription's zone; None once the window has closed."""
    if sub.status != "active":
        return None
    today, time_passed = local_due(sub, now)
    day = today + timedelta(days=1) if time_passed else today
    if sub.last_digest_on is not None and day <= sub.last_digest_on:
        day = sub.last_digest_on + timedelta(days=1)
    day = max(day, first_digest_date(sub))
    if day > sub.ends_on:
        return None
    return datetime.combine(day, time(sub.hour, sub.minute), ZoneInfo(sub.timezone))
