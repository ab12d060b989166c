"""Per-channel pacing for ``chat.postMessage`` (Slack allows about one message per second per channel).

A burst of reports in one channel is queued behind this pacer instead of being dropped or tripping 429s;
Slack's own 429s are still retried by slack_sdk's RateLimitErrorRetryHandler.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


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
