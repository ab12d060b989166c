"""Canvas ranges longer than 14 days come in pieces; no day may be asked for twice. The sample server
normalises ``starting_at``/``ending_at`` to midnight in the company's time zone, as Braze documents, and
records the days each answer covered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakes.braze import SampleBraze
from reports.braze import MAX_CANVAS_PIECE, BrazeClient, canvas_pieces

KEY = "pieces-key"


@pytest.fixture(scope="module")
def shared_server() -> Iterator[SampleBraze]:
    with SampleBraze(api_key=KEY, today=date(2026, 11, 20)) as braze:
        braze.add_canvas("cv", "Journey", days_ago=200)
        yield braze


@pytest.fixture
def server(shared_server: SampleBraze) -> SampleBraze:
    shared_server.reset()
    return shared_server


def served(server: SampleBraze) -> list[date]:
    return [day for piece in server.canvas_days_served for day in piece]


def consecutive(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@given(st.integers(1, 100), st.dates(date(2000, 1, 1), date(2100, 1, 1)))
def test_pieces_cover_each_day_once(length: int, last: date) -> None:
    pieces = canvas_pieces(length, last)
    days = [start + timedelta(days=i) for start, end in pieces for i in range((end - start).days + 1)]
    assert sorted(days) == consecutive(last - timedelta(days=length - 1), last)
    assert all(1 <= (end - start).days + 1 <= MAX_CANVAS_PIECE for start, end in pieces)
    assert pieces == sorted(pieces, reverse=True)


@pytest.mark.parametrize("company", ["UTC", "America/New_York", "Asia/Tokyo", "Pacific/Honolulu", "Asia/Kolkata"])
def test_a_company_zone_the_bot_was_not_told_still_gets_each_day_once(server: SampleBraze, company: str) -> None:
    """``company_timezone`` left at UTC: the noon anchors stay inside the intended day from UTC-12 to UTC+11."""
    server.company_timezone = company
    until = date(2026, 11, 3)  # days on both sides of the US DST change (1 November 2026)
    ending_at = datetime(2026, 11, 3, 23, 59, 59, tzinfo=UTC)
    with BrazeClient(server.url, KEY) as client:
        payload = client.canvas_series_payload("cv", length=40, ending_at=ending_at)
    assert [len(piece) for piece in server.canvas_days_served] == [14, 14, 12]
    assert sorted(served(server)) == consecutive(until - timedelta(days=39), until)
    assert [s["time"] for s in payload["data"]["stats"]] == [d.isoformat() for d in consecutive(
        until - timedelta(days=39), until)]


def test_across_a_dst_change_near_midnight_no_day_is_asked_twice(server: SampleBraze) -> None:
    """``ending_at`` 30 minutes before local midnight, after the clocks went back: moving it back by whole
    14-day pieces (the old arithmetic) lands 30 minutes after midnight of the next day before the change,
    so that day would come twice. Days counted in the company's zone never overlap."""
    server.company_timezone = "America/New_York"
    ending_at = datetime(2026, 11, 10, 4, 30, tzinfo=UTC)  # 9 November 23:30 EST
    with BrazeClient(server.url, KEY, company_timezone="America/New_York") as client:
        client.canvas_series_payload("cv", length=40, ending_at=ending_at)
    days = served(server)
    assert len(days) == len(set(days))
    # ending_at's date as given is 10 November; in New York that day has not begun, so 39 days come back
    assert sorted(days) == consecutive(date(2026, 10, 2), date(2026, 11, 9))
    assert [len(piece) for piece in server.canvas_days_served] == [13, 14, 12]


def test_a_company_east_of_utc_plus_12_needs_its_zone_set(server: SampleBraze) -> None:
    server.company_timezone = "Pacific/Auckland"  # UTC+13 in November
    ending_at = datetime(2026, 11, 3, 23, 59, 59, tzinfo=UTC)
    with BrazeClient(server.url, KEY, company_timezone="Pacific/Auckland") as client:
        client.canvas_series_payload("cv", length=30, ending_at=ending_at)
    assert sorted(served(server)) == consecutive(date(2026, 10, 5), date(2026, 11, 3))
    assert len(served(server)) == 30
    query = server.kind_requests("/canvas/data_series")[0].query
    assert query["starting_at"] == "2026-10-21T12:00:00+13:00" and query["ending_at"] == "2026-11-03T12:00:00+13:00"
    assert "length" not in query


def test_the_fake_wants_length_or_starting_at_as_documented(server: SampleBraze) -> None:
    def ask(**params: str) -> httpx.Response:
        return httpx.get(f"{server.url}/canvas/data_series", params={"canvas_id": "cv", **params},
                         headers={"Authorization": f"Bearer {KEY}"})

    assert ask(ending_at="2026-11-03T12:00:00Z").status_code == 400
    assert ask(starting_at="2026-11-01T12:00:00Z").status_code == 400  # ending_at is required
    assert ask(ending_at="2026-11-03T12:00:00Z", length="15").status_code == 400
    assert ask(ending_at="2026-11-03T12:00:00Z", starting_at="2026-11-04T12:00:00Z").status_code == 400
    by_length = ask(ending_at="2026-11-03T12:00:00Z", length="3").json()["data"]["stats"]
    by_start = ask(ending_at="2026-11-03T12:00:00Z", starting_at="2026-11-01T23:59:59Z").json()["data"]["stats"]
    assert [s["time"] for s in by_length] == [s["time"] for s in by_start] == ["2026-11-01", "2026-11-02", "2026-11-03"]
