"""Property tests over documented-shape payloads (issue 16, "Proof"): for any day rows Braze could send,

* a rate's numerator and denominator come from the same channel: each channel's rate equals its own two
  sums, worked here straight from the raw JSON, never mixing another channel's rows;
* a total equals Braze's per-day figure when Braze sends one (whatever the rows repeat), and the rows' sum
  only when it does not.

Payloads are built from the documented examples: each row has a subset of the keys of its channel's row in
``fakes/braze_examples``, with any counts. Sends and campaigns share the shape, so both kinds are checked.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakes.braze_examples import load
from reports.campaigns import parse_campaign_series, summarise_campaign
from reports.channels import FAMILIES, LEVEL_METRICS
from reports.parse import parse_series
from reports.summary import summarise

FIRST = date(2026, 3, 1)
_MULTICHANNEL = load("campaigns_data_series.json")["data"][0]["messages"]
_SEND_ROW = load("sends_data_series.json")["data"][0]["messages"]["ios_push"][0]
_IN_APP = load("campaigns_data_series_multivariate.json")["data"][0]["messages"]["trigger_in_app_message"]
#: Every documented channel key → the numeric keys its documented row carries.
DOCUMENTED: dict[str, list[str]] = {
    **{channel: [k for k in rows[0] if k != "variation_api_id"] for channel, rows in _MULTICHANNEL.items()},
    "trigger_in_app_message": sorted({k for row in _IN_APP for k in row if k != "variation_name"}),
    "web_push": [k for k in _SEND_ROW if k != "variation_name"],
}
#: The family each documented key belongs to, written out here rather than asked of the code under test.
FAMILY = {
    "ios_push": "push",
    "android_push": "push",
    "web_push": "push",
    "email": "email",
    "sms": "sms",
    "webhook": "webhook",
    "whats_app": "whats_app",
    "content_cards": "content_cards",
    "trigger_in_app_message": "in_app_message",
}
DAY_FIGURES = ("unique_recipients", "conversions", "conversions1", "revenue")

counts = st.integers(min_value=0, max_value=50_000)


@st.composite
def rows(draw: st.DrawFn, channel: str) -> list[dict[str, Any]]:
    keys = DOCUMENTED[channel]
    out = []
    for variation in draw(st.lists(st.sampled_from(["A", "B", "Control"]), min_size=1, max_size=3, unique=True)):
        chosen = draw(st.lists(st.sampled_from(keys), unique=True, min_size=1))
        row: dict[str, Any] = {"variation_name": variation}
        for key in chosen:
            row[key] = round(draw(st.floats(0, 5000)), 2) if key == "revenue" else draw(counts)
        out.append(row)
    return out


@st.composite
def days(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for offset in sorted(draw(st.sets(st.integers(0, 6), min_size=1, max_size=4))):
        channels = draw(st.lists(st.sampled_from(sorted(DOCUMENTED)), min_size=1, max_size=4, unique=True))
        day: dict[str, Any] = {
            "time": (FIRST + timedelta(days=offset)).isoformat(),
            "messages": {c: draw(rows(c)) for c in channels},
        }
        for name in draw(st.lists(st.sampled_from(DAY_FIGURES), unique=True)):
            day[name] = round(draw(st.floats(0, 9000)), 2) if name == "revenue" else draw(counts)
        out.append(day)
    return out


def summaries(data: list[dict[str, Any]]) -> list[Any]:
    end = FIRST + timedelta(days=6)
    payload = {"message": "success", "data": data}
    return [
        summarise(parse_series(payload, campaign_id="c", send_id="s"), start=FIRST, end=end),
        summarise_campaign(parse_campaign_series(payload, campaign_id="c"), start=FIRST, end=end),
    ]


@pytest.mark.slow  # a battery of generated or rendered cases
@settings(max_examples=150, deadline=None)
@given(data=days())
def test_a_rate_s_numerator_and_denominator_come_from_the_same_channel(data: list[dict[str, Any]]) -> None:
    sums: dict[str, dict[str, float]] = {}
    for day in data:
        for channel, channel_rows in day["messages"].items():
            own = sums.setdefault(FAMILY[channel], {})
            for row in channel_rows:
                for key, value in row.items():
                    if key != "variation_name" and key not in LEVEL_METRICS:
                        own[key] = own.get(key, 0) + value
    for summary in summaries(data):
        assert {c.key for c in summary.channels} == set(sums)
        for channel in summary.channels:
            own = sums[channel.key]
            assert dict(channel.metrics) == own  # every documented field kept, none from another channel
            defined = {label: (num, den) for label, num, den in FAMILIES[channel.key].rates}
            for rate in channel.rates:
                num, den = defined[rate.label]
                assert rate.formula == f"{num.replace('_', ' ')} ÷ {den.replace('_', ' ')}"
                expected = own[num] / own[den] if own[den] else None
                assert rate.value == expected, (channel.key, rate)
            # a rate is shown exactly when the channel reports both of its counts
            assert {r.label for r in channel.rates} == {
                label for label, (num, den) in defined.items() if num in own and den in own
            }


@pytest.mark.slow  # a battery of generated or rendered cases
@settings(max_examples=150, deadline=None)
@given(data=days())
def test_a_total_is_braze_s_day_figure_when_braze_sends_one(data: list[dict[str, Any]]) -> None:
    for name in DAY_FIGURES:
        expected = 0.0
        reported = False
        for day in data:
            if name in day:  # Braze's own figure for the day wins, whatever the rows repeat
                expected += day[name]
                reported = True
            else:  # the fallback: the rows' sum, when the day has none
                values = [row[name] for rows in day["messages"].values() for row in rows if name in row]
                expected += sum(values)
                reported = reported or bool(values)
        for summary in summaries(data):
            got = summary.totals.get(name)
            if not reported:
                assert got is None
            elif name == "revenue":
                assert abs(got - expected) < 0.011, (name, got, expected)
            else:
                assert got == expected, (name, got, expected)
    # only sent is added across channels: no other channel counter is a total
    for summary in summaries(data):
        assert set(summary.totals.names) <= {*LEVEL_METRICS, "sent"}
