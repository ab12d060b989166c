"""Slack calls end at the operation's deadline (:mod:`reports.deadline`, the one Braze calls use), over
real sockets: against the Slack fake holding its answer, a server trickling its status line, and a port
that refuses.

Each client's own per-read timeout is set far beyond the test's timeout and the servers hold longer
still, so a call that ends at all was ended by the deadline; no test measures time.
"""

from __future__ import annotations

import urllib.error
from collections.abc import Iterator

import pytest
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from fakes.slack import UPLOAD, SlackFake
from handlers.adapter import ratelimit
from handlers.adapter.ratelimit import PacedWebClient
from reports import deadline
from tests.processes import free_port
from tests.servers import trickling_server

#: Each test waits out a deadline: left out by ``-m "not slow"``.
pytestmark = pytest.mark.slow

#: Far longer than the test may run (pytest's timeout is 120 s): only the deadline can end a call.
NEVER = 300


def client(base_url: str, token: str = "xoxb-test-token") -> PacedWebClient:
    """The bot's Slack client as ``bot.app`` builds it, with a per-read timeout that never fires here."""
    return PacedWebClient(
        token=token,
        base_url=base_url,
        timeout=NEVER,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


@pytest.fixture
def hanging_slack(slack_fake: SlackFake) -> Iterator[SlackFake]:
    """The Slack fake, holding its next ``chat.postMessage`` answer (the message lands at once)."""
    slack_fake.reset()
    slack_fake.answer_late("chat.postMessage", NEVER)
    try:
        yield slack_fake
    finally:
        let_go(slack_fake, "chat.postMessage")


def let_go(slack: SlackFake, method: str) -> None:
    """Send the held answer now, and forget the call once the fake has recorded it."""
    slack.release_late()
    slack.wait_for(method, timeout=10)
    slack.reset()


def test_a_hanging_slack_ends_at_the_operations_deadline(hanging_slack: SlackFake) -> None:
    slack = client(hanging_slack.base_url, hanging_slack.token)
    with deadline.within(0.5), pytest.raises(deadline.DeadlineExceeded):
        slack.chat_postMessage(channel="C_PUBLIC", text="hello")
    assert [m["text"] for m in hanging_slack.messages_in("C_PUBLIC")] == ["hello"]  # posted once: no retry
    assert hanging_slack.calls_to("chat.postMessage") == []  # the fake is still holding its answer


def test_a_call_outside_any_operation_gets_the_default_deadline(
    hanging_slack: SlackFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "DEFAULT_DEADLINE", 0.5)
    slack = client(hanging_slack.base_url, hanging_slack.token)
    with pytest.raises(deadline.DeadlineExceeded):
        slack.chat_postMessage(channel="C_PUBLIC", text="hello")
    assert hanging_slack.calls_to("chat.postMessage") == []


def test_an_upload_outside_any_operation_is_one_operation_bytes_included(
    slack_fake: SlackFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """slack_sdk sends a file's bytes with urllib itself, between two Web API calls."""
    monkeypatch.setattr(ratelimit, "DEFAULT_DEADLINE", 0.5)
    slack_fake.reset()
    slack_fake.answer_late(UPLOAD, NEVER)
    slack = client(slack_fake.base_url, slack_fake.token)
    try:
        with pytest.raises(deadline.DeadlineExceeded):
            slack.files_upload_v2(channel="C_PUBLIC", content=b"\x89PNG", filename="chart.png", title="chart")
        assert [c.method for c in slack_fake.calls] == ["files.getUploadURLExternal"]  # the bytes' answer held
    finally:
        let_go(slack_fake, UPLOAD)


def test_a_slack_trickling_its_status_line_ends_at_the_deadline() -> None:
    """urllib's per-read timeout restarts with every byte; the deadline covers the whole answer."""
    with trickling_server() as url:
        slack = client(f"{url}/api/")
        with deadline.within(0.5), pytest.raises(deadline.DeadlineExceeded):
            slack.auth_test()


def test_retries_and_their_backoff_stay_inside_the_deadline() -> None:
    """slack_sdk's retry handlers sleep between attempts and know no deadline; inside one they stop."""
    slack = PacedWebClient(
        token="xoxb-test-token",
        base_url=f"http://127.0.0.1:{free_port()}/api/",  # refuses every connection
        timeout=NEVER,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=5, interval_calculator=FixedValueRetryIntervalCalculator(NEVER))
        ],
    )
    with deadline.within(0.5), pytest.raises(urllib.error.URLError) as raised:
        slack.auth_test()
    assert isinstance(raised.value.reason, deadline.DeadlineExceeded)  # the backoff ate the time left: no retry
