"""Parsing Braze's ``/sends/data_series`` JSON into typed models.

Expected values are written out by hand from the raw JSON in each test, never derived by running the
parser on the same input.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from reports.models import ChannelRow, DayPoint, Metrics
from reports.parse import DEFAULT_VARIATION, parse_day, parse_metrics, parse_series

CAMPAIGN, SEND = "cmp-spring", "send-0001"


def series(payload: Any):
    return parse_series(payload, campaign_id=CAMPAIGN, send_id=SEND)


def realistic_payload() -> dict[str, Any]:
    """Two days of a push + email + webhook send, shaped exactly like Braze's documented answer."""
    return {
        "data": [
            {
                "time": "2024-03-10T00:00:00+00:00",
                "messages": {
                    "ios_push": [
                        {
                            "variation_name": "Variant A",
                            "sent": 1000,
                            "delivered": 980,
                            "undelivered": 15,
                            "delivery_failed": 5,
                            "direct_opens": 60,
                            "total_opens": 90,
                            "bounces": 0,
                            "body_clicks": 12,
                            "revenue": 45.5,
                            "unique_recipients": 1000,
                            "conversions": 4,
                            "conversions_by_send_time": 3,
                            "conversions1": 2,
                            "conversions1_by_send_time": 1,
                        },
                        {
                            "variation_name": "Control",
                            "sent": 500,
                            "delivered": 490,
                            "undelivered": 6,
                            "delivery_failed": 4,
                            "direct_opens": 20,
                            "total_opens": 30,
                            "bounces": 0,
                            "body_clicks": 3,
                            "revenue": 0,
                            "unique_recipients": 500,
                            "conversions": 1,
                            "conversions_by_send_time": 1,
                        },
                    ],
                    "email": [
                        {
                            "variation_name": "Variant A",
                            "sent": 2000,
                            "delivered": 1950,
                            "undelivered": 40,
                            "delivery_failed": 10,
                            "direct_opens": 400,
                            "total_opens": 700,
                            "bounces": 30,
                            "body_clicks": 150,
                            "revenue": 120.25,
                            "unique_recipients": 2000,
                            "conversions": 20,
                            "conversions_by_send_time": 18,
                            "conversions2": 5,
                            "conversions2_by_send_time": 4,
                            "conversions3": 1,
                            "conversions3_by_send_time": 1,
                        }
                    ],
                    "webhook": [
                        {
                            "variation_name": "Variant A",
                            "sent": 100,
                            "delivered": 100,
                            "undelivered": 0,
                            "delivery_failed": 0,
                            "unique_recipients": 100,
                            "conversions": 0,
                        }
                    ],
                },
                "conversions": 25,
                "unique_recipients": 3600,
                "revenue": 165.75,
            },
            {
                "time": "2024-03-11T00:00:00+00:00",
                "messages": {
                    "ios_push": [
                        {
                            "variation_name": "Variant A",
                            "sent": 10,
                            "delivered": 9,
                            "direct_opens": 5,
                            "total_opens": 20,
                            "body_clicks": 2,
                            "conversions": 1,
                        }
                    ],
                    "email": [
                        {
                            "variation_name": "Variant A",
                            "sent": 0,
                            "delivered": 0,
                            "direct_opens": 50,
                            "total_opens": 100,
                            "body_clicks": 30,
                            "conversions": 3,
                            "revenue": 10.0,
                        }
                    ],
                },
                "conversions": 4,
                "unique_recipients": 10,
                "revenue": 10.0,
            },
        ],
        "message": "success",
    }


# -- full payload ---------------------------------------------------------------------------------


def test_realistic_payload_parses_every_row_and_metric() -> None:
    result = series(realistic_payload())

    assert (result.object_id, result.send_id) == (CAMPAIGN, SEND)
    assert [d.day for d in result.days] == [date(2024, 3, 10), date(2024, 3, 11)]
    first, second = result.days
    assert [(r.channel, r.variation) for r in first.rows] == [
        ("ios_push", "Variant A"),
        ("ios_push", "Control"),
        ("email", "Variant A"),
        ("webhook", "Variant A"),
    ]
    assert first.rows[0].metrics == Metrics.of(
        sent=1000,
        delivered=980,
        undelivered=15,
        delivery_failed=5,
        direct_opens=60,
        total_opens=90,
        bounces=0,
        body_clicks=12,
        revenue=45.5,
        unique_recipients=1000,
        conversions=4,
        conversions_by_send_time=3,
        conversions1=2,
        conversions1_by_send_time=1,
    )
    email = first.rows[2].metrics
    assert (email.get("conversions2"), email.get("conversions2_by_send_time")) == (5, 4)
    assert (email.get("conversions3"), email.get("conversions3_by_send_time")) == (1, 1)
    assert email.get("conversions1") is None  # not in the JSON: unknown, not zero
    webhook = first.rows[3].metrics
    assert webhook.get("total_opens") is None and webhook.get("body_clicks") is None and webhook.get("bounces") is None
    assert webhook.get("sent") == 100 and webhook.get("conversions") == 0

    assert first.level == Metrics.of(conversions=25, unique_recipients=3600, revenue=165.75)
    assert second.level == Metrics.of(conversions=4, unique_recipients=10, revenue=10.0)
    # 1000 + 500 + 2000 + 100 sent on day one; 10 + 0 on day two.
    assert first.metrics.get("sent") == 3600
    assert first.metrics.get("delivered") == 980 + 490 + 1950 + 100
    assert first.metrics.get("revenue") == 165.75
    assert second.metrics.get("sent") == 10
    assert second.metrics.get("total_opens") == 120
    assert result.first_day == date(2024, 3, 10)


def test_values_from_real_json_text_including_nan_and_infinity() -> None:
    """Python's json module turns NaN/Infinity into floats; those must be dropped, not counted."""
    raw = (
        '{"data": [{"time": "2024-03-10", "messages": {"email": [{"variation_name": "A", '
        '"sent": NaN, "delivered": Infinity, "bounces": -Infinity, "total_opens": 7}]}}], "message": "success"}'
    )
    (day,) = series(json.loads(raw)).days
    assert day.rows[0].metrics == Metrics.of(total_opens=7)


# -- shapes that are not what the docs show ---------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [None, [], "success", 42, {}, {"data": None}, {"data": "x"}, {"data": 7}, {"data": {"time": "2024-03-10"}}],
    ids=repr,
)
def test_payloads_without_a_data_list_give_an_empty_series(payload: Any) -> None:
    result = series(payload)
    assert result.days == ()
    assert result.first_day is None
    assert (result.object_id, result.send_id) == (CAMPAIGN, SEND)


def test_day_items_that_are_not_objects_or_have_no_readable_time_are_dropped() -> None:
    payload = {
        "data": [
            "2024-03-09",
            None,
            [1, 2],
            {"messages": {"email": [{"sent": 5}]}},  # no time
            {"time": "yesterday", "messages": {"email": [{"sent": 6}]}},
            {"time": 20240309, "messages": {"email": [{"sent": 7}]}},
            {"time": "2024-03-10", "messages": {"email": [{"sent": 8}]}},
        ]
    }
    (day,) = series(payload).days
    assert day.day == date(2024, 3, 10)
    assert day.metrics.get("sent") == 8


def test_missing_messages_keeps_the_day_with_its_level_numbers() -> None:
    payload = {"data": [{"time": "2024-03-10", "conversions": 12, "unique_recipients": 300, "revenue": "19.99"}]}
    (day,) = series(payload).days
    assert day.rows == ()
    assert day.level == Metrics.of(conversions=12, unique_recipients=300, revenue=19.99)
    assert day.has_data


def test_a_day_with_nothing_in_it_is_kept_but_has_no_data() -> None:
    payload = {"data": [{"time": "2024-03-10", "messages": {}}, {"time": "2024-03-11", "messages": {"sms": []}}]}
    result = series(payload)
    assert [d.day for d in result.days] == [date(2024, 3, 10), date(2024, 3, 11)]
    assert not any(d.has_data for d in result.days)
    assert result.first_day is None


@pytest.mark.parametrize("messages", [None, [], "email", 3, True, [{"email": [{"sent": 1}]}]], ids=repr)
def test_messages_that_are_not_an_object_give_no_rows(messages: Any) -> None:
    (day,) = series({"data": [{"time": "2024-03-10", "messages": messages}]}).days
    assert day.rows == ()


def test_channel_given_as_a_single_object_instead_of_a_list() -> None:
    payload = {"data": [{"time": "2024-03-10", "messages": {"email": {"variation_name": "Solo", "sent": 42}}}]}
    (day,) = series(payload).days
    assert day.rows == (ChannelRow("email", "Solo", None, Metrics.of(sent=42)),)


def test_channel_values_and_list_items_that_are_junk_are_skipped() -> None:
    payload = {
        "data": [
            {
                "time": "2024-03-10",
                "messages": {
                    "email": "lots",
                    "ios_push": 17,
                    "android_push": [1, "row", None, [], {"variation_name": "B", "sent": 3}],
                    "": [{"sent": 99}],  # a channel needs a name
                },
            }
        ]
    }
    (day,) = series(payload).days
    assert day.rows == (ChannelRow("android_push", "B", None, Metrics.of(sent=3)),)


def test_a_nameless_channel_is_skipped_wherever_it_comes() -> None:
    payload = {
        "data": [
            {
                "time": "2024-03-10",
                "messages": {"": [{"sent": 99}], "email": [{"sent": 1}], "sms": [{"sent": 2}]},
            }
        ]
    }
    (day,) = series(payload).days
    assert [(r.channel, r.metrics.get("sent")) for r in day.rows] == [("email", 1), ("sms", 2)]


def test_unknown_channel_names_are_kept_as_they_are() -> None:
    payload = {
        "data": [
            {
                "time": "2024-03-10",
                "messages": {
                    "content_cards": [{"variation_name": "A", "sent": 10, "body_clicks": 2}],
                    "whats_app": [{"variation_name": "A", "sent": 20, "delivered": 19}],
                    "line": [{"variation_name": "A", "sent": 1}],
                },
            }
        ]
    }
    (day,) = series(payload).days
    assert [r.channel for r in day.rows] == ["content_cards", "whats_app", "line"]
    assert day.rows[0].metrics == Metrics.of(sent=10, body_clicks=2)
    assert day.rows[1].metrics == Metrics.of(sent=20, delivered=19)
    assert day.metrics.get("sent") == 31


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"sent": 1}, DEFAULT_VARIATION),
        ({"variation_name": None, "sent": 1}, DEFAULT_VARIATION),
        ({"variation_name": "", "sent": 1}, DEFAULT_VARIATION),
        ({"variation_name": "   ", "sent": 1}, DEFAULT_VARIATION),
        ({"variation_name": 5, "sent": 1}, DEFAULT_VARIATION),
        ({"variation_name": ["A"], "sent": 1}, DEFAULT_VARIATION),
        ({"variation_name": "  Variant A  ", "sent": 1}, "Variant A"),
    ],
    ids=repr,
)
def test_variation_names(row: dict[str, Any], expected: str) -> None:
    (day,) = series({"data": [{"time": "2024-03-10", "messages": {"email": [row]}}]}).days
    assert day.rows[0].variation == expected
    assert DEFAULT_VARIATION == "(no variation)"


# -- duplicate and unordered days -------------------------------------------------------------------


def test_duplicate_days_are_merged_and_days_sorted() -> None:
    payload = {
        "data": [
            {"time": "2024-03-12", "messages": {"email": [{"variation_name": "A", "sent": 1}]}},
            {
                "time": "2024-03-10T00:00:00Z",
                "messages": {"email": [{"variation_name": "A", "sent": 100}]},
                "conversions": 5,
                "revenue": 1.25,
            },
            {
                "time": "2024-03-10",
                "messages": {"sms": [{"variation_name": "B", "sent": 7}]},
                "conversions": 2,
                "unique_recipients": 9,
                "revenue": 2.5,
            },
            {"time": "2024-03-11T12:00:00+02:00", "messages": {"email": [{"sent": 3}]}},
        ]
    }
    result = series(payload)
    assert [d.day for d in result.days] == [date(2024, 3, 10), date(2024, 3, 11), date(2024, 3, 12)]
    merged = result.days[0]
    rows = [(r.channel, r.variation, r.metrics.get("sent")) for r in merged.rows]
    assert rows == [("email", "A", 100), ("sms", "B", 7)]
    assert merged.level == Metrics.of(conversions=7, unique_recipients=9, revenue=3.75)
    assert merged.metrics.get("sent") == 107


# -- metric values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "",
        "  ",
        "12 apples",
        "0x10",
        True,
        False,
        None,
        [],
        [5],
        {},
        {"n": 5},
        float("nan"),
        float("inf"),
        float("-inf"),
        "nan",
        "inf",
        "Infinity",
        -1,
        -0.5,
        "-3",
        10**15 + 1,
        1e16,
        "1e16",
    ],
    ids=repr,
)
def test_junk_metric_values_are_dropped(value: Any) -> None:
    assert parse_metrics({"sent": value, "delivered": 5}) == Metrics.of(delivered=5)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (1500, 1500), ("1500", 1500), (" 42 ", 42), ("3.0", 3), (7.0, 7), ("1e3", 1000), (10**15, 10**15)],
    ids=repr,
)
def test_counts_accept_ints_floats_and_numeric_strings(value: Any, expected: int) -> None:
    metrics = parse_metrics({"sent": value})
    assert metrics.get("sent") == expected
    assert type(metrics.get("sent")) is int


@pytest.mark.parametrize(
    ("value", "expected"), [(19.99, 19.99), ("19.99", 19.99), (12.3456, 12.35), (0, 0.0), ("100", 100.0)], ids=repr
)
def test_revenue_is_kept_as_money_with_two_decimals(value: Any, expected: float) -> None:
    assert parse_metrics({"revenue": value}).get("revenue") == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("value", [10**400, -(10**400)], ids=["huge", "huge-negative"])
def test_astronomically_large_integers_are_dropped_not_a_crash(value: int) -> None:
    assert parse_metrics({"sent": value, "delivered": 5}) == Metrics.of(delivered=5)


def test_huge_integer_in_raw_json_does_not_cost_the_whole_series() -> None:
    raw = '{"data": [{"time": "2024-03-10", "messages": {"email": [{"sent": 1' + "0" * 400 + ', "delivered": 9}]}}]}'
    (day,) = series(json.loads(raw)).days
    assert day.rows[0].metrics == Metrics.of(delivered=9)


def test_non_mapping_metrics_and_non_string_keys() -> None:
    for raw in (None, [], "sent", 3, [("sent", 1)]):
        assert parse_metrics(raw) == Metrics()
    assert parse_metrics({1: 5, None: 6, ("sent",): 7, "sent": 8}) == Metrics.of(sent=8)


def test_unknown_numbers_are_kept_and_text_is_not_a_number() -> None:
    """A number Braze adds (a new metric) is kept under its own name; names, IDs and junk are not numbers."""
    raw = {"sent": 10, "variation_name": "A", "time": "2024-03-10", "messages": {}, "impressions": 50, "ctr": 1.9}
    assert parse_metrics(raw) == Metrics.of(sent=10, impressions=50, ctr=1)
    assert parse_metrics({"variation_api_id": "7", "name": "9", "x" * 81: 1}) == Metrics()


# -- one parser for every channel ----------------------------------------------------------------


def test_each_channel_keeps_its_own_metric_names() -> None:
    """Email ``opens`` stay email opens and push ``total_opens`` push opens: nothing is renamed, so no
    total can add one to the other (Braze documents different metrics per channel)."""
    payload = {
        "data": [
            {
                "time": "2024-03-10",
                "messages": {
                    "email": [
                        {"variation_name": "A", "sent": 50, "opens": 20, "unique_opens": 15, "clicks": 4,
                         "unique_clicks": 3, "unsubscribes": 1, "reported_spam": 0}
                    ],
                    "ios_push": [
                        {"variation_name": "A", "sent": 80, "total_opens": 9, "direct_opens": 5, "body_clicks": 2}
                    ],
                },
            }
        ]
    }
    (day,) = series(payload).days
    email, push = day.rows
    assert email.metrics == Metrics.of(
        sent=50, opens=20, unique_opens=15, clicks=4, unique_clicks=3, unsubscribes=1, reported_spam=0
    )
    assert push.metrics == Metrics.of(sent=80, total_opens=9, direct_opens=5, body_clicks=2)
    assert (day.metrics.get("total_opens"), day.metrics.get("opens"), day.metrics.get("sent")) == (9, 20, 130)


# -- the time field --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-10", date(2024, 3, 10)),
        ("2024-03-10T00:00:00Z", date(2024, 3, 10)),
        ("2024-03-10T23:59:59Z", date(2024, 3, 10)),
        ("2024-03-10T00:00:00.000Z", date(2024, 3, 10)),
        ("2024-03-10T00:00:00+00:00", date(2024, 3, 10)),
        ("2024-03-10T23:30:00-05:00", date(2024, 3, 10)),  # the calendar day the timestamp names
        ("2024-03-10T01:00:00+09:00", date(2024, 3, 10)),
        ("2024-02-29T00:00:00Z", date(2024, 2, 29)),
        ("  2024-03-10  ", date(2024, 3, 10)),
        # Timestamps Python cannot read whole still name their day in the first ten characters.
        ("2024-03-10 00:00:00 UTC", date(2024, 3, 10)),
        ("2024-03-10T00:00:00.000000000+0000 junk", date(2024, 3, 10)),
    ],
)
def test_parse_day_accepts_dates_and_datetimes(value: str, expected: date) -> None:
    assert parse_day(value) == expected


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "yesterday", "2024-13-01", "2023-02-29", "10/03/2024", 20240310, 1710028800.0, [], {}, True],
    ids=repr,
)
def test_parse_day_rejects_what_is_not_a_date(value: Any) -> None:
    assert parse_day(value) is None


def test_day_point_metrics_of_an_empty_day_are_all_unknown() -> None:
    point = DayPoint(day=date(2024, 3, 10))
    assert point.metrics == Metrics()
    assert not point.has_data
