"""The numbers of one daily digest, for every report kind: the latest complete day against the day
before, the totals of the digest's range, and whether it is the last digest.

A kind decides its range (a send: everything since it went out, inside Braze's analytics window; a
campaign or Canvas: the last 14 days), which days count as active, and why its digests end
(:meth:`reports.kinds.base.ReportKind.build_digest`). Pure values over a parsed series, so a round
fetches each send, campaign or Canvas once however many channels subscribe.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from reports.kinds import Target

#: Consecutive days without anything sent (or entered) after which a campaign's or Canvas's digests end.
QUIET_DAYS_TO_END = 14
#: Days a campaign's or Canvas's digest totals, charts and fetches (one Canvas piece).
RECENT_DAYS = 14


@dataclass(frozen=True, slots=True)
class Digest:
    """One digest. ``day`` is the latest complete day (the day before ``digest_date``)."""

    target: Target
    digest_date: date
    day: date
    #: The summaries (of the kind's summary type) of ``day``, of the day before, and of the digest's range.
    today: Any
    previous: Any
    span: Any
    #: Something happened on ``day`` (sent, entered…).
    has_activity: bool
    #: Days in a row, ending on ``day``, with no activity (counted from the subscription's first day).
    quiet_days: int = 0
    #: The last digest of the subscription, and why; None while digests go on.
    end_reason: str | None = None
    #: Metrics of ``day`` far from their trailing median, each in words (:meth:`ReportKind.flags`).
    flags: tuple[str, ...] = ()
    #: The variations compared over the digest's range (``reports.comparison.RateComparison``), if any.
    comparisons: tuple[Any, ...] = ()
    #: When something happened on ``day`` but nothing went out (opens and conversions after a send
    #: finished): the last day something went out.
    sending_ended: date | None = None

    @property
    def final(self) -> bool:
        return self.end_reason is not None


def quiet_streak(busy: Iterable[date], *, day: date, first_day: date) -> int:
    """Days in a row ending on ``day`` that are not ``busy``, back to ``first_day`` and at most
    :data:`QUIET_DAYS_TO_END`."""
    active = set(busy)
    quiet, cursor = 0, day
    while cursor >= first_day and cursor not in active and quiet < QUIET_DAYS_TO_END:
        quiet, cursor = quiet + 1, cursor - timedelta(days=1)
    return quiet


def recent_span(digest_date: date) -> tuple[int, date]:
    """Braze ``length`` and last day to fetch for the :data:`RECENT_DAYS` days before ``digest_date``."""
    return RECENT_DAYS, digest_date - timedelta(days=1)
