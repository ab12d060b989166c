"""Keeps the catalogue in step with Braze's ``/campaigns/list`` and ``/canvas/list``, in the background.

Every page is read (100 per page). Campaigns are read incrementally between complete reads: only those
edited since the newest edit already known (``last_edit.time[gt]``). Braze offers no such filter for
Canvases, so their list is always read whole. After a complete read, entries Braze no longer lists
among the live ones are marked archived (kept, so their IDs still resolve). A key without a list
permission is remembered per list, so ``find`` can name the permission instead of guessing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from catalogue.records import KINDS, LIST_PERMISSION, Kind
from catalogue.store import CatalogueStore
from reports.braze import BrazeClient, BrazeError

log = logging.getLogger(__name__)
#: A complete read of the campaign list this often catches archived and deleted campaigns, which an
#: incremental read (only edits) cannot see.
FULL_EVERY = timedelta(hours=6)
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


class CatalogueRefresher:
    """Reads Braze's lists into a :class:`CatalogueStore`. One refresh at a time per process."""

    def __init__(
        self,
        braze: BrazeClient,
        store: CatalogueStore,
        *,
        clock: Callable[[], datetime] = _utc_now,
        full_every: timedelta = FULL_EVERY,
    ) -> None:
        self.braze = braze
        self.store = store
        self.clock = clock
        self.full_every = full_every
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
            for kind in KINDS:
                if not self.stopping.is_set():
                    self._refresh(kind, full, result)
            log.info("catalogue refreshed: %s", result)
            return result
        finally:
            self._running.release()

    def _refresh(self, kind: Kind, full: bool | None, result: ReadResult) -> None:
        started = self.clock()
        since = None
        if kind == "campaign" and full is not True:
            state = self.store.sync_state(kind)
            due = state.full_at is None or started - state.full_at >= self.full_every
            newest = self.store.newest_edit(kind)
            if full is False or not due:
                since = newest - OVERLAP if newest is not None else None
        stored = 0
        try:
            pages = (
                self.braze.campaign_list_pages(edited_after=since)
                if kind == "campaign"
                else self.braze.canvas_list_pages()
            )
            for page in pages:
                stored += self.store.upsert(page, now=started)
                if self.stopping.is_set():
                    log.info("catalogue: stopping mid-read of the %s list (shutting down)", kind)
                    return
        except BrazeError as exc:
            missing = LIST_PERMISSION[kind] if exc.status == 403 else None
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
