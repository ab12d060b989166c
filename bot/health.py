"""Honest, cheap readiness for ``GET /healthz``.

A load balancer polls health often, and a health check that opens a database connection on every poll
would itself load the database (and hang when the database hangs). So a background thread checks the
database every few seconds with a bounded query, and ``/healthz`` only reads the cached answer.

States: ``starting`` (workers warming, schema not yet checked), ``ok``, ``database unavailable`` (the
last check failed: refused, dropped, locked), ``database not answering`` (the last check timed out
connecting, or the check itself has been stuck for too long), and ``stopping`` (SIGTERM received).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from handlers.database import reason_of

log = logging.getLogger(__name__)


class Health:
    """The cached readiness state; ``state()`` never blocks and never touches the database."""

    def __init__(
        self, check: Callable[[], None], *, interval: float = 5.0, stuck_after: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check = check
        self._interval = interval
        self._stuck_after = stuck_after
        self._clock = clock
        self._started = False
        self._stopping = threading.Event()
        self._db_ok = True
        self._failure = "database unavailable"
        self._last_done = clock()
        self._thread: threading.Thread | None = None

    def started(self) -> None:
        """Start-up finished: the workers are warm and the schema exists. Begin watching the database."""
        self._last_done = self._clock()
        self._started = True
        self._thread = threading.Thread(target=self._watch, name="health", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()

    def state(self) -> str:
        if self._stopping.is_set():
            return "stopping"
        if not self._started:
            return "starting"
        if self._clock() - self._last_done > self._stuck_after:
            return "database not answering"
        return "ok" if self._db_ok else self._failure

    def _watch(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self._check()
                ok = True
            except Exception as exc:
                ok = False
                reason = reason_of(exc)
                self._failure = "database not answering" if "timeout" in reason.lower() else "database unavailable"
                if self._db_ok:
                    log.warning("health: database check failed: %s", reason)
            if ok and not self._db_ok:
                log.info("health: database reachable again")
            self._db_ok = ok
            self._last_done = self._clock()
