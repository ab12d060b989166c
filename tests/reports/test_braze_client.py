"""The Braze client over real HTTP against :class:`fakes.braze.SampleBraze` on 127.0.0.1.

Waits are recorded through the client's ``sleep=`` hook instead of slept, and ``clock=`` pins "now", so
backoff and rate-limit behaviour are checked exactly and the file runs in about a second.
"""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

import reports.braze as braze_module
from fakes.braze import SampleBraze, series_payload
from reports.braze import BrazeClient, BrazeError, BrazeNoData, BrazeRateLimited

KEY = "brz-SECRET-key-0f3c9a7e-do-not-leak"
TODAY = date(2024, 3, 20)
CAMPAIGN, SEND = "cmp-spring", "send-0001"
NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


class Waits(list):
    """A ``sleep`` that records instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(scope="module")
def shared_server() -> Iterator[SampleBraze]:
    """One server for the module (stopping one takes up to half a second); reset before every test."""
    with SampleBraze(api_key=KEY, today=TODAY) as braze:
        braze.add_send(CAMPAIGN, SEND, days_ago=4)
        yield braze


@pytest.fixture
def server(shared_server: SampleBraze) -> SampleBraze:
    shared_server.reset()
    return shared_server


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def make_client(server: SampleBraze, waits: Waits) -> Iterator[Any]:
    clients: list[BrazeClient] = []

    def make(**kwargs: Any) -> BrazeClient:
        options: dict[str, Any] = {"sleep": waits, "clock": lambda: NOW, **kwargs}
        base_url = options.pop("base_url", server.url)
        api_key = options.pop("api_key", KEY)
        client = BrazeClient(base_url, api_key, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def host_of(server: SampleBraze) -> str:
    return server.url.removeprefix("http://")


def assert_no_key(exc: BaseException) -> None:
    assert KEY not in str(exc)
    assert KEY not in repr(exc)
    assert KEY not in getattr(exc, "user_message", "")
    assert KEY not in "".join(traceback.format_exception(exc))


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- success ------------------------------------------------------------------------------------------------


def test_data_series_parses_what_the_server_sent(server: SampleBraze, make_client: Any) -> None:
    raw = series_payload(server.sends[(CAMPAIGN, SEND)], length=14, ending=TODAY)
    series = make_client().data_series(CAMPAIGN, SEND, length=14)

    assert (series.object_id, series.send_id) == (CAMPAIGN, SEND)
    # The send went out 4 days before "today": five days with data.
    assert [d.day for d in series.days] == [TODAY - timedelta(days=n) for n in range(4, -1, -1)]
    raw_sent = sum(row["sent"] for item in raw["data"] for rows in item["messages"].values() for row in rows)
    assert sum(r.metrics.get("sent") for d in series.days for r in d.rows) == raw_sent
    raw_channels = {channel for item in raw["data"] for channel in item["messages"]}
    assert (
        {r.channel for d in series.days for r in d.rows}
        == raw_channels
        == {"ios_push", "android_push", "email", "webhook"}
    )

    (request,) = server.requests
    assert request.path == "/sends/data_series"
    assert request.query == {"campaign_id": CAMPAIGN, "send_id": SEND, "length": "14"}
    assert request.headers["Authorization"] == f"Bearer {KEY}"


def test_ending_at_and_length_query_parameters(server: SampleBraze, make_client: Any) -> None:
    client = make_client()
    ending = datetime(2024, 3, 18, 23, 59, 59, tzinfo=UTC)
    series = client.data_series(CAMPAIGN, SEND, length=2, ending_at=ending)
    assert [d.day for d in series.days] == [date(2024, 3, 17), date(2024, 3, 18)]
    assert server.requests[-1].query["ending_at"] == "2024-03-18T23:59:59+00:00"
    assert server.requests[-1].query["length"] == "2"

    # A non-UTC time is sent as the same instant in UTC.
    berlin_summer = timezone(timedelta(hours=2))
    client.data_series(CAMPAIGN, SEND, length=7, ending_at=datetime(2024, 3, 19, 1, 30, tzinfo=berlin_summer))
    assert server.requests[-1].query["ending_at"] == "2024-03-18T23:30:00+00:00"
    assert server.requests[-1].query["length"] == "7"


@pytest.mark.parametrize("length", [0, -1, 101])
def test_length_out_of_braze_bounds_is_refused_before_any_request(
    server: SampleBraze, make_client: Any, length: int
) -> None:
    with pytest.raises(ValueError, match=r"1\.\.100"):
        make_client().data_series(CAMPAIGN, SEND, length=length)
    assert server.requests == []


def test_length_bounds_themselves_are_allowed(server: SampleBraze, make_client: Any) -> None:
    client = make_client()
    assert len(client.data_series(CAMPAIGN, SEND, length=1).days) == 1
    assert len(client.data_series(CAMPAIGN, SEND, length=100).days) == 5
    assert [r.query["length"] for r in server.requests] == ["1", "100"]


def test_campaign_name(server: SampleBraze, make_client: Any) -> None:
    assert make_client().campaign_name(CAMPAIGN) == "Spring Sale — API launch"
    assert server.requests[-1].path == "/campaigns/details"
    assert server.requests[-1].query == {"campaign_id": CAMPAIGN}


def test_campaign_name_is_none_without_the_permission(server: SampleBraze, make_client: Any, waits: Waits) -> None:
    server.campaign_details_status = 403
    assert make_client().campaign_name(CAMPAIGN) is None
    assert len(server.requests) == 1 and waits == []


def test_campaign_name_is_none_for_blank_or_missing_names(server: SampleBraze, make_client: Any) -> None:
    client = make_client()
    server.fail_next(200, {"name": "   ", "message": "success"})
    assert client.campaign_name(CAMPAIGN) is None
    server.fail_next(200, {"message": "success"})
    assert client.campaign_name(CAMPAIGN) is None
    server.fail_next(200, {"name": "  Padded  ", "message": "success"})
    assert client.campaign_name(CAMPAIGN) == "Padded"
    assert client.campaign_name("unknown-campaign") is None  # Braze answers 400


# -- mapped errors ------------------------------------------------------------------------------------------


def test_400_carries_brazes_message(server: SampleBraze, make_client: Any, waits: Waits) -> None:
    server.fail_next(400, {"message": "Invalid send_id for campaign"})
    with pytest.raises(BrazeError) as info:
        make_client().data_series(CAMPAIGN, SEND, length=14)
    assert info.value.status == 400
    assert info.value.user_message == (
        "Braze rejected the request (HTTP 400): Invalid send_id for campaign. Check the campaign and send IDs."
    )
    assert len(server.requests) == 1 and waits == []  # a 4xx is not retried
    assert_no_key(info.value)


def test_400_message_is_truncated(server: SampleBraze, make_client: Any) -> None:
    server.fail_next(400, {"message": "x" * 5000})
    with pytest.raises(BrazeError) as info:
        make_client().data_series(CAMPAIGN, SEND, length=14)
    assert "x" * 300 in info.value.user_message and "x" * 301 not in info.value.user_message


def test_400_without_a_json_message(server: SampleBraze, make_client: Any) -> None:
    server.fail_next(400, "Bad Request")
    with pytest.raises(BrazeError) as info:
        make_client().data_series(CAMPAIGN, SEND, length=14)
    assert info.value.user_message == "Braze rejected the request (HTTP 400). Check the campaign and send IDs."


def test_401_tells_the_requester_who_can_fix_it_and_the_operator_where(
    server: SampleBraze, make_client: Any, waits: Waits, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="reports.braze"), pytest.raises(BrazeError) as info:
        make_client(api_key="brz-wrong-key-for-this-instance").data_series(CAMPAIGN, SEND, length=14)
    message = info.value.user_message
    assert info.value.status == 401
    assert "401" in message and "whoever runs sendstats" in message
    # the marketer is not shown the internal host or the setting; the operator's log has both
    assert host_of(server) not in message and "BRAZE_REST_ENDPOINT" not in message
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"at {host_of(server)}" in logged and "BRAZE_REST_ENDPOINT" in logged
    assert "brz-wrong-key-for-this-instance" not in message + logged
    assert len(server.requests) == 1 and waits == []
    assert_no_key(info.value)


def test_403_names_the_permission(server: SampleBraze, make_client: Any) -> None:
    server.fail_next(403, {"message": "Insufficient permissions"})
    with pytest.raises(BrazeError) as info:
        make_client().data_series(CAMPAIGN, SEND, length=14)
    assert info.value.status == 403
    assert "`sends.data_series` permission (403, Braze said: “Insufficient permissions”)" in info.value.user_message
    assert "Settings → APIs and Identifiers" in info.value.user_message
    assert len(server.requests) == 1


def test_404_when_the_endpoint_has_a_path(
    server: SampleBraze, make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="reports.braze"), pytest.raises(BrazeError) as info:
        make_client(base_url=server.url + "/api/v1").data_series(CAMPAIGN, SEND, length=14)
    assert info.value.status == 404
    assert server.requests[-1].path == "/api/v1/sends/data_series"
    assert "404" in info.value.user_message and "whoever runs sendstats" in info.value.user_message
    assert host_of(server) not in info.value.user_message and "BRAZE_REST_ENDPOINT" not in info.value.user_message
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert host_of(server) in logged and "BRAZE_REST_ENDPOINT" in logged
    assert len(server.requests) == 1


def test_non_json_200(server: SampleBraze, make_client: Any) -> None:
    server.fail_next(200, "<html><body>Please sign in</body></html>")
    with pytest.raises(BrazeError) as info:
        make_client().data_series(CAMPAIGN, SEND, length=14)
    assert not isinstance(info.value, BrazeNoData)
    assert info.value.status == 200
    assert "not JSON" in info.value.user_message and "text/html" in info.value.user_message


def test_json_that_is_not_an_object(server: SampleBraze, make_client: Any) -> None:
    server.fail_next(200, [1, 2, 3])
    with pytest.raises(BrazeError, match="not JSON"):
        make_client().data_series(CAMPAIGN, SEND, length=14)


def test_message_other_than_success(server: SampleBraze, make_client: Any) -> None:
    server.fail_next(200, {"data": [], "message": "Quota exhausted for this app group"})
    with pytest.raises(BrazeError) as info:
        make_client().data_series(CAMPAIGN, SEND, length=14)
    assert not isinstance(info.value, BrazeNoData)
    assert info.value.user_message == "Braze answered: Quota exhausted for this app group"


def test_unknown_send_is_no_data(server: SampleBraze, make_client: Any) -> None:
    with pytest.raises(BrazeNoData) as info:
        make_client().data_series(CAMPAIGN, "never-sent", length=14)
    assert "`cmp-spring`" in info.value.user_message and "`never-sent`" in info.value.user_message
    assert "14-day" in info.value.user_message


def test_range_before_the_send_is_no_data(make_client: Any) -> None:
    with pytest.raises(BrazeNoData):
        make_client().data_series(CAMPAIGN, SEND, length=3, ending_at=datetime(2024, 3, 1, tzinfo=UTC))


def test_data_without_readable_days_is_no_data(server: SampleBraze, make_client: Any) -> None:
    server.fail_next(200, {"data": [{"messages": {"email": [{"sent": 5}]}}, "junk"], "message": "success"})
    with pytest.raises(BrazeNoData):
        make_client().data_series(CAMPAIGN, SEND, length=14)


# -- retries and backoff ------------------------------------------------------------------------------------


@pytest.fixture
def jitter_at_ceiling(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float]]:
    """Make the full-jitter draw return its upper bound, recording the bounds asked for."""
    calls: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        calls.append((low, high))
        return high

    monkeypatch.setattr(braze_module, "random", SimpleNamespace(uniform=uniform))
    return calls


def test_5xx_is_retried_with_growing_backoff_then_succeeds(
    server: SampleBraze, make_client: Any, waits: Waits, jitter_at_ceiling: list
) -> None:
    server.fail_next(503, {"message": "Service Unavailable"}, times=2)
    series = make_client(backoff_initial=0.5, backoff_max=8.0).data_series(CAMPAIGN, SEND, length=14)
    assert len(series.days) == 5
    assert len(server.series_requests()) == 3
    assert waits == [0.5, 1.0]
    assert jitter_at_ceiling == [(0, 0.5), (0, 1.0)]


def test_5xx_gives_up_after_max_attempts(
    server: SampleBraze, make_client: Any, waits: Waits, jitter_at_ceiling: list
) -> None:
    server.fail_next(500, "Internal Server Error", times=10)
    with pytest.raises(BrazeError) as info:
        make_client(max_attempts=4, backoff_initial=0.5, backoff_max=8.0).data_series(CAMPAIGN, SEND, length=14)
    assert len(server.requests) == 4
    assert waits == [0.5, 1.0, 2.0]
    assert info.value.status == 500
    assert "HTTP 500" in info.value.user_message and "4 tries" in info.value.user_message
    assert_no_key(info.value)


def test_backoff_ceiling_is_capped_by_backoff_max(
    server: SampleBraze, make_client: Any, waits: Waits, jitter_at_ceiling: list
) -> None:
    server.fail_next(502, "Bad Gateway", times=10)
    with pytest.raises(BrazeError):
        make_client(max_attempts=6, backoff_initial=1.0, backoff_max=3.0).data_series(CAMPAIGN, SEND, length=14)
    assert len(server.requests) == 6
    assert waits == [1.0, 2.0, 3.0, 3.0, 3.0]


def test_real_jitter_stays_within_the_ceilings(server: SampleBraze, make_client: Any, waits: Waits) -> None:
    for _ in range(5):
        server.fail_next(500, "", times=4)
        with pytest.raises(BrazeError):
            make_client(max_attempts=4, backoff_initial=0.5, backoff_max=8.0).data_series(CAMPAIGN, SEND, length=14)
    assert len(waits) == 15
    for i, wait in enumerate(waits):
        assert 0 <= wait <= [0.5, 1.0, 2.0][i % 3]
    assert len(set(waits)) > 1  # jittered, not a fixed schedule


def test_max_attempts_one_means_no_retry(server: SampleBraze, make_client: Any, waits: Waits) -> None:
    server.fail_next(503, "", times=3)
    with pytest.raises(BrazeError, match="1 tries"):
        make_client(max_attempts=1).data_series(CAMPAIGN, SEND, length=14)
    assert len(server.requests) == 1 and waits == []


# -- 429 -----------------------------------------------------------------------------------------------------


def test_429_waits_until_the_reset_then_succeeds(server: SampleBraze, make_client: Any, waits: Waits) -> None:
    server.fail_next(429, {"message": "Rate limit exceeded"}, headers={"X-RateLimit-Reset": str(int(NOW) + 10)})
    series = make_client().data_series(CAMPAIGN, SEND, length=14)
    assert len(series.days) == 5
    assert len(server.requests) == 2
    (wait,) = waits
    assert 10.0 <= wait <= 10.25  # reset - now, plus at most a quarter second of jitter


def test_429_wait_follows_the_injected_clock(server: SampleBraze, make_client: Any, waits: Waits) -> None:
    server.fail_next(429, {"message": "Rate limit exceeded"}, headers={"X-RateLimit-Reset": str(int(NOW) + 45)})
    make_client(clock=lambda: NOW + 40).data_series(CAMPAIGN, SEND, length=14)
    (wait,) = waits
    assert 5.0 <= wait <= 5.25


def test_429_with_a_reset_in_the_past_retries_at_once(server: SampleBraze, make_client: Any, waits: Waits) -> None:
    server.fail_next(429, {"message": "Rate limit exceeded"}, headers={"X-RateLimit-Reset": str(int(NOW) - 30)})
    make_client().data_series(CAMPAIGN, SEND, length=14)
    (wait,) = waits
    assert 0.0 <= wait <= 0.25


def test_429_without_a_reset_header_backs_off(server: SampleBraze, make_client: Any, waits: Waits) -> None:
    server.fail_next(429, {"message": "Rate limit exceeded"})
    make_client(backoff_initial=0.5).data_series(CAMPAIGN, SEND, length=14)
    (wait,) = waits
    assert 0.5 <= wait <= 0.75


def test_429_with_a_far_reset_gives_up_immediately(server: SampleBraze, make_client: Any, waits: Waits) -> None:
    server.fail_next(429, {"message": "Rate limit exceeded"}, headers={"X-RateLimit-Reset": str(int(NOW) + 120)})
    with pytest.raises(BrazeError) as info:
        make_client(max_rate_limit_wait=60.0).data_series(CAMPAIGN, SEND, length=14)
    assert len(server.requests) == 1
    assert waits == []
    assert info.value.status == 429
    # NOW + 120 s = 2023-11-14 22:15:20 UTC
    assert isinstance(info.value, BrazeRateLimited)
    assert info.value.reset_at == datetime(2023, 11, 14, 22, 15, 20, tzinfo=UTC)
    assert info.value.user_message == (
        "Braze's hourly API budget for this workspace is used up until 22:15:20 UTC (every tool using the "
        "workspace's REST API counts). Try again after that."
    )
    assert_no_key(info.value)


def test_429_every_time_gives_up_after_max_attempts(server: SampleBraze, make_client: Any, waits: Waits) -> None:
    server.fail_next(429, {"message": "Rate limit exceeded"}, times=5, headers={"X-RateLimit-Reset": str(int(NOW) + 2)})
    with pytest.raises(BrazeError) as info:
        make_client(max_attempts=3).data_series(CAMPAIGN, SEND, length=14)
    assert len(server.requests) == 3
    assert len(waits) == 2 and all(2.0 <= w <= 2.25 for w in waits)
    assert info.value.status == 429
    assert "22:13:22 UTC" in info.value.user_message


# -- transport errors ----------------------------------------------------------------------------------------


def test_closed_port_is_a_braze_error_naming_the_host_to_the_operator_only(
    make_client: Any, waits: Waits, caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()
    with pytest.raises(BrazeError) as info:
        make_client(base_url=f"http://127.0.0.1:{port}", max_attempts=3).data_series(CAMPAIGN, SEND, length=14)
    message = info.value.user_message
    assert message.startswith("Could not reach Braze (ConnectError).") and "whoever runs sendstats" in message
    assert "127.0.0.1" not in message and "BRAZE_REST_ENDPOINT" not in message  # the operator's, in the log
    assert f"could not reach Braze at 127.0.0.1:{port} (ConnectError): check BRAZE_REST_ENDPOINT" in caplog.text
    assert info.value.status is None
    assert len(waits) == 2  # transport errors are retried too
    assert not isinstance(info.value.__cause__, httpx.HTTPError)
    assert_no_key(info.value)


def test_timeout_is_a_braze_error_naming_the_host_to_the_operator_only(
    waits: Waits, caplog: pytest.LogCaptureFixture
) -> None:
    # Its own server: the slow handlers are still asleep when the test ends and must not touch the shared one.
    with SampleBraze(api_key=KEY, today=TODAY) as slow:
        slow.latency = 0.4
        client = BrazeClient(slow.url, KEY, timeout=httpx.Timeout(0.1), max_attempts=2, sleep=waits)
        with client, pytest.raises(BrazeError) as info:
            client.data_series(CAMPAIGN, SEND, length=14)
        assert info.value.user_message == "Braze did not answer in time. Try again in a few minutes."
        assert f"Braze at {host_of(slow)} did not answer in time" in caplog.text
        assert len(slow.requests) == 2
        assert len(waits) == 1
        assert_no_key(info.value)


# -- the key never leaks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (400, {"message": "bad request"}, {}),
        (401, {"message": "Invalid API key"}, {}),
        (403, {"message": "forbidden"}, {}),
        (404, {"message": "Not found"}, {}),
        (418, "teapot", {}),
        (500, "oops", {}),
        (200, "<html>proxy</html>", {}),
        (200, {"message": "nope"}, {}),
        (429, {"message": "slow down"}, {"X-RateLimit-Reset": str(int(NOW) + 999)}),
    ],
)
def test_no_error_message_contains_the_api_key(
    server: SampleBraze, make_client: Any, status: int, body: Any, headers: dict[str, str]
) -> None:
    server.fail_next(status, body, times=4, headers=headers)
    with pytest.raises(BrazeError) as info:
        make_client(max_attempts=2).data_series(CAMPAIGN, SEND, length=14)
    assert_no_key(info.value)


@pytest.mark.parametrize("status", [400, 200])
def test_key_echoed_by_the_server_is_not_repeated(server: SampleBraze, make_client: Any, status: int) -> None:
    server.fail_next(status, {"message": f"Invalid API key: {KEY}"})
    with pytest.raises(BrazeError) as info:
        make_client().data_series(CAMPAIGN, SEND, length=14)
    assert KEY not in info.value.user_message
