"""The numbers of a send's daily digest: which day, its change against the day before, totals since the
send, and the last digest when Braze's window closes.

The send kind over a hand-built series; expected values are written out from the rows below.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from reports.daily import Digest, quiet_streak
from reports.kinds import Kind, Target
from reports.kinds.send import SEND, fetch_span
from reports.models import EMPTY, ChannelRow, DayPoint, Metrics, Series
from reports.summary import window_end
from reports.views import change

FIRST = date(2024, 3, 10)  # the send's first day, as the subscription recorded it


def day(n: int) -> date:
    return FIRST + timedelta(days=n)


def point(n: int, *, level: Metrics = EMPTY, **metrics: int | float) -> DayPoint:
    rows = (ChannelRow("email", "A", None, Metrics.of(**metrics)),) if metrics else ()
    return DayPoint(day=day(n), rows=rows, level=level)


def series(*points: DayPoint) -> Series:
    return Series(object_id="cmp", send_id="snd", days=points)


def build_digest(s: Series, *, first_day: date, digest_date: date) -> Digest:
    return SEND.build_digest(s, target=Target(Kind.SEND, "cmp", "snd"), first_day=first_day, digest_date=digest_date)


# -- change ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "before", "expected"),
    [
        (150, 100, 0.5),
        (50, 100, -0.5),
        (100, 100, 0.0),
        (0, 100, -1.0),  # a day with none at all is a real -100%, not "unknown"
        (3, 4, -0.25),
    ],
)
def test_change_is_relative_to_the_day_before(today: float, before: float, expected: float) -> None:
    assert change(today, before) == expected


@pytest.mark.parametrize(("today", "before"), [(None, 100), (100, None), (100, 0), (None, None), (0, 0)])
def test_change_is_none_without_a_sound_base(today: float | None, before: float | None) -> None:
    assert change(today, before) is None


# -- the window and the Braze request ------------------------------------------------------------------


def test_window_end_is_fourteen_days_after_the_first_day() -> None:
    assert window_end(FIRST) == date(2024, 3, 24)
    assert window_end(date(2024, 2, 20)) == date(2024, 3, 5)  # across a leap day


@pytest.mark.parametrize(
    ("digest_date", "expected"),
    [
        (day(1), (1, day(0))),  # the first digest asks for the first day only
        (day(2), (2, day(1))),
        (day(15), (15, day(14))),
        (day(0), (1, day(-1))),  # no complete day yet: still ask for one day, never 0
        (day(-5), (1, day(-6))),
        (day(100), (100, day(99))),  # exactly Braze's maximum
        (day(101), (100, day(100))),  # one over: capped at 100
        (day(400), (100, day(399))),
    ],
)
def test_fetch_span_asks_from_the_first_day_to_yesterday_within_1_to_100(
    digest_date: date, expected: tuple[int, date]
) -> None:
    assert fetch_span(FIRST, digest_date) == expected


# -- build_digest ------------------------------------------------------------------------------------------


def test_digest_of_a_normal_day() -> None:
    s = series(
        point(-1, sent=999),  # before the recorded first day: not part of "since the send began"
        point(0, sent=1000, delivered=900, conversions=10),
        point(1, sent=200, delivered=180, conversions=4),
        point(2, sent=300, delivered=290, conversions=5),
        point(3, sent=7),  # the digest's own day is not complete yet: left out
    )
    d = build_digest(s, first_day=FIRST, digest_date=day(3))
    assert d.day == day(2)
    assert d.today.totals == Metrics.of(sent=300, conversions=5)  # delivered stays per channel
    assert d.previous.totals == Metrics.of(sent=200, conversions=4)
    assert d.has_activity
    assert not d.final
    c = d.span
    assert (c.start, c.end) == (FIRST, day(2))
    assert c.totals == Metrics.of(sent=1500, conversions=19)
    assert c.days_with_data == 3
    assert (c.first_day, c.window_end) == (FIRST, date(2024, 3, 24))
    assert (c.campaign_id, c.send_id) == ("cmp", "snd")


def test_day_totals_fill_in_level_numbers() -> None:
    s = series(point(0, level=Metrics.of(conversions=3, revenue=9.5), sent=10))
    d = build_digest(s, first_day=FIRST, digest_date=day(1))
    assert d.today.totals == Metrics.of(sent=10, conversions=3, revenue=9.5)
    assert d.previous.totals == EMPTY and not d.previous.has_data  # the day before the send: nothing to compare with


def test_the_window_is_known_from_the_subscription_even_when_the_range_cannot_show_it() -> None:
    """Data starts on the range's first day, which alone would not prove the send's first day."""
    s = series(point(0, sent=5), point(1, sent=6))
    c = build_digest(s, first_day=FIRST, digest_date=day(2)).span
    assert (c.first_day, c.window_end) == (FIRST, date(2024, 3, 24))


def test_the_window_counts_from_the_recorded_first_day_even_when_data_starts_later() -> None:
    s = series(point(2, sent=5))  # nothing on the first day itself
    assert build_digest(s, first_day=FIRST, digest_date=day(3)).span.window_end == date(2024, 3, 24)


def test_data_past_the_window_moves_it_with_a_reused_send_id() -> None:
    s = series(point(0, sent=5), point(20, sent=6))  # a later send under the same ID
    d = build_digest(s, first_day=FIRST, digest_date=day(21))
    assert d.span.window_end == day(34) and not d.final


@pytest.mark.parametrize(
    ("digest_date", "final"),
    [(day(13), False), (day(14), True), (day(15), True), (day(1), False)],
)
def test_the_last_digest_is_the_one_on_the_day_the_window_closes(digest_date: date, final: bool) -> None:
    d = build_digest(series(point(0, sent=5)), first_day=FIRST, digest_date=digest_date)
    assert d.final is final


def test_a_digest_before_the_recorded_first_day_covers_just_that_day() -> None:
    """Posted on the first day itself: "yesterday" precedes the send; its range starts there, not after it."""
    s = series(point(-1, sent=4), point(0, sent=5))
    d = build_digest(s, first_day=FIRST, digest_date=day(0))
    assert d.day == day(-1)
    c = d.span
    assert (c.start, c.end) == (day(-1), day(-1))
    assert c.totals == Metrics.of(sent=4)
    assert c.has_data


# -- activity ------------------------------------------------------------------------------------------


def test_no_row_at_all_is_no_activity() -> None:
    d = build_digest(series(point(0, sent=5)), first_day=FIRST, digest_date=day(2))
    assert d.today.totals == EMPTY and not d.today.has_data
    assert not d.has_activity


def test_a_day_braze_lists_with_rows_but_no_numbers_is_no_activity() -> None:
    """A row whose every metric is unreadable is listed, yet says nothing happened."""
    empty_row = DayPoint(day=day(1), rows=(ChannelRow("email", "A", None, Metrics()),))
    d = build_digest(series(point(0, sent=5), empty_row), first_day=FIRST, digest_date=day(2))
    assert d.today.totals == EMPTY
    assert not d.has_activity


def test_level_numbers_alone_are_activity() -> None:
    d = build_digest(series(point(0, level=Metrics.of(conversions=2))), first_day=FIRST, digest_date=day(1))
    assert d.has_activity


def test_a_zero_day_is_activity() -> None:
    """Braze reporting 0 sent is a fact worth showing, unlike a day it reports nothing for."""
    d = build_digest(series(point(0, sent=0)), first_day=FIRST, digest_date=day(1))
    assert d.has_activity


def test_activity_is_a_day_with_numbers() -> None:
    assert SEND.active(point(0, sent=1))
    assert not SEND.active(point(0))  # listed, nothing in it
    assert not SEND.active(DayPoint(day(0), (ChannelRow("email", "A", None, EMPTY),)))
    assert SEND.active(point(0, level=Metrics.of(revenue=0.0)))


def test_a_sends_quiet_days_are_counted_but_never_end_it() -> None:
    d = build_digest(series(point(0, sent=5)), first_day=FIRST, digest_date=day(4))
    assert d.quiet_days == 3 and not d.final  # the window, not quiet days, ends a send's digests
    assert quiet_streak([day(0)], day=day(3), first_day=FIRST) == 3
    assert quiet_streak([], day=day(30), first_day=FIRST) == 14  # counted no further than the limit
    assert quiet_streak([], day=day(-1), first_day=FIRST) == 0  # before the first day: none
