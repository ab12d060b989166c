"""The database as the listeners meet it: calls bounded by Slack's clock, and outages told from bugs.

Slack waits 3 s for an ack, for the options of a search box, and for a modal's ``trigger_id`` to be
used. A PostgreSQL restart refuses at once, but a failover or a partition can leave a query waiting
far longer (a pooled connection to a host that vanished), and a SQLite writer holds the file for its
busy timeout. So a database call made before an ack runs through :func:`within`: on threads of its
own, the caller waiting at most its budget. Past the budget, or when the database refuses,
:class:`DatabaseUnavailable` says so and the listener answers without the database. An abandoned call
ends on its daemon thread whenever the database answers or the connection breaks; its result is
dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from sqlalchemy import exc as sa

from handlers.jobs import FairJobs

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Longest a listener waits on the database before it acks without it: Slack gives up at 3 s, and the
#: request has to reach us and the answer get back.
ACK_BUDGET = 2.0
#: The modal's notes are read after the ack and before ``views.open``, inside the trigger_id's 3 s.
MODAL_BUDGET = 1.0

#: Threads for bounded calls, apart from the job pool (a user's queued reports never delay an ack) and
#: from Bolt's listener threads (a hung database never starves the acks). Daemons: a stuck call never
#: blocks a shutdown.
_POOL = FairJobs(active=8, max_threads=32, name="db-call")


class DatabaseUnavailable(Exception):
    """The database refused, failed, or did not answer within the budget; ``reason`` is for users."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


NOT_ANSWERING = "my database is not answering"
UNAVAILABLE = "my database is unavailable"


#: PEP 249's names for "the database, not the SQL, is the problem"; every driver (psycopg, sqlite3) has them.
_DBAPI_OUTAGES = frozenset({"OperationalError", "InterfaceError"})


def _outage(exc: BaseException | None) -> BaseException | None:
    """The outage in ``exc``'s chain of causes, or None. The chain matters: retries wrap the original, and
    a connection lost mid-query can surface as a driver's state error (psycopg: "can't change
    'autocommit' now") whose context is the lost connection."""
    for _ in range(8):
        if exc is None:
            return None
        if isinstance(exc, sa.OperationalError | sa.InterfaceError | sa.TimeoutError | sa.DisconnectionError):
            return exc
        if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
            return exc
        if not isinstance(exc, sa.SQLAlchemyError) and any(c.__name__ in _DBAPI_OUTAGES for c in type(exc).__mro__):
            return exc
        exc = exc.__cause__ or exc.__context__ or getattr(exc, "orig", None)
    return None


def is_outage(exc: BaseException | None) -> bool:
    """The database refused, dropped the connection, timed out or is locked: an outage that passes by
    itself, not a bug in our SQL."""
    return _outage(exc) is not None


def reason_of(exc: BaseException) -> str:
    """The database's own words for an outage, on one line (SQLAlchemy's wrapper adds SQL and a link)."""
    found = _outage(exc) or exc
    original = getattr(found, "orig", None) or found
    text = " ".join(str(original).split()) or type(original).__name__
    return f"{type(original).__name__}: {text[:300]}"


def submit(fn: Callable[..., T], *args: Any) -> Future[T]:
    """Run ``fn`` on the bounded-call threads; the caller decides how long to wait for the future."""
    return _POOL.submit(fn, *args)


def within(budget: float, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, or :class:`DatabaseUnavailable` if the database fails or takes over ``budget`` s.

    Any other error (a bug) is raised as it is.
    """
    future = submit(fn, *args)
    try:
        return future.result(timeout=budget)
    except FutureTimeout:
        log.warning("database call %s took over %.1f s; answering without it", getattr(fn, "__name__", fn), budget)
        future.add_done_callback(_log_late_failure)
        raise DatabaseUnavailable(NOT_ANSWERING) from None
    except Exception as exc:
        if not is_outage(exc):
            raise
        log.warning("database call %s failed: %s", getattr(fn, "__name__", fn), reason_of(exc))
        raise DatabaseUnavailable(UNAVAILABLE) from exc


def _log_late_failure(future: Future[Any]) -> None:
    error = future.exception()
    if error is not None and not is_outage(error):
        log.error("an abandoned database call failed", exc_info=error)


class RecentIds:
    """Slack event ids seen while the database was out: de-duplication within this process until the
    database is back (Slack retries an event for a few minutes, to the same app; the newest ``size``)."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._ids: dict[str, None] = {}
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            if len(self._ids) > self._size:
                del self._ids[next(iter(self._ids))]
            return True
