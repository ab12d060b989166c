"""Braze calls end at the operation's deadline (:mod:`reports.deadline`), the same one Slack calls use,
over real sockets against the sample Braze server hanging its answer.

The client's per-read timeout is set far beyond the test's timeout and the server hangs longer still,
so a call that ends at all was ended by the deadline; no test measures time.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fakes.braze import SERIES_PATH, SampleBraze
from reports import deadline
from reports.braze import BrazeClient, BrazeError
from tests.harness import BRAZE_KEY, CAMPAIGN, SEND

#: Far longer than the test may run (pytest's timeout is 120 s): only the deadline can end a call.
NEVER = 300.0


@pytest.fixture
def hanging_braze(braze_server: SampleBraze) -> Iterator[SampleBraze]:
    braze_server.reset()
    braze_server.add_send(CAMPAIGN, SEND, days_ago=4)
    braze_server.misbehave("hang", path=SERIES_PATH)
    try:
        yield braze_server
    finally:
        braze_server.reset()  # lets the hung answer go


def client(server: SampleBraze, **kwargs: float) -> BrazeClient:
    return BrazeClient(server.url, BRAZE_KEY, timeout=httpx.Timeout(NEVER), backoff_max=NEVER, **kwargs)


@pytest.mark.slow
def test_a_hanging_braze_ends_at_the_clients_own_deadline(hanging_braze: SampleBraze) -> None:
    braze = client(hanging_braze, deadline_seconds=1.0)
    try:
        with pytest.raises(BrazeError, match="did not finish answering within 1 s"):
            braze.data_series_raw(CAMPAIGN, SEND, length=7)
    finally:
        braze.close()


@pytest.mark.slow
def test_a_hanging_braze_ends_at_the_callers_earlier_deadline(hanging_braze: SampleBraze) -> None:
    """One operation may hold several calls: the caller's deadline bounds them all, retries included."""
    braze = client(hanging_braze, deadline_seconds=NEVER)
    try:
        with deadline.within(0.5), pytest.raises(BrazeError, match="did not answer in time"):
            braze.data_series_raw(CAMPAIGN, SEND, length=7)
    finally:
        braze.close()
    assert len(hanging_braze.series_requests()) == 1  # the deadline left no time for a retry


def test_scopes_nest_and_the_earliest_end_wins() -> None:
    assert deadline.remaining() is None and deadline.end() is None
    with deadline.within(100):
        outer = deadline.end()
        with deadline.within(1000):
            assert deadline.end() == outer
        with deadline.unless_set(1):
            assert deadline.end() == outer  # the caller's operation is the one
        with deadline.within(1):
            inner = deadline.end()
            assert inner is not None and outer is not None and inner < outer
        assert deadline.end() == outer
    with deadline.unless_set(1):
        assert deadline.end() is not None
    assert deadline.end() is None
