"""Totals, rates, breakdowns, the analytics window and chart columns.

Expected numbers are summed by hand from the raw JSON written in this file.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakes.braze import SampleSend, series_payload
from reports.models import ChannelRow, ChartData, DayPoint, Metrics, Series
from reports.parse import parse_series
from reports.summary import RETENTION_DAYS, chart_data, ratio, reused, summarise, window_start_known

D = date(2024, 3, 10)



#: The metric names of a send's push-shaped rows (Braze's ``/sends/data_series`` example), in reading order.
COUNT_METRICS: tuple[str, ...] = (
    "sent",
    "delivered",
    "undelivered",
    "delivery_failed",
    "bounces",
    "unique_recipients",
    "direct_opens",
    "total_opens",
    "body_clicks",
    "conversions",
    "conversions_by_send_time",
    "conversions1",
    "conversions1_by_send_time",
    "conversions2",
    "conversions2_by_send_time",
    "conversions3",
    "conversions3_by_send_time",
)


def col(chart: ChartData, label: str) -> tuple[int | None, ...]:
    """The values of the chart's series called ``label`` (the send chart: Sent, Delivered over Opens…)."""
    return next(s.values for s in (*chart.top, *chart.bottom) if s.label == label)

def day(n: int) -> date:
    return D + timedelta(days=n)


def parse(payload: Any):
    return parse_series(payload, campaign_id="cmp", send_id="snd")


def payload() -> dict[str, Any]:
    return {
        "data": [
            {
                "time": "2024-03-10T00:00:00Z",
                "messages": {
                    "ios_push": [
                        {
                            "variation_name": "A",
                            "sent": 1000,
                            "delivered": 900,
                            "total_opens": 90,
                            "direct_opens": 50,
                            "body_clicks": 18,
                            "bounces": 10,
                            "conversions": 9,
                            "unique_recipients": 1000,
                            "revenue": 10.10,
                        },
                        {
                            "variation_name": "B",
                            "sent": 400,
                            "delivered": 380,
                            "total_opens": 38,
                            "body_clicks": 4,
                            "conversions": 2,
                            "unique_recipients": 400,
                            "revenue": 5.05,
                        },
                    ],
                    "email": [
                        {
                            "variation_name": "A",
                            "sent": 2000,
                            "delivered": 1900,
                            "total_opens": 380,
                            "direct_opens": 200,
                            "body_clicks": 95,
                            "bounces": 40,
                            "conversions": 19,
                            "unique_recipients": 2000,
                            "revenue": 20.20,
                        }
                    ],
                },
                # Braze's own figures for the day: they win over the rows' sums (the rows' 30 conversions,
                # 3,400 "unique recipients at the campaign-level" and $35.35 are not used).
                "conversions": 999,
                "unique_recipients": 9999,
                "revenue": 999.99,
            },
            {
                "time": "2024-03-11T00:00:00Z",
                "messages": {
                    "ios_push": [
                        {"variation_name": "A", "sent": 100, "delivered": 100, "total_opens": 10, "body_clicks": 1}
                    ],
                    "email": [
                        {"variation_name": "B", "sent": 600, "delivered": 600, "total_opens": 60, "body_clicks": 6}
                    ],
                },
                # The rows lack these: the send-level numbers fill in.
                "conversions": 7,
                "unique_recipients": 700,
                "revenue": 3.5,
            },
            {"time": "2024-03-12T00:00:00Z", "messages": {}},  # Braze listed the day but has nothing
            {
                "time": "2024-03-14T00:00:00Z",
                "messages": {"email": [{"variation_name": "A", "sent": 5, "delivered": 5}]},
            },
        ],
        "message": "success",
    }


# -- ratio and Rates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator"), [(5, 0), (5, None), (None, 10), (None, None), (0, 0), (5, 0.0)], ids=repr
)
def test_ratio_is_none_for_unknown_or_zero_denominators(numerator: Any, denominator: Any) -> None:
    assert ratio(numerator, denominator) is None


def test_ratio_of_zero_numerator_is_a_real_zero() -> None:
    assert ratio(0, 10) == 0.0
    assert ratio(3, 4) == 0.75


# -- totals and breakdowns ---------------------------------------------------------------------------


def test_totals_over_the_range_take_braze_day_figures_and_sum_rows_only_where_the_day_has_none() -> None:
    s = summarise(parse(payload()), start=day(0), end=day(4))
    t = s.totals
    assert t.get("sent") == 1000 + 400 + 2000 + 100 + 600 + 5
    # Days 1 and 2 from Braze's day figures (999, 7), day 4 has neither (and no row carries them).
    assert t.get("conversions") == 999 + 7
    assert t.get("unique_recipients") == 9999 + 700
    assert t.get("revenue") == pytest.approx(999.99 + 3.5)
    assert t.get("conversions1") is None
    assert s.days_with_data == 3
    assert s.has_data
    # Only ``sent`` is added across channels; the rest stays in each channel's own section.
    assert t.get("delivered") is None and t.get("total_opens") is None
    assert s.conversion_rate == pytest.approx(1006 / 10699)


def test_channels_sum_their_own_rows_over_days_and_variations() -> None:
    s = summarise(parse(payload()), start=day(0), end=day(4))
    assert [c.label for c in s.channels] == ["Email", "Push"]
    email, push = s.channels
    assert email.get("sent") == 2000 + 600 + 5
    assert email.get("delivered") == 1900 + 600 + 5
    # a push-shaped field in an email row is kept as a raw counter of that channel, never dropped
    assert email.get("total_opens") == 380 + 60
    assert email.get("conversions") is None  # per-day figures are not attributed to a channel
    assert push.get("sent") == 1000 + 400 + 100
    assert push.get("body_clicks") == 18 + 4 + 1
    rates = {r.label: r.value for r in push.rates}
    assert rates["delivery rate"] == pytest.approx(1380 / 1500)
    assert {r.label: r.value for r in email.rates}["delivery rate"] == pytest.approx(2505 / 2605)


def test_variations_keep_their_volume_per_channel_and_their_own_conversions() -> None:
    s = summarise(parse(payload()), start=day(0), end=day(4))
    assert [v.name for v in s.variations] == ["A", "B"]
    a, b = s.variations
    assert dict((label, m.get("sent")) for label, m in a.by_channel) == {"Push": 1000 + 100, "Email": 2000 + 5}
    assert dict((label, m.get("sent")) for label, m in b.by_channel) == {"Push": 400, "Email": 600}
    assert a.counts.get("conversions") == 9 + 19  # the rows' own, per variation
    assert b.counts.get("revenue") == pytest.approx(5.05)


def test_channels_come_in_braze_family_order_and_unknown_keys_after_by_key() -> None:
    raw = {
        "data": [
            {
                "time": "2024-03-10",
                "messages": {
                    "c_new": [{"variation_name": "Z", "sent": 0}],
                    "sms": [{"variation_name": "Z", "sent": 5}],
                    "a_new": [{"variation_name": "X", "delivered": 3}],
                    "email": [{"variation_name": "Y", "sent": 5}],
                },
            }
        ]
    }
    s = summarise(parse(raw), start=day(0), end=day(0))
    assert [c.key for c in s.channels] == ["email", "sms", "a_new", "c_new"]
    assert s.channels[2].metrics == (("delivered", 3),)  # an unknown channel's counter is shown as it came
    assert [v.name for v in s.variations] == ["X", "Y", "Z"]


def test_level_fields_alone_make_a_day_with_data() -> None:
    raw = {
        "data": [{"time": "2024-03-10", "conversions": 4, "unique_recipients": 80, "revenue": 12.5, "conversions1": 2}]
    }
    s = summarise(parse(raw), start=day(0), end=day(0))
    assert s.days_with_data == 1
    assert s.totals == Metrics.of(conversions=4, unique_recipients=80, revenue=12.5, conversions1=2)
    assert s.conversion_rate == pytest.approx(0.05)
    assert s.channels == () and s.variations == ()


def test_revenue_sums_are_rounded_to_cents() -> None:
    raw = {"data": [{"time": f"2024-03-1{i}", "messages": {"email": [{"revenue": 0.1}]}} for i in range(3)]}
    s = summarise(parse(raw), start=day(0), end=day(2))
    assert s.totals.get("revenue") == 0.3  # not 0.30000000000000004


# -- range filtering -----------------------------------------------------------------------------------


def test_range_is_inclusive_and_filters_days() -> None:
    s = summarise(parse(payload()), start=day(1), end=day(1))
    assert s.days_with_data == 1
    assert s.totals.get("sent") == 700
    assert s.totals.get("conversions") == 7
    assert [(c.label, c.get("sent")) for c in s.channels] == [("Email", 600), ("Push", 100)]


def test_range_without_data() -> None:
    s = summarise(parse(payload()), start=date(2024, 3, 1), end=date(2024, 3, 9))
    assert s.days_with_data == 0
    assert not s.has_data
    assert s.totals == Metrics()
    assert s.conversion_rate is None
    assert s.channels == () and s.variations == ()
    assert s.first_day is None and s.window_end is None


def test_days_after_end_are_excluded() -> None:
    s = summarise(parse(payload()), start=day(0), end=day(3))
    assert s.totals.get("sent") == 4100  # the 5 sent on 2024-03-14 fall outside
    assert (s.start, s.end, s.campaign_id, s.send_id) == (day(0), day(3), "cmp", "snd")


# -- the analytics window -------------------------------------------------------------------------------


def test_window_start_known_rules() -> None:
    start = D
    assert not window_start_known(None, start, until_given=False, length=100)
    # An empty day precedes the first day with data: that is the send's first day.
    assert window_start_known(start + timedelta(days=1), start, until_given=True, length=2)
    assert window_start_known(start + timedelta(days=1), start, until_given=False, length=2)
    # Data from the very first day of the range: only known if the range reaches past Braze's retention.
    assert not window_start_known(start, start, until_given=True, length=100)
    assert not window_start_known(start, start, until_given=False, length=RETENTION_DAYS - 1)
    assert window_start_known(start, start, until_given=False, length=RETENTION_DAYS + 1)
    assert window_start_known(start, start, until_given=False, length=100)


def test_window_end_when_an_empty_day_precedes_the_first_data() -> None:
    s = summarise(parse(payload()), start=date(2024, 3, 9), end=date(2024, 3, 15), until_given=True)
    assert s.first_day == date(2024, 3, 10)
    assert s.window_end == date(2024, 3, 24)


def test_window_end_when_an_empty_braze_day_precedes_the_first_data() -> None:
    """Braze listing a day with nothing in it counts as a day without data."""
    s = summarise(parse(payload()), start=date(2024, 3, 12), end=date(2024, 3, 14))
    assert s.first_day == date(2024, 3, 14)
    assert s.window_end == date(2024, 3, 28)


def test_window_unknown_when_data_starts_on_the_first_day_of_a_short_range() -> None:
    s = summarise(parse(payload()), start=day(0), end=day(4))
    assert s.first_day is None
    assert s.window_end is None


def test_window_unknown_with_until_even_for_a_long_range() -> None:
    s = summarise(parse(payload()), start=day(0), end=day(99), until_given=True)
    assert s.first_day is None and s.window_end is None


def test_window_known_when_the_range_reaches_back_over_the_whole_retention() -> None:
    """Sample send on 2024-03-06, today 2024-03-20 (Braze keeps it through 03-20); 15-day range."""
    send = SampleSend("cmp", "snd", first_day=date(2024, 3, 6))
    series = parse(series_payload(send, length=15, ending=date(2024, 3, 20)))
    s = summarise(series, start=date(2024, 3, 6), end=date(2024, 3, 20))
    assert s.first_day == date(2024, 3, 6)
    assert s.window_end == date(2024, 3, 20)


def test_default_fourteen_day_range_does_not_claim_a_start_it_cannot_see() -> None:
    send = SampleSend("cmp", "snd", first_day=date(2024, 3, 6))  # 14 days before "today", still in Braze
    today = date(2024, 3, 20)
    series = parse(series_payload(send, length=14, ending=today))
    s = summarise(series, start=date(2024, 3, 7), end=today)
    # Data on every day from the range's first day (03-07) on: that day need not be the send's first day.
    assert s.first_day is None
    assert s.window_end is None


# -- chart data -------------------------------------------------------------------------------------


def test_chart_data_columns_cover_the_range_with_gaps() -> None:
    series = parse(payload())
    s = summarise(series, start=date(2024, 3, 9), end=date(2024, 3, 15), until_given=True)
    c = chart_data(series, s, title="Spring · send snd")
    assert c.title == "Spring · send snd"
    assert c.days == tuple(date(2024, 3, 9) + timedelta(days=i) for i in range(7))
    assert col(c, "Email sent") == (None, 2000, 600, None, None, 5, None)
    assert col(c, "Push sent") == (None, 1400, 100, None, None, None, None)
    assert col(c, "Push direct opens") == (None, 50, None, None, None, None, None)  # push rows only
    assert col(c, "Conversions") == (None, 999, 7, None, None, None, None)  # Braze's day figure
    assert c.window_end == date(2024, 3, 24)


def test_chart_values_are_ints() -> None:
    raw = {"data": [{"time": "2024-03-10", "messages": {"email": [{"sent": "12"}]}}]}
    series = parse(raw)
    c = chart_data(series, summarise(series, start=day(0), end=day(0)), title="t")
    assert col(c, "Email sent") == (12,)
    assert type(col(c, "Email sent")[0]) is int
    assert c.window_end is None


# -- property: Braze-shaped junk never crashes, invariants hold -----------------------------------------

CHANNELS = ["ios_push", "android_push", "email", "webhook", "sms", "content_cards", "whats_app", "kindle_push"]
ROW_KEYS = [*COUNT_METRICS, "revenue", "opens", "clicks", "variation_name"]
DAY_KEYS = ["conversions", "unique_recipients", "revenue", "conversions1", "conversions_by_send_time", "sent"]
# Unbounded integers too: json.loads gives arbitrary-precision ints, far beyond any float.
scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
metric_values = (
    st.integers(min_value=0, max_value=10**7)
    | st.integers(min_value=0, max_value=10**7).map(str)
    | st.floats(min_value=0, max_value=1e7).map(lambda f: f"{f:.2f}")
    | json_values
)


def _merge(known: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return {**extra, **known} if known else extra


_row_optional = {k: (st.text(max_size=6) | json_values) if k == "variation_name" else metric_values for k in ROW_KEYS}
_row_extras = st.dictionaries(st.text(max_size=8), json_values, max_size=2)
rows = st.one_of(
    st.builds(
        _merge,
        st.fixed_dictionaries(
            {"sent": metric_values, "delivered": metric_values},
            optional={k: v for k, v in _row_optional.items() if k not in ("sent", "delivered")},
        ),
        _row_extras,
    ),
    st.builds(_merge, st.fixed_dictionaries({}, optional=_row_optional), _row_extras),
)
# Repeating a branch in one_of weights it: mostly Braze-shaped, sometimes anything at all.
channel_values = st.one_of(
    st.lists(st.one_of(rows, rows, json_values), max_size=4),
    st.lists(st.one_of(rows, rows, json_values), max_size=4),
    rows,
    json_values,
)
channels = st.dictionaries(st.sampled_from(CHANNELS) | st.text(max_size=8), channel_values, max_size=4)
messages = st.one_of(channels, channels, channels, json_values)
times = (
    st.dates(min_value=date(2024, 3, 1), max_value=date(2024, 3, 31)).map(date.isoformat)
    | st.dates(min_value=date(2024, 3, 1), max_value=date(2024, 3, 31)).map(lambda d: f"{d}T00:00:00Z")
    | st.dates(min_value=date(2024, 3, 1), max_value=date(2024, 3, 31)).map(lambda d: f"{d}T23:15:00-07:00")
    | json_values
)
_day_optional = {"time": times, "messages": messages, **{k: metric_values for k in DAY_KEYS}}
_day_extras = st.dictionaries(st.text(max_size=8), json_values, max_size=2)
_full_day = st.builds(
    _merge,
    st.fixed_dictionaries({"time": times, "messages": messages}, optional={k: metric_values for k in DAY_KEYS}),
    _day_extras,
)
days = st.one_of(
    _full_day, _full_day, st.builds(_merge, st.fixed_dictionaries({}, optional=_day_optional), _day_extras)
)
braze_payloads = st.fixed_dictionaries(
    {"data": st.lists(st.one_of(days, days, days, json_values), max_size=8)},
    optional={"message": st.just("success") | json_values},
)
payloads = st.one_of(braze_payloads, braze_payloads, braze_payloads, json_values)


def _rate_ok(value: float | None) -> bool:
    return value is None or (not math.isnan(value) and value >= 0)


def _sum_sent(channels) -> int | None:
    values = [c.get("sent") for c in channels if c.get("sent") is not None]
    return sum(values) if values else None


@pytest.mark.slow  # a battery of generated or rendered cases
@settings(max_examples=200, deadline=None)
@given(
    raw=payloads,
    # Often the whole month the payload's days fall in, else any range around it.
    start=st.just(date(2024, 3, 1)) | st.dates(min_value=date(2024, 2, 20), max_value=date(2024, 3, 31)),
    length=st.just(31) | st.integers(min_value=1, max_value=100),
    until_given=st.booleans(),
)
def test_braze_shaped_junk_never_crashes_and_invariants_hold(
    raw: Any, start: date, length: int, until_given: bool
) -> None:
    series = parse(raw)
    end = start + timedelta(days=length - 1)
    s = summarise(series, start=start, end=end, until_given=until_given)
    c = chart_data(series, s, title="t")

    parsed_days = [d.day for d in series.days]
    assert parsed_days == sorted(set(parsed_days))
    assert s.totals.get("sent") == _sum_sent(s.channels)
    if s.variations:
        assert s.totals.get("sent") == _sum_sent(m for v in s.variations for _, m in v.by_channel)
    assert _rate_ok(s.conversion_rate)
    for channel in s.channels:
        assert all(_rate_ok(rate.value) for rate in channel.rates), channel
    for name in COUNT_METRICS:
        value = s.totals.get(name)
        assert value is None or (isinstance(value, int) and value >= 0)
    assert len(c.days) == length
    for spec in (*c.top, *c.bottom):
        assert len(spec.values) == len(c.days)
        assert all(v is None or (isinstance(v, int) and v >= 0) for v in spec.values)
        assert sum(v is not None for v in spec.values) <= s.days_with_data
    assert 0 <= s.days_with_data <= length
    if s.window_end is not None:
        assert s.first_day is not None and s.window_end >= s.first_day + timedelta(days=RETENTION_DAYS)
        assert s.repeated or s.window_end == s.first_day + timedelta(days=RETENTION_DAYS)
        # the window is derived from the data: no day with data ever falls after it
        assert all(p.day <= s.window_end for p in series.days if p.has_data and start <= p.day <= end)


def test_a_send_id_is_reused_only_when_data_runs_past_one_window() -> None:
    first = date(2024, 3, 10)
    assert not reused([])
    assert not reused([first])
    assert not reused([first + timedelta(days=14), first])  # the send day plus 14 days: one window
    assert reused([first + timedelta(days=15), first])
    assert reused([first, first + timedelta(days=3), first + timedelta(days=40)])


def test_summarise_says_when_the_data_spans_two_sends() -> None:
    first = date(2024, 3, 10)

    def send(*offsets: int) -> Series:
        points = tuple(
            DayPoint(first + timedelta(days=n), (ChannelRow("email", "A", None, Metrics.of(sent=1)),)) for n in offsets
        )
        return Series("c", "s", points)

    end = first + timedelta(days=40)
    assert summarise(send(0, 14), start=first, end=end).repeated is False
    assert summarise(send(0, 20), start=first, end=end).repeated is True


def test_email_opens_are_never_added_to_push_opens() -> None:
    """Each channel's rows keep their own names, so a push figure sums push rows only (issue 16 names the
    email figures in the report)."""
    raw = {
        "data": [
            {
                "time": "2024-03-10",
                "messages": {
                    "email": [{"variation_name": "A", "sent": 50, "delivered": 48, "opens": 20, "clicks": 4}],
                    "ios_push": [
                        {"variation_name": "A", "sent": 80, "total_opens": 9, "direct_opens": 5, "body_clicks": 2}
                    ],
                    "android_push": [{"variation_name": "A", "sent": 20, "total_opens": 1, "body_clicks": 1}],
                },
            }
        ]
    }
    s = summarise(parse(raw), start=date(2024, 3, 10), end=date(2024, 3, 10))
    email, push = s.channels
    assert (push.get("total_opens"), push.get("body_clicks"), push.get("opens")) == (9 + 1, 2 + 1, None)
    assert (email.get("opens"), email.get("clicks"), email.get("total_opens")) == (20, 4, None)
    assert s.totals.get("total_opens") is None and s.totals.get("opens") is None  # never added across
    assert s.totals.get("sent") == 150
