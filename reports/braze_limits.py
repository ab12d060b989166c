"""Braze's rate limits as documented, and the bot's own count of the calls it makes against them.

Braze limits REST calls per workspace (``_docs/_api/api_limits.md`` in braze-inc/braze-docs):

- **250,000 calls per hour**, shared by most endpoints, among them six that sendstats calls:
  ``/sends/data_series``, ``/canvas/data_series``, ``/campaigns/details``, ``/canvas/details``,
  ``/campaigns/list`` and ``/canvas/list``. Every tool that uses the workspace's REST API spends it too.
- **50,000 calls per minute** for ``/campaigns/data_series``, its own.

Every answer carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (the
window's reset in UTC epoch seconds); a 429 means a budget is used up until that reset. Braze may raise
a workspace's limits on request, so the limit an answer states wins over the documented default.

:class:`CallCounter` is the bot's own tally: every request it sends, per budget and purpose, over the
last hour in one-second buckets (so it stays small at any rate). It is what lets the catalogue refresh
spend no more than its share of the hourly budget.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

#: How far back the counter remembers (the longest budget window).
HORIZON_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Budget:
    """One of Braze's rate limits: ``limit`` calls per ``window`` seconds (the documented default)."""

    key: str
    limit: int
    window: float
    #: How a person is told about it ("Braze's hourly API budget is used up until 14:00").
    label: str


SHARED = Budget("shared", 250_000, 3600.0, "hourly API budget")
CAMPAIGN_SERIES = Budget("campaigns.data_series", 50_000, 60.0, "per-minute limit for campaign analytics")
_OWN_BUDGET = {"/campaigns/data_series": CAMPAIGN_SERIES}


def budget_for(path: str) -> Budget:
    """The budget a call to ``path`` spends: campaign analytics has its own, the rest share one."""
    return _OWN_BUDGET.get(path, SHARED)


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = (headers.get(name) or "").strip()
    return int(value) if value.isdigit() else None


class CallCounter:
    """Calls per (budget, purpose) over the last hour, and the limits Braze's answers state.

    ``purpose`` is None for ordinary calls (reports, digests) and a name such as ``"catalogue"`` for calls
    made inside :meth:`reports.braze.BrazeClient.spending`. Thread-safe.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        #: (budget key, purpose) → [second, calls] pairs, oldest first.
        self._buckets: dict[tuple[str, str | None], deque[list[int]]] = {}
        self._limits: dict[str, int] = {}
        self._remaining: dict[str, int] = {}

    def record(self, budget: Budget, purpose: str | None = None) -> None:
        """One request sent (it counts at Braze whatever its answer)."""
        second = int(self._clock())
        with self._lock:
            buckets = self._buckets.setdefault((budget.key, purpose), deque())
            if buckets and buckets[-1][0] == second:
                buckets[-1][1] += 1
            else:
                buckets.append([second, 1])
            self._forget(buckets, second)

    def used(self, budget: Budget, *, purpose: str | None = None, any_purpose: bool = False) -> int:
        """Calls in the budget's window up to now: of ``purpose`` (None: ordinary calls), or of every
        purpose with ``any_purpose``."""
        now = int(self._clock())
        since = now - int(budget.window)
        with self._lock:
            keys = [k for k in self._buckets if k[0] == budget.key and (any_purpose or k[1] == purpose)]
            total = 0
            for key in keys:
                buckets = self._buckets[key]
                self._forget(buckets, now)
                total += sum(count for second, count in buckets if second > since)
            return total

    def free_in(self, budget: Budget, purpose: str | None, allowance: int) -> float:
        """Seconds until ``purpose`` has fewer than ``allowance`` calls in the budget's window again."""
        now = int(self._clock())
        since = now - int(budget.window)
        with self._lock:
            buckets = [b for b in self._buckets.get((budget.key, purpose), ()) if b[0] > since]
        excess = sum(count for _second, count in buckets) - allowance + 1
        for second, count in buckets:
            excess -= count
            if excess <= 0:
                return float(second + int(budget.window) - now + 1)
        return 0.0

    def learn(self, budget: Budget, headers: Mapping[str, str]) -> None:
        """Take the limit and what remains of it from an answer's ``X-RateLimit-*`` headers."""
        limit = _header_int(headers, "X-RateLimit-Limit")
        remaining = _header_int(headers, "X-RateLimit-Remaining")
        with self._lock:
            if limit:
                self._limits[budget.key] = limit
            if remaining is not None:
                self._remaining[budget.key] = remaining

    def limit(self, budget: Budget) -> int:
        """The budget's limit: as Braze last stated it, else the documented default."""
        with self._lock:
            return self._limits.get(budget.key, budget.limit)

    def remaining(self, budget: Budget) -> int | None:
        """What Braze last said remains of the budget in its current window (None: not seen yet)."""
        with self._lock:
            return self._remaining.get(budget.key)

    @staticmethod
    def _forget(buckets: deque[list[int]], now: int) -> None:
        while buckets and buckets[0][0] <= now - HORIZON_SECONDS:
            buckets.popleft()
