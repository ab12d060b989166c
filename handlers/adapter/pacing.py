"""Pacing Slack calls with token buckets: per channel and per workspace for ``chat.postMessage``, per
method for the rest.

Slack allows about one message per second per channel "with short bursts", "while also maintaining a
workspace-wide limit", and, per method and workspace, a tier's calls per minute
(https://docs.slack.dev/apis/web-api/rate-limits). Waiting for a token here, before Slack has to say no,
is cheaper than a 429; when a 429 comes anyway, the whole bucket is held for ``Retry-After`` so the calls
queued behind it wait too instead of each collecting its own 429. A 429 on ``chat.postMessage`` is about
the method in the workspace, so it holds every channel's posts (the workspace bucket), not only the
channel that got it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any

from handlers.adapter.bucket import TokenBucket

log = logging.getLogger(__name__)

#: Posts in one channel: the first 5 back to back go at once, then one per second.
POST_RATE = 1.0
POST_BURST = 5
#: Posts in the whole workspace. Slack keeps a workspace-wide limit on ``chat.postMessage`` without
#: publishing it; 300 a minute (5 per second, 20 at once) is our assumption, well above what one
#: channel may take and low enough for a digest morning over hundreds of channels not to be refused.
WORKSPACE_POST_RATE = 5.0
WORKSPACE_POST_BURST = 20
#: The key of the workspace bucket in :class:`ChannelPacer` (channel IDs never contain a space).
WORKSPACE = "workspace posts"


class RateLimitWait(Exception):
    """Waiting for a token would run past the caller's deadline (``seconds`` is the wait it needed)."""

    def __init__(self, key: Hashable, seconds: float) -> None:
        super().__init__(f"{key}: {seconds:.1f} s until the next slot, past the deadline")
        self.key = key
        self.seconds = seconds


class Buckets:
    """Token buckets by key, created on first use, with blocking :meth:`acquire` and 429 :meth:`hold`."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[Hashable, TokenBucket] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget every bucket (a fresh start, as after a restart)."""
        with self._lock:
            self._buckets.clear()

    def _bucket(self, key: Hashable, rate: float, burst: float, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 10_000:  # forget keys idle long enough to be full again
                self._buckets = {k: b for k, b in self._buckets.items() if not b.idle(now)}
            bucket = self._buckets[key] = TokenBucket(rate, burst, now=now)
        return bucket

    def acquire(self, key: Hashable, rate: float, burst: float, *, deadline: float | None = None) -> float:
        """Block until a token for ``key`` is ours; returns the seconds waited.

        Raises :class:`RateLimitWait` (taking nothing) when the wait would end after ``deadline``
        (a ``clock()`` time). A 429 arriving while we sleep voids our slot and we queue again.
        """
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                bucket = self._bucket(key, rate, burst, now)
                delay = bucket.reserve(now)
                holds = bucket.holds
                if deadline is not None and now + delay > deadline:
                    bucket.refund(now)
                    raise RateLimitWait(key, delay)
            if delay <= 0:
                return waited
            self._sleep(delay)
            waited += delay
            with self._lock:
                if bucket.holds == holds:
                    return waited

    def hold(self, key: Hashable, rate: float, burst: float, seconds: float) -> None:
        """Slack answered 429 with ``Retry-After: seconds``: hold ``key``'s bucket shut that long."""
        with self._lock:
            now = self._clock()
            self._bucket(key, rate, burst, now).hold(now, seconds)


class ChannelPacer:
    """Token buckets for ``chat.postMessage``: per channel ``burst`` posts at once, then ``rate``/s; and
    one for the workspace, ``workspace_burst`` at once, then ``workspace_rate``/s, that every post takes
    a token from too."""

    def __init__(
        self,
        rate: float = POST_RATE,
        burst: int = POST_BURST,
        *,
        workspace_rate: float = WORKSPACE_POST_RATE,
        workspace_burst: int = WORKSPACE_POST_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.workspace_rate = workspace_rate
        self.workspace_burst = workspace_burst
        self._buckets = Buckets(clock=clock, sleep=sleep)

    def reset(self) -> None:
        """Forget every bucket (a fresh start, as after a restart)."""
        self._buckets.reset()

    def wait(self, channel: str, deadline: float | None = None) -> float:
        """Block until this caller may post in ``channel`` (its channel's and the workspace's pace);
        returns the seconds waited."""
        waited = self.wait_channel(channel, deadline)
        return waited + self._buckets.acquire(WORKSPACE, self.workspace_rate, self.workspace_burst, deadline=deadline)

    def wait_channel(self, channel: str, deadline: float | None = None) -> float:
        """Block until ``channel``'s own pace allows one more message: for the message a file share
        creates there, which counts against the channel (it is not a ``chat.postMessage`` call)."""
        return self._buckets.acquire(channel, self.rate, self.burst, deadline=deadline)

    def hold(self, channel: str, seconds: float) -> None:
        """A post in ``channel`` got a 429: no post anywhere in the workspace for ``seconds`` (Slack's 429
        is about the method), and ``channel``'s own bucket is held too."""
        self._buckets.hold(channel, self.rate, self.burst, seconds)
        self._buckets.hold(WORKSPACE, self.workspace_rate, self.workspace_burst, seconds)


class ChannelLanes:
    """One short-lived thread per busy channel, delivering that channel's posts in order.

    The pacer must make a burst in one channel wait; doing that wait in the shared job pool would let
    one busy channel put every worker to sleep and stall all other channels. A lane holds only its
    own channel's queue, and its thread ends when the queue is empty.
    """

    def __init__(self) -> None:
        self._queues: dict[str, deque[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]]] = {}
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)

    def submit(self, channel: str, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            queue = self._queues.get(channel)
            start = queue is None
            if queue is None:
                queue = self._queues[channel] = deque()
            queue.append((future, fn, args))
        if start:
            threading.Thread(target=self._drain, args=(channel,), name=f"lane-{channel}", daemon=True).start()
        return future

    def _drain(self, channel: str) -> None:
        while True:
            with self._lock:
                queue = self._queues[channel]
                if not queue:
                    del self._queues[channel]
                    self._idle.notify_all()
                    return
                future, fn, args = queue.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # recorded on the future, like an executor would
                log.exception("delivery in %s failed", channel)
                future.set_exception(exc)

    def wait_idle(self, timeout: float) -> bool:
        """Block until every lane has drained (shutdown, tests); False on timeout."""
        with self._lock:
            return self._idle.wait_for(lambda: not self._queues, timeout=timeout)
