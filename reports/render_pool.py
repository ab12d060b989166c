"""Chart rendering, and the rest of a report's CPU work, in worker processes.

Drawing a chart is CPU-bound and holds the GIL for ~100 ms, and parsing and summing Braze's rows costs
more milliseconds; done in the process that answers Slack, a burst of reports delays every
acknowledgement behind it. A small spawn-based process pool keeps the
web process free to ack, and recycles workers so a slow leak in a plotting library cannot grow forever.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from reports.chart import render_chart
from reports.models import ChartData, SeriesSpec

T = TypeVar("T")

log = logging.getLogger(__name__)


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: exit as soon as the parent is gone, even after a SIGKILL that gave it no
    chance to stop the pool. A worker outliving its parent holds ~85 MB and the multiprocessing
    resource tracker's pipe (so the tracker lives on too); once workers are gone, the tracker sees
    the pipe close and exits by itself."""

    def watch() -> None:
        while True:
            if os.getppid() != parent:  # re-parented: the parent died
                os._exit(0)
            time.sleep(0.5)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _warm_up() -> None:
    """Import matplotlib and draw once so the first real chart is not slow: a send-day spike over 8 days,
    so the zoomed inset is built and the digits and month names are rasterised too."""
    from datetime import date, timedelta

    days = tuple(date(2026, 1, 28) + timedelta(days=i) for i in range(8))
    spike = (SeriesSpec("Sent", (123_456, 7_890, 6_543, 5_210, 4_321, 3_876, 2_109, 1_987), bars=True),)
    tail = (SeriesSpec("Opens", (98_765, 4_321, 3_210, 2_109, 1_987, 1_234, 987, 654)),)
    render_chart(ChartData("Warm-up: 0123456789", days, "Volume", spike, "Engagement", tail))


class ChartRenderer:
    """Renders :class:`ChartData` to PNG bytes in ``processes`` worker processes (0 = in-thread)."""

    def __init__(self, processes: int = 1, *, tasks_per_child: int = 500, timeout: float = 60.0) -> None:
        self._processes = processes
        self._tasks_per_child = tasks_per_child
        self._timeout = timeout
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self._processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    max_tasks_per_child=self._tasks_per_child,
                    initializer=_exit_with_parent,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def start(self) -> None:
        """Start the workers and draw one chart in each, so readiness means fast first reports."""
        if self._processes:
            pool = self._get_pool()
            for future in [pool.submit(_warm_up) for _ in range(self._processes)]:
                future.result(timeout=self._timeout)

    def render(self, data: ChartData) -> bytes:
        """PNG bytes for ``data``."""
        return self.run(render_chart, data)

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in a worker (a module-level function with picklable arguments);
        a crashed worker pool is replaced once before giving up."""
        if not self._processes:
            return fn(*args, **kwargs)
        for attempt in (1, 2):
            pool = self._get_pool()
            try:
                return pool.submit(fn, *args, **kwargs).result(timeout=self._timeout)
            except BrokenProcessPool:
                log.warning("chart worker died (attempt %d); starting a new pool", attempt)
                with self._lock:
                    if self._pool is pool:
                        self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
        raise RuntimeError("chart workers keep crashing")

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
