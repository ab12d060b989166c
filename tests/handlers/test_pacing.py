"""Token buckets, per-channel pacing and delivery lanes (pure logic on an injected clock, no Slack)."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.adapter.bucket import TokenBucket
from handlers.adapter.pacing import Buckets, ChannelLanes, ChannelPacer, RateLimitWait


class FakeTime:
    """An injected clock whose sleep advances it, so pacing is asserted on arithmetic, not timing."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 9))
        self.now += seconds


def test_bucket_gives_the_burst_at_once_then_one_per_interval() -> None:
    bucket = TokenBucket(rate=1.0, burst=5, now=0.0)
    assert [bucket.reserve(0.0) for _ in range(5)] == [0.0] * 5
    assert [bucket.reserve(0.0) for _ in range(3)] == [1.0, 2.0, 3.0]  # queued, FIFO


def test_bucket_refills_at_its_rate_and_never_above_its_burst() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, now=0.0)
    for _ in range(3):
        bucket.reserve(0.0)
    assert bucket.reserve(0.25) == pytest.approx(0.25)  # half a token there, half to wait for
    assert not bucket.idle(1.0)
    assert bucket.idle(1000.0)  # full after a long pause, but only ``burst`` full:
    assert [bucket.reserve(1000.0) for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]


def test_a_hold_shuts_the_bucket_for_retry_after_and_drops_the_stored_burst() -> None:
    bucket = TokenBucket(rate=1.0, burst=5, now=0.0)
    bucket.reserve(0.0)
    assert bucket.reserve(0.0) == 0.0  # 3 tokens still stored
    holds = bucket.holds
    bucket.hold(1.0, 30.0)
    assert bucket.holds == holds + 1
    assert bucket.reserve(1.0) == pytest.approx(30.0)  # after Retry-After: one call, then the rate
    assert bucket.reserve(1.0) == pytest.approx(31.0)
    assert bucket.reserve(40.0) == pytest.approx(0.0)  # refilling again after the hold


def test_a_refund_returns_the_slot() -> None:
    bucket = TokenBucket(rate=1.0, burst=1, now=0.0)
    assert bucket.reserve(0.0) == 0.0
    assert bucket.reserve(0.0) == 1.0
    bucket.refund(0.0)
    assert bucket.reserve(0.0) == 1.0


@given(
    rate=st.floats(0.1, 100),
    burst=st.integers(1, 50),
    gaps=st.lists(st.floats(0, 5), min_size=1, max_size=60),
)
def test_no_window_gets_more_than_burst_plus_rate_times_its_length(rate: float, burst: int, gaps: list[float]) -> None:
    """Whatever the arrival pattern, the granted start times obey the bucket's promise to Slack."""
    bucket = TokenBucket(rate=rate, burst=burst, now=0.0)
    now, starts = 0.0, []
    for gap in gaps:
        now += gap
        starts.append(now + bucket.reserve(now))
    starts.sort()
    for i, first in enumerate(starts):
        for j in range(i, len(starts)):
            assert j - i + 1 <= burst + (starts[j] - first) * rate + 1e-6


def test_pacer_lets_five_posts_through_then_one_per_second_per_channel() -> None:
    t = FakeTime()
    pacer = ChannelPacer(clock=t.clock, sleep=t.sleep)
    waits = [pacer.wait("C1") for _ in range(8)]
    assert waits == [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]  # each caller sleeps after the one before
    assert pacer.wait("C2") == 0.0  # another channel has its own bucket
    t.now += 10
    assert [pacer.wait("C1") for _ in range(5)] == [0.0] * 5  # refilled to the burst, no further


def test_posts_across_many_channels_keep_to_the_workspace_pace() -> None:
    t = FakeTime()
    pacer = ChannelPacer(workspace_rate=5.0, workspace_burst=20, clock=t.clock, sleep=t.sleep)
    waits = [pacer.wait(f"C{n}") for n in range(23)]  # one post in each of 23 channels
    assert waits[:20] == [0.0] * 20  # the workspace's burst
    assert waits[20:] == [pytest.approx(0.2)] * 3  # then 5 a second, whatever the channel


def test_a_429_in_one_channel_holds_posts_in_every_channel() -> None:
    t = FakeTime()
    pacer = ChannelPacer(clock=t.clock, sleep=t.sleep)
    pacer.hold("C1", 30.0)
    with pytest.raises(RateLimitWait):
        pacer.wait("C3", deadline=t.now + 1)  # a caller who can't wait that long is refused at once
    assert pacer.wait("C2") == pytest.approx(30.0)  # another channel waits out the same Retry-After


def test_a_file_share_counts_against_its_channel_but_not_the_workspace() -> None:
    t = FakeTime()
    pacer = ChannelPacer(burst=2, workspace_burst=2, clock=t.clock, sleep=t.sleep)
    assert [pacer.wait_channel("C1") for _ in range(2)] == [0.0, 0.0]  # two shares took C1's burst
    assert pacer.wait("C1") == pytest.approx(1.0)  # a post there waits for the channel's next token
    assert pacer.wait("C2") == 0.0  # the workspace bucket had given the shares nothing


def test_a_429_holds_the_whole_bucket_and_queued_callers_queue_again() -> None:
    t = FakeTime()
    buckets = Buckets(clock=t.clock, sleep=t.sleep)
    held = []

    def sleep_then_429(seconds: float) -> None:  # while the first caller sleeps, another call gets a 429
        t.sleep(seconds)
        if not held:
            held.append(True)
            buckets.hold("files", 1.0, 1, 10.0)

    buckets._sleep = sleep_then_429
    assert buckets.acquire("files", 1.0, 1) == 0.0
    waited = buckets.acquire("files", 1.0, 1)  # slot at +1 s voided by the hold; next slot after it
    assert waited == pytest.approx(1.0 + 10.0)  # woke at +1 s, then waited out the whole Retry-After


def test_a_wait_past_the_deadline_raises_and_takes_nothing() -> None:
    t = FakeTime()
    buckets = Buckets(clock=t.clock, sleep=t.sleep)
    buckets.acquire("k", 1.0, 1)
    with pytest.raises(RateLimitWait):
        buckets.acquire("k", 1.0, 1, deadline=t.now + 0.5)
    assert t.slept == []
    assert buckets.acquire("k", 1.0, 1, deadline=t.now + 1.0) == 1.0  # the refunded slot is the next one


def test_a_stuck_channel_does_not_hold_up_another() -> None:
    lanes = ChannelLanes()
    release = threading.Event()
    order: list[str] = []
    blocked = [lanes.submit("BUSY", lambda n=n: (release.wait(5), order.append(f"busy{n}"))) for n in range(3)]
    other = lanes.submit("QUIET", lambda: order.append("quiet"))
    other.result(timeout=5)  # finishes while BUSY's lane is still waiting
    assert order == ["quiet"] and not any(f.done() for f in blocked)
    release.set()
    for future in blocked:
        future.result(timeout=5)
    assert order == ["quiet", "busy0", "busy1", "busy2"]  # in order within a channel
    assert lanes.wait_idle(5)


def test_lane_errors_land_on_the_future_and_the_lane_goes_on() -> None:
    lanes = ChannelLanes()

    def boom() -> None:
        raise RuntimeError("slack said no")

    failed = lanes.submit("C", boom)
    ok = lanes.submit("C", lambda: "posted")
    assert ok.result(timeout=5) == "posted"
    assert isinstance(failed.exception(timeout=5), RuntimeError)
