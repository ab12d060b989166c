"""The data behind the chart as CSV (reports/export.py): RFC 4180, UTF-8, ISO dates, numbers unformatted,
one row per day × channel × variation with every metric Braze returned, read back with Python's csv module."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fakes.braze_examples import load
from reports.export import KEY_COLUMNS, csv_filename, series_csv
from reports.kinds import Kind, Target
from reports.kinds.registry import kind_of
from reports.models import ChannelRow, DayPoint, Metrics, Series

DAY = date(2026, 3, 2)


def read(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_braze_documented_multivariate_answer_becomes_one_row_per_variation_and_one_for_the_day() -> None:
    payload = load("campaigns_data_series_multivariate.json")
    series = kind_of(Kind.CAMPAIGN).parse(payload, Target(Kind.CAMPAIGN, "cmp"))
    data = series_csv(series, start=date(2020, 6, 28), end=date(2020, 6, 28))
    rows = read(data)
    [day] = payload["data"]
    expected_rows = day["messages"]["trigger_in_app_message"]
    assert len(rows) == 1 + len(expected_rows)
    level = rows[0]
    assert [level[key] for key in KEY_COLUMNS] == ["2020-06-28", "", "", ""]  # the day's own figures
    for name in ("conversions", "revenue", "unique_recipients", "conversions3_by_send_time"):
        assert float(level[name]) == day[name]
    for got, sent in zip(rows[1:], expected_rows, strict=True):
        assert (got["channel"], got["variation"]) == ("trigger_in_app_message", sent["variation_name"])
        numbers = {k: v for k, v in sent.items() if k != "variation_name"}
        assert {k: float(got[k]) for k in numbers} == numbers  # every metric Braze returned, as it returned it
        assert all(got[k] == "" for k in got if k not in numbers and k not in KEY_COLUMNS)  # absent, never 0
    assert rows[3]["enrolled"] == "250" and rows[1]["enrolled"] == ""


def test_rfc_4180_crlf_quotes_only_where_needed_utf8_and_plain_numbers() -> None:
    rows = (
        ChannelRow("email", 'Spring, "bold" B', "v-1", Metrics.of(sent=1234567, revenue=1234.5)),
        ChannelRow("email", "Café ☕\nline two", None, Metrics.of(sent=12)),
    )
    data = series_csv(Series("c", "", (DayPoint(DAY, rows),)), start=DAY, end=DAY)
    assert data.decode("utf-8").split("\r\n") == [
        "date,channel,variation,variation_api_id,revenue,sent",
        '2026-03-02,email,"Spring, ""bold"" B",v-1,1234.5,1234567',
        '2026-03-02,email,"Café ☕\nline two",,,12',
        "",
    ]
    assert not data.startswith(b"\xef\xbb\xbf")  # UTF-8 without a byte-order mark


def test_only_the_range_and_only_days_braze_returned() -> None:
    days = tuple(
        DayPoint(DAY + timedelta(days=i), (ChannelRow("", "Control", "cv-a", Metrics.of(entries=i + 1)),))
        for i in range(5)
    )
    series = Series("cv", "", (*days[:2], DayPoint(DAY + timedelta(days=2)), *days[3:]))
    rows = read(series_csv(series, start=DAY + timedelta(days=1), end=DAY + timedelta(days=3)))
    assert [(r["date"], r["entries"]) for r in rows] == [("2026-03-03", "2"), ("2026-03-05", "4")]


def test_file_name_names_the_range() -> None:
    assert (
        csv_filename("campaign-cmp-1", DAY, DAY + timedelta(days=13))
        == "sendstats-campaign-cmp-1-2026-03-02-2026-03-15.csv"
    )
    assert len(csv_filename("x" * 300, DAY, DAY)) <= 120


names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=20)
counts = st.dictionaries(
    st.sampled_from(["sent", "delivered", "unique_opens", "conversions", "enrolled", "brand_new_metric"]),
    st.integers(min_value=0, max_value=10**12),
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["email", "ios_push", "sms", ""]), names, counts), max_size=8))
def test_every_row_reads_back_exactly(found: list[tuple[str, str, dict[str, int]]]) -> None:
    rows = tuple(
        ChannelRow(channel, name.strip() or "x", None, Metrics.of(**values)) for channel, name, values in found
    )
    data = series_csv(Series("c", "", (DayPoint(DAY, rows),)), start=DAY, end=DAY)
    parsed = read(data)
    assert len(parsed) == len(rows)
    for got, sent in zip(parsed, rows, strict=True):
        assert (got["date"], got["channel"], got["variation"]) == (DAY.isoformat(), sent.channel, sent.variation)
        assert {k: int(v) for k, v in got.items() if k not in KEY_COLUMNS and v != ""} == sent.metrics.as_dict()
