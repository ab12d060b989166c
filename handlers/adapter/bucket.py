"""A token bucket: ``burst`` calls at once, then ``rate`` per second; a 429 can hold it shut for a while.

Pure arithmetic on times the caller passes in (no clock, no sleeping, no lock), so it is unit-tested
with made-up times. Callers reserve a slot and sleep until it; reservations queue (FIFO), so a burst of
callers is spread out instead of all waking at once and racing for one token.
"""

from __future__ import annotations


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` per second; one token per call."""

    def __init__(self, rate: float, burst: float, *, now: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = float(burst)
        self._tokens = float(burst)
        #: Tokens accrue from this moment on; it lies in the future while a 429 holds the bucket.
        self._since = now
        #: Bumped by every hold, so a caller who reserved before a 429 knows to reserve again.
        self.holds = 0

    def _refill(self, now: float) -> None:
        if now > self._since:
            self._tokens = min(self.burst, self._tokens + (now - self._since) * self.rate)
            self._since = now

    def reserve(self, now: float) -> float:
        """Take the next token; returns the seconds to wait before using it (0: go now)."""
        self._refill(now)
        self._tokens -= 1
        start = max(self._since, now)
        return (start - now) + max(0.0, -self._tokens) / self.rate

    def refund(self, now: float) -> None:
        """Give back a reserved token that will not be used (the caller's deadline ran out)."""
        self._refill(now)
        self._tokens = min(self.burst, self._tokens + 1)

    def hold(self, now: float, seconds: float) -> None:
        """Slack said 429 with ``Retry-After: seconds``: nothing more until then, then one call, then
        the rate (our stored burst was evidently wrong).

        Every queued reservation is void (``holds`` changes); the callers reserve again.
        """
        self._refill(now)
        self._tokens = 1.0  # queued reservations are void, so their debt is dropped too
        self._since = max(self._since, now + seconds)
        self.holds += 1

    def idle(self, now: float) -> bool:
        """Full again and not held: the bucket can be forgotten without changing anything."""
        self._refill(now)
        return self._since <= now and self._tokens >= self.burst
