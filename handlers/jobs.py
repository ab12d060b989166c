"""The job pool for work after the ack, built so that one user's slowness never blocks another's report.

A plain pool of N threads is a shared queue: N reports stuck on a hung Braze (each until the client's
deadline) and every other user's report waits behind them. Here:

* ``active`` jobs run at once, as before, so a burst of reports does not add GIL contention;
* a job running longer than ``slow_after`` seconds is waiting on something (Braze, Slack), not
  computing, so it stops counting against ``active`` and the next job starts on a new thread,
  up to ``max_threads`` in all;
* one key (a user) runs at most ``per_key`` jobs at once; the rest of that key queue behind them,
  in order, without holding anyone else up.

Threads are daemons and :meth:`shutdown` waits a bounded time, so SIGTERM never hangs on a stuck job.
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class _Job:
    key: Hashable
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: Future[Any] = field(default_factory=Future)
    started: float = 0.0


class FairJobs(Executor):
    """An ``Executor`` with per-key fairness and room made beside slow jobs (see the module docstring)."""

    def __init__(
        self, active: int = 4, *, max_threads: int = 64, per_key: int = 2, slow_after: float = 1.5, name: str = "job"
    ) -> None:
        self._active = active
        self._max_threads = max_threads
        self._per_key = per_key
        self._slow_after = slow_after
        self._name = name
        self._counter = itertools.count(1)
        self._lock = threading.Condition()
        self._pending: collections.deque[_Job] = collections.deque()
        self._running: dict[int, _Job] = {}
        self._closed = False
        self._ticker = threading.Thread(target=self._tick, name=f"{name}-ticker", daemon=True)
        self._ticker.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self.submit_keyed(None, fn, *args, **kwargs)

    def submit_keyed(self, key: Hashable, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn`` soon; at most ``per_key`` jobs of ``key`` run at once (None: no per-key limit)."""
        job = _Job(key, fn, args, kwargs)
        with self._lock:
            if self._closed:
                raise RuntimeError("the job pool is shut down")
            self._pending.append(job)
            self._pump()
            self._lock.notify_all()  # wakes the ticker, which sleeps while nothing is pending
        return job.future

    def stats(self) -> tuple[int, int]:
        """(running, pending), for logs and the bench."""
        with self._lock:
            return len(self._running), len(self._pending)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False, timeout: float | None = None) -> None:
        """Stop taking jobs; with ``wait``, wait up to ``timeout`` s (None: forever) for running ones."""
        with self._lock:
            self._closed = True
            if cancel_futures:
                for job in self._pending:
                    job.future.cancel()
                self._pending.clear()
            self._lock.notify_all()
            if not wait:
                return
            ends = None if timeout is None else time.monotonic() + timeout
            while self._running or self._pending:
                left = None if ends is None else ends - time.monotonic()
                if left is not None and left <= 0:
                    log.warning("shutting down with %d job(s) still running", len(self._running))
                    return
                self._lock.wait(left if left is not None else 1.0)

    # -- internals (lock held) ----------------------------------------------------------------------

    def _pump(self) -> None:
        now = time.monotonic()
        busy = sum(1 for job in self._running.values() if now - job.started < self._slow_after)
        per_key = collections.Counter(job.key for job in self._running.values() if job.key is not None)
        for job in list(self._pending):
            if busy >= self._active or len(self._running) >= self._max_threads:
                return
            if job.key is not None and per_key[job.key] >= self._per_key:
                continue
            self._pending.remove(job)
            if not job.future.set_running_or_notify_cancel():
                continue
            job.started = now
            ident = next(self._counter)
            self._running[ident] = job
            busy += 1
            if job.key is not None:
                per_key[job.key] += 1
            threading.Thread(target=self._run, args=(ident, job), name=f"{self._name}-{ident}", daemon=True).start()

    def _run(self, ident: int, job: _Job) -> None:
        try:
            result = job.fn(*job.args, **job.kwargs)
        except BaseException as exc:
            job.future.set_exception(exc)
        else:
            job.future.set_result(result)
        finally:
            with self._lock:
                del self._running[ident]
                self._pump()
                self._lock.notify_all()

    def _tick(self) -> None:
        """Slow jobs make room by the clock, not only when something finishes."""
        while True:
            with self._lock:
                if self._closed and not self._pending:
                    return
                if self._pending:
                    self._pump()
                    self._lock.wait(max(0.05, self._slow_after / 4))
                else:
                    self._lock.wait()
