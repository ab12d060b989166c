"""Per-channel pacing and delivery lanes (pure concurrency logic, no Slack)."""

from __future__ import annotations

import threading

from handlers.adapter.pacing import ChannelLanes, ChannelPacer


def test_pacer_spaces_slots_per_channel_and_never_drops() -> None:
    now = [100.0]
    slept: list[float] = []
    pacer = ChannelPacer(1.0, clock=lambda: now[0], sleep=slept.append)
    waits = [pacer.wait("C1") for _ in range(4)]
    assert waits == [0.0, 1.0, 2.0, 3.0]
    assert pacer.wait("C2") == 0.0  # another channel has its own budget
    now[0] += 10
    assert pacer.wait("C1") == 0.0
    assert slept == [1.0, 2.0, 3.0]


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
