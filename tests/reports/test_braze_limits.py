"""Braze's 403s, 429s and budgets as documented, over real HTTP against the sample server: which 403 names a
permission, which 429 is waited out and which becomes :class:`BrazeRateLimited` with its reset, the
client's own call count, and spending shares. Clocks are pinned (the client's ``clock=``, the fake's
``rate_clock``) and sleeps recorded, so nothing here waits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fakes.braze import SampleBraze
from reports.braze import (
    BrazeClient,
    BrazeDeferred,
    BrazeForbidden,
    BrazePermissionDenied,
    BrazePlanRefused,
    BrazeRateLimited,
)
from reports.braze_limits import CAMPAIGN_SERIES, SHARED, CallCounter

KEY = "brz-LIMITS-key-5d1e-never-shown"
NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC: the hour's window ends at 23:00:00, the minute's at 22:14:00
HOUR_END = datetime(2023, 11, 14, 23, 0, tzinfo=UTC)


class Waits(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(scope="module")
def shared_server() -> Iterator[SampleBraze]:
    with SampleBraze(api_key=KEY) as braze:
        braze.add_send("cmp", "send", days_ago=3)
        braze.add_campaign("cmp-multi", "Multichannel")
        braze.add_canvas("cv", "Journey")
        yield braze


@pytest.fixture
def server(shared_server: SampleBraze) -> SampleBraze:
    shared_server.reset()
    shared_server.rate_clock = lambda: NOW
    return shared_server


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def make_client(server: SampleBraze, waits: Waits) -> Iterator[Any]:
    clients: list[BrazeClient] = []

    def make(**kwargs: Any) -> BrazeClient:
        client = BrazeClient(server.url, KEY, sleep=waits, clock=lambda: NOW, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# -- 403: the two documented kinds ---------------------------------------------------------------------------


def test_access_denied_names_the_permission_and_shows_brazes_words(server: SampleBraze, make_client: Any) -> None:
    server.refuse("/sends/data_series", "permission")
    with pytest.raises(BrazePermissionDenied) as info:
        make_client().data_series("cmp", "send", length=3)
    assert info.value.status == 403 and info.value.permission == "sends.data_series"
    assert info.value.user_message == (
        "The Braze API key lacks the `sends.data_series` permission (403, Braze said: “Access Denied”). "
        "Add it in Braze dashboard → Settings → APIs and Identifiers → your REST key."
    )


@pytest.mark.parametrize("path", ["/canvas/details", "/campaigns/list"])
def test_a_plan_refusal_names_no_permission(server: SampleBraze, make_client: Any, path: str) -> None:
    server.refuse(path, "plan")
    client = make_client()
    with pytest.raises(BrazePlanRefused) as info:
        client.canvas_details("cv") if path == "/canvas/details" else client.campaign_list()
    message = info.value.user_message
    assert "Braze said: “Forbidden”" in message and "plan does not include it" in message
    assert "permission" not in message and "`" not in message


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        ("The REST API key you are using does not have sufficient permissions", BrazePermissionDenied),
        ("Insufficient permissions", BrazePermissionDenied),
        ("Your rate plan doesn't support this endpoint", BrazePlanRefused),
        ("Account inactivated", BrazePlanRefused),
        ("Something else entirely", BrazeForbidden),
    ],
)
def test_403_wordings_are_read_loosely(server: SampleBraze, make_client: Any, said: str, kind: type) -> None:
    server.fail_next(403, {"message": said}, path="/canvas/data_series")
    with pytest.raises(BrazeForbidden) as info:
        make_client().canvas_series_payload("cv", length=3, ending_at=datetime.now(UTC))
    assert type(info.value) is kind and said in info.value.user_message


def test_an_unclear_403_names_both_causes_and_never_the_key(server: SampleBraze, make_client: Any) -> None:
    server.fail_next(403, f"<html>403 for {KEY}\x00\n\n  nope</html>", path="/sends/data_series")
    with pytest.raises(BrazeForbidden) as info:
        make_client().data_series("cmp", "send", length=3)
    assert type(info.value) is BrazeForbidden
    assert "Either the API key lacks the `sends.data_series` permission" in info.value.user_message
    assert "plan or account does not allow" in info.value.user_message
    server.fail_next(403, {"message": f"Access\x07 denied   for key {KEY}\n"}, path="/sends/data_series")
    with pytest.raises(BrazePermissionDenied) as info:
        make_client().data_series("cmp", "send", length=3)
    assert KEY not in info.value.user_message
    assert "“Access denied for key [redacted]”" in info.value.user_message  # cleaned: no control characters


# -- 429: the documented budgets -----------------------------------------------------------------------------


def test_a_used_up_hourly_budget_is_a_typed_error_with_its_reset(server: SampleBraze, make_client: Any,
                                                                  waits: Waits) -> None:
    server.set_rate_limit("shared", 3)
    client = make_client()
    for _ in range(3):
        client.campaign_details("cmp-multi")
    with pytest.raises(BrazeRateLimited) as info:
        client.canvas_details("cv")  # another of the six endpoints: the same budget
    assert waits == [] and server.spent("shared") == 4
    error = info.value
    assert error.status == 429 and error.budget is SHARED and error.reset_at == HOUR_END
    assert error.user_message.startswith("Braze's hourly API budget for this workspace is used up until 23:00 UTC")
    assert error.message_in(ZoneInfo("Europe/Berlin")).startswith(
        "Braze's hourly API budget for this workspace is used up until 00:00 Europe/Berlin tomorrow"
    )
    assert "<!date^1700002800^{time} {date_short_pretty}|23:00 UTC>" in error.slack_mrkdwn()
    # campaign analytics has its own budget, untouched by the shared one
    assert client.campaign_series_payload("cmp-multi", length=2)["data"]


def test_campaign_analytics_has_its_own_minute_budget(server: SampleBraze, make_client: Any, waits: Waits) -> None:
    server.set_rate_limit("campaigns.data_series", 2)
    client = make_client()
    client.campaign_series_payload("cmp-multi", length=1)
    client.campaign_series_payload("cmp-multi", length=1)
    with pytest.raises(BrazeRateLimited) as info:
        client.campaign_series_payload("cmp-multi", length=1)
    # the minute ends 40 s after NOW, beyond the 30 s deadline: not waited for
    assert info.value.budget is CAMPAIGN_SERIES and waits == []
    assert info.value.reset_at == datetime(2023, 11, 14, 22, 14, tzinfo=UTC)
    assert "per-minute limit for campaign analytics" in info.value.user_message
    assert client.canvas_details("cv").name == "Journey"  # the shared budget is another one


def test_a_reset_within_the_deadline_is_waited_out(server: SampleBraze, make_client: Any, waits: Waits) -> None:
    server.fail_next(429, {"message": "Rate Limited"}, headers={"X-RateLimit-Reset": str(int(NOW) + 25)})
    assert make_client().campaign_name("cmp-multi") == "Multichannel"
    (wait,) = waits
    assert 25.0 <= wait <= 25.25


def test_a_reset_past_the_deadline_is_not_waited_for(server: SampleBraze, make_client: Any, waits: Waits) -> None:
    """The promise and the code agree: the default wait is the call's deadline (30 s), not 60 s."""
    server.fail_next(429, {"message": "Rate Limited"}, headers={"X-RateLimit-Reset": str(int(NOW) + 35)})
    with pytest.raises(BrazeRateLimited) as info:
        make_client().canvas_details("cv")
    assert waits == [] and len(server.requests) == 1
    assert info.value.reset_at == datetime.fromtimestamp(NOW + 35, UTC)
    server.fail_next(429, {"message": "Rate Limited"}, headers={"X-RateLimit-Reset": str(int(NOW) + 35)})
    assert make_client(deadline_seconds=60).canvas_details("cv").name == "Journey"  # a longer deadline waits
    assert 35.0 <= waits[0] <= 35.25


def test_a_reset_forty_minutes_away_is_told_plainly(server: SampleBraze, make_client: Any) -> None:
    reset = int(NOW) + 40 * 60
    server.fail_next(429, {"message": "Rate Limited"}, headers={"X-RateLimit-Reset": str(reset)})
    with pytest.raises(BrazeRateLimited) as info:
        make_client().data_series("cmp", "send", length=3)
    assert info.value.user_message.startswith(
        "Braze's hourly API budget for this workspace is used up until 22:53:20 UTC"
    )
    assert info.value.message_in(ZoneInfo("America/New_York")).startswith(
        "Braze's hourly API budget for this workspace is used up until 17:53:20 America/New_York"
    )


# -- the client's own count ---------------------------------------------------------------------------------


def test_every_request_is_counted_per_budget_and_the_stated_limit_is_learned(
    server: SampleBraze, make_client: Any
) -> None:
    server.set_rate_limit("shared", 500)
    client = make_client(backoff_initial=0.001)
    assert client.usage.limit(SHARED) == 250_000  # documented default until Braze states its own
    server.fail_next(503, {"message": "down"}, path="/canvas/details")
    client.canvas_details("cv")  # two requests: the 503 and its retry
    client.campaign_series_payload("cmp-multi", length=1)
    assert client.usage.used(SHARED) == 2 and client.usage.used(CAMPAIGN_SERIES) == 1
    assert client.usage.limit(SHARED) == 500 and client.usage.remaining(SHARED) == 499


def test_counter_forgets_calls_older_than_the_window() -> None:
    now = [0.0]
    counter = CallCounter(clock=lambda: now[0])
    for _ in range(3):
        counter.record(SHARED, "catalogue")
    counter.record(CAMPAIGN_SERIES)
    now[0] = 59.0
    assert counter.used(CAMPAIGN_SERIES) == 1
    now[0] = 61.0
    assert counter.used(CAMPAIGN_SERIES) == 0 and counter.used(SHARED, purpose="catalogue") == 3
    assert counter.used(SHARED) == 0 and counter.used(SHARED, any_purpose=True) == 3
    assert counter.free_in(SHARED, "catalogue", allowance=3) == pytest.approx(3600 - 61 + 1)
    now[0] = 3601.0
    assert counter.used(SHARED, purpose="catalogue") == 0


def test_a_purpose_never_passes_its_share(server: SampleBraze, make_client: Any) -> None:
    server.set_rate_limit("shared", 40)
    client = make_client()
    client.canvas_details("cv")  # an ordinary call: Braze states its limit (40)
    with client.spending("catalogue refresh", share=0.25):  # 10 calls an hour
        for _ in range(10):
            client.canvas_details("cv")
        before = len(server.requests)
        with pytest.raises(BrazeDeferred) as info:
            client.canvas_details("cv")
    assert len(server.requests) == before  # held back: Braze never saw it
    assert info.value.allowance == 10 and "25% of Braze's hourly API budget (10 calls)" in info.value.user_message
    assert 3500 < info.value.retry_in <= 3601
    assert client.canvas_details("cv").name == "Journey"  # outside the block: not held back
    assert client.usage.used(SHARED, purpose="catalogue refresh") == 10 and client.usage.used(SHARED) == 2
    with pytest.raises(ValueError):
        client.spending("x", share=0).__enter__()


def test_reset_tomorrow_and_unknown_reset_read_well() -> None:
    now = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    tomorrow = BrazeRateLimited(now + timedelta(minutes=40), now=now)
    assert "until 00:10 UTC tomorrow" in tomorrow.user_message
    later = BrazeRateLimited(now + timedelta(days=3), now=now)
    assert "until 23:30 UTC on 08 Jan" in later.user_message
    unknown = BrazeRateLimited(None, now=now)
    assert unknown.user_message == (
        "Braze's hourly API budget for this workspace is used up for now. Try again in a few minutes."
    )
    assert unknown.slack_mrkdwn() == unknown.user_message
