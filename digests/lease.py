"""The heartbeat behind every claim: one thread per process renews the leases it holds.

A claim is a lease, not a timestamp: while this process works on a digest (however long Braze, Slack's
``Retry-After`` or a slow chart take), its heartbeat keeps the lease fresh and nobody takes it over.
When the process dies, the heartbeat stops, and the lease lapses one lease length later (at most two
minutes by default), so another process resumes the digest at the step it stopped at.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Collection
from datetime import timedelta
from typing import Protocol

log = logging.getLogger(__name__)
#: Default lease: a dead holder's digests are resumed within about this long (plus a sweep).
LEASE_SECONDS = 60.0


def new_holder_id() -> str:
    """Who holds a lease: host and pid for people reading the table, a random part for uniqueness."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases(Protocol):
    """Where leases live: digest deliveries (:class:`digests.deliveries.Deliveries`) or alert posts
    (:class:`digests.alert_store.AlertPosts`)."""

    def renew(self, holder: str, ids: Collection[int], /) -> int: ...


class LeaseKeeper:
    """Renews this process's leases every third of a lease, in one UPDATE, from a daemon thread.

    Only deliveries registered with :meth:`hold` (and shared chart uploads with :meth:`hold_chart`) are
    renewed, so a lease the code forgot to finish still lapses instead of living as long as the process.
    """

    def __init__(
        self,
        deliveries: Leases,
        *,
        lease_seconds: float = LEASE_SECONDS,
        holder: str | None = None,
        charts: Leases | None = None,
    ) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.deliveries = deliveries
        #: Where the shared chart uploads this process claims live (:class:`digests.charts.SharedCharts`); None:
        #: a chart claim is not renewed, and lapses one lease after it was made.
        self.charts = charts
        self._charts: set[int] = set()
        self.holder = holder or new_holder_id()
        self.lease = timedelta(seconds=lease_seconds)
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, delivery_id: int) -> None:
        with self._lock:
            self._held.add(delivery_id)
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
                self._thread.start()

    def drop(self, delivery_id: int) -> None:
        with self._lock:
            self._held.discard(delivery_id)

    def hold_chart(self, chart_id: int) -> None:
        """Renew this process's claim on a shared chart upload (``digest_charts``) until :meth:`drop_chart`."""
        with self._lock:
            self._charts.add(chart_id)
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
                self._thread.start()

    def drop_chart(self, chart_id: int) -> None:
        with self._lock:
            self._charts.discard(chart_id)

    def held(self) -> set[int]:
        with self._lock:
            return set(self._held)

    def renew_now(self) -> None:
        held = self.held()
        with self._lock:
            charts = set(self._charts)
        if held:
            self.deliveries.renew(self.holder, held)
        if charts and self.charts is not None:
            self.charts.renew(self.holder, charts)

    def _beat(self) -> None:
        interval = self.lease.total_seconds() / 3
        failing = False
        while not self._stop.wait(interval):
            try:
                self.renew_now()
            except Exception:  # a database hiccup: the next beat tries again, well within the lease
                # once per outage at WARNING: a database that stays away is not news every beat
                log.log(logging.DEBUG if failing else logging.WARNING, "lease heartbeat failed", exc_info=True)
                failing = True
            else:
                if failing:
                    log.info("lease heartbeat renewed again")
                failing = False

    def close(self) -> None:
        """Stop the heartbeat (at shutdown, after releasing what is still held)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def backoff(attempts: int, base: timedelta, maximum: timedelta) -> timedelta:
    """How long a failed post waits before its next try: ``base`` after the first attempt, doubling with
    each further one, at most ``maximum`` (digests and alert posts alike)."""
    return min(base * 2 ** max(attempts - 1, 0), maximum)
