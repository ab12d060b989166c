"""Per-channel pacing for ``chat.postMessage`` (Slack allows about one message per second per channel).

A burst of reports in one channel is queued behind this pacer instead of being dropped or tripping 429s;
Slack's own 429s are still retried by slack_sdk's RateLimitErrorRetryHandler.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)


class ChannelPacer:
    """Hands out posting slots at least ``interval`` seconds apart per channel."""

    def __init__(
        self,
        interval: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget every channel's next slot (a fresh start, as after a restart)."""
        with self._lock:
            self._next.clear()

    def wait(self, channel: str) -> float:
        """Block until this caller's slot for ``channel``; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(channel, now))
            self._next[channel] = slot + self._interval
            if len(self._next) > 10_000:  # forget channels idle for a while
                self._next = {c: t for c, t in self._next.items() if t > now}
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return delay


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
