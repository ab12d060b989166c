"""The numbers of campaign and Canvas digests: quiet days counted from the subscription's first day, the
end after 14 of them or on archival. Pure functions, so every pattern of busy and quiet days is tried."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from reports.daily import QUIET_DAYS_TO_END, Digest
from reports.kinds import Target
from reports.kinds.registry import kind_of
from reports.models import ChannelRow, DayPoint, Metrics, Series, metrics_of

DIGEST_DATE = date(2026, 11, 29)
DAY = DIGEST_DATE - timedelta(days=1)


def build_kind_digest(word: str, series: Series, *, first_day: date, digest_date: date, archived: bool) -> Digest:
    """The digest the ``word`` kind builds (``campaign``, ``canvas``) of ``series``."""
    kind = kind_of(word)
    target = Target(kind.kind, series.object_id)
    return kind.build_digest(series, target=target, first_day=first_day, digest_date=digest_date, archived=archived)


def campaign(busy: set[int]) -> Series:
    """Days ``DAY - n`` for n in ``busy`` sent something; the others reported rows of zeros."""
    days = []
    for n in range(40):
        sent = 100 if n in busy else 0
        row = ChannelRow("email", "Variant 1", "v1", metrics_of({"sent": sent, "delivered": sent}))
        days.append(DayPoint(DAY - timedelta(days=n), (row,)))
    return Series("cmp-1", "", tuple(sorted(days, key=lambda d: d.day)))


def expected_quiet(busy: set[int], since: int) -> int:
    quiet = 0
    while quiet <= since and quiet not in busy and quiet < QUIET_DAYS_TO_END:
        quiet += 1
    return quiet


@given(st.sets(st.integers(0, 39), max_size=10), st.integers(0, 39))
def test_quiet_days_end_a_campaign_digest_only_after_14_since_it_began(busy: set[int], since: int) -> None:
    digest = build_kind_digest(
        "campaign", campaign(busy), first_day=DAY - timedelta(days=since), digest_date=DIGEST_DATE, archived=False
    )
    assert digest.quiet_days == expected_quiet(busy, since)
    assert digest.has_activity == (0 in busy)
    assert digest.final == (digest.quiet_days >= QUIET_DAYS_TO_END)
    assert digest.span.start == DAY - timedelta(days=13) and digest.span.end == DAY


def test_archived_ends_at_once_even_when_busy() -> None:
    digest = build_kind_digest("campaign", campaign({0, 1}), first_day=DAY, digest_date=DIGEST_DATE, archived=True)
    assert digest.has_activity and digest.final and "archived" in (digest.end_reason or "")


def test_a_canvas_is_active_when_someone_entered() -> None:
    days = (
        DayPoint(DAY - timedelta(days=1), level=Metrics.of(entries=50, conversions=5)),
        DayPoint(DAY, level=Metrics.of(entries=0, conversions=3)),  # late conversions, nobody entered
    )
    digest = build_kind_digest(
        "canvas",
        Series("cv-1", "", days, None),
        first_day=DAY - timedelta(days=5),
        digest_date=DIGEST_DATE,
        archived=False,
    )
    assert digest.quiet_days == 1 and not digest.has_activity and not digest.final
    assert digest.previous.totals.get("entries") == 50 and digest.span.totals.get("conversions") == 8
