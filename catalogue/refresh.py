"""Keeps the catalogue in step with Braze's ``/campaigns/list`` and ``/canvas/list``, in the background.

Every page is read (100 per page). Both lists are read incrementally between complete reads: only the
entries edited since the newest edit already known (``last_edit.time[gt]``, which ``/campaigns/list``
and ``/canvas/list`` both accept). After a complete read, entries Braze no longer lists among the live
ones are marked archived (kept, so their IDs still resolve). A key without a list permission is
remembered per list, so ``find`` can name the permission instead of guessing.

Refreshes spend at most ``budget_share`` of Braze's hourly API budget (the client counts every call):
a read that would pass it stops where it is and goes on at a later refresh (``ReadResult.deferred``),
so reports and digests never find the budget spent on lists.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from catalogue.store import CatalogueStore
from reports.braze import BrazeClient, BrazeDeferred, BrazeError, BrazePermissionDenied
from reports.kinds.base import ReportKind
from reports.kinds.registry import LISTED

log = logging.getLogger(__name__)
#: A complete read of a list this often catches archived and deleted entries, which an incremental read
#: (only edits) cannot see.
FULL_EVERY = timedelta(hours=6)
#: Share of Braze's hourly API budget refreshes may spend (``BRAZE_CATALOGUE_BUDGET_SHARE``).
BUDGET_SHARE = 0.05
#: How the refresher's calls are counted by the client.
PURPOSE = "catalogue refresh"
#: Re-read the newest second again: ``last_edit.time[gt]`` is strict and Braze's times have seconds.
OVERLAP = timedelta(seconds=1)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ReadResult:
    """What one refresh did per list: entries stored, whether it was a complete read, failures."""

    stored: dict[str, int] = field(default_factory=dict)
    full: dict[str, bool] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    #: Lists whose read stopped to stay within the budget share (why); they go on at a later refresh.
    deferred: dict[str, str] = field(default_factory=dict)


class CatalogueRefresher:
    """Reads Braze's lists into a :class:`CatalogueStore`. One refresh at a time per process."""

    def __init__(
        self,
        braze: BrazeClient,
        store: CatalogueStore,
        *,
        clock: Callable[[], datetime] = _utc_now,
        full_every: timedelta = FULL_EVERY,
        budget_share: float = BUDGET_SHARE,
    ) -> None:
        self.braze = braze
        self.store = store
        self.clock = clock
        self.full_every = full_every
        self.budget_share = budget_share
        self._running = threading.Lock()
        #: Set at shutdown: a refresh stops between pages (what it stored stays; the next one goes on).
        self.stopping = threading.Event()

    def refresh(self, *, full: bool | None = None) -> ReadResult | None:
        """Refresh both lists (``full`` forces a complete or an incremental campaign read; None decides by
        age). Returns None without reading when a refresh is already running in this process."""
        if not self._running.acquire(blocking=False):
            log.info("catalogue refresh already running; skipped")
            return None
        try:
            result = ReadResult()
            with self.braze.spending(PURPOSE, share=self.budget_share):
                for kind in LISTED:
                    if not self.stopping.is_set() and not result.deferred:
                        self._refresh(kind, full, result)
            log.info("catalogue refreshed: %s", result)
            return result
        finally:
            self._running.release()

    def _refresh(self, listed: ReportKind, full: bool | None, result: ReadResult) -> None:
        started = self.clock()
        kind, since = listed.kind, None
        if full is not True:
            state = self.store.sync_state(kind)
            due = state.full_at is None or started - state.full_at >= self.full_every
            newest = self.store.newest_edit(kind)
            if full is False or not due:
                since = newest - OVERLAP if newest is not None else None
        stored = 0
        try:
            for page in listed.list_pages(self.braze, edited_after=since):
                stored += self.store.upsert(page, now=started)
                if self.stopping.is_set():
                    log.info("catalogue: stopping mid-read of the %s list (shutting down)", kind)
                    return
        except BrazeDeferred as exc:  # not a failure: what was read is stored, the rest comes later
            log.info("catalogue: %s list read deferred after %d entries: %s", kind, stored, exc.user_message)
            result.deferred[kind] = exc.user_message
            result.stored[kind] = stored
            return
        except BrazeError as exc:
            missing = listed.list_permission if isinstance(exc, BrazePermissionDenied) else None
            log.warning("catalogue: reading the %s list failed: %s", kind, exc.user_message)
            self.store.record_failure(
                kind, now=started, missing_permission=missing, error=None if missing else exc.user_message[:500]
            )
            result.failed[kind] = missing or exc.user_message
            return
        except Exception as exc:  # a database hiccup: try again next time, never crash the scheduler
            log.exception("catalogue: refreshing the %s list crashed", kind)
            result.failed[kind] = type(exc).__name__
            return
        complete = since is None
        if complete:
            archived = self.store.archive_unlisted(kind, started)
            if archived:
                log.info("catalogue: %d %s(s) no longer listed, marked archived", archived, kind)
        self.store.record_read(kind, now=self.clock(), full=complete)
        result.stored[kind] = stored
        result.full[kind] = complete
