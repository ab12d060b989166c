"""The round's one upload of each distinct digest chart, in the database (``digest_charts``).

A chart is keyed by what draws it: the target, the first and the last day it shows. One process uploads
it (the claim: the UNIQUE key, or a takeover of an uploader whose heartbeat lapsed), without a channel,
and writes its file id the moment the upload is completed, before any reply shows it. Everyone else, in
this process or another, waits for that file id. So a process killed between the upload and the replies
leaves the file id behind for whoever resumes: the chart is never uploaded again for the other channels,
and none of them is left without it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from digests.tables import as_utc, digest_charts
from reports.kinds import Target

_c = digest_charts.c


@dataclass(frozen=True, slots=True)
class ChartKey:
    """What a digest chart shows: its target's series from ``start`` to ``day``."""

    target: Target
    start: date
    day: date


@dataclass(frozen=True, slots=True)
class SharedChart:
    """One chart's row: its file id once uploaded, else who is uploading it."""

    id: int
    file_id: str | None
    holder: str | None
    heartbeat_at: datetime | None
    uploaded_at: datetime | None


class SharedCharts:
    """Reads and writes of ``digest_charts``; thread- and process-safe, share one per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, key: ChartKey) -> SharedChart | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(digest_charts).where(_key(key))).first()
        return _chart(row) if row is not None else None

    def claim(self, key: ChartKey, holder: str, *, lease: timedelta, now: datetime | None = None) -> SharedChart | None:
        """Become the chart's uploader: the first claim inserts its row; later, a row without a file id
        whose uploader's heartbeat is a lease old (it died) or was released is taken over. None: the chart
        is uploaded already, or someone live is uploading it (:meth:`get` says which)."""
        now = as_utc(now)
        target = key.target
        values = {"holder": holder, "heartbeat_at": now}
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(digest_charts).values(
                        kind=str(target.kind),
                        object_id=target.object_id,
                        send_id=target.send_id,
                        span_start=key.start,
                        digest_day=key.day,
                        created_at=now,
                        **values,
                    )
                )
                return _chart(conn.execute(select(digest_charts).where(_key(key))).one())
        except IntegrityError:
            pass  # uploaded or being uploaded: only a takeover of a dead uploader can win
        lapsed = or_(_c.holder.is_(None), _c.heartbeat_at.is_(None), _c.heartbeat_at < now - lease)
        with self.engine.begin() as conn:
            moved = conn.execute(update(digest_charts).where(_key(key), _c.file_id.is_(None), lapsed).values(**values))
            if moved.rowcount != 1:
                return None
            return _chart(conn.execute(select(digest_charts).where(_key(key))).one())

    def renew(self, holder: str, chart_ids: Collection[int], *, now: datetime | None = None) -> int:
        """Heartbeat of the uploads ``holder`` still holds among ``chart_ids``."""
        if not chart_ids:
            return 0
        which = and_(_c.id.in_(list(chart_ids)), _c.holder == holder, _c.file_id.is_(None))
        return self._update(which, heartbeat_at=as_utc(now))

    def record(self, chart_id: int, file_id: str, *, now: datetime | None = None) -> str:
        """The upload is completed: write its file id, unless another uploader's (one that took over a
        lease we lost) was written first. Returns the file id every reply shows."""
        now = as_utc(now)
        self._update(
            and_(_c.id == chart_id, _c.file_id.is_(None)),
            file_id=file_id,
            uploaded_at=now,
            holder=None,
            heartbeat_at=None,
        )
        with self.engine.connect() as conn:
            written = conn.execute(select(_c.file_id).where(_c.id == chart_id)).scalar_one()
        return str(written)

    def release(self, chart_id: int, holder: str) -> bool:
        """The upload failed (or we are shutting down): the next claimer uploads at once."""
        which = and_(_c.id == chart_id, _c.holder == holder, _c.file_id.is_(None))
        return self._update(which, holder=None, heartbeat_at=None) == 1

    def forget(self, before: date) -> int:
        """Delete the rows of charts whose last day is before ``before`` (their digests are long done; a
        straggler would only upload its chart again). Returns how many."""
        with self.engine.begin() as conn:
            return conn.execute(delete(digest_charts).where(_c.digest_day < before)).rowcount

    def _update(self, which: ColumnElement[bool], **values: Any) -> int:
        with self.engine.begin() as conn:
            return conn.execute(update(digest_charts).where(which).values(**values)).rowcount


def _key(key: ChartKey) -> ColumnElement[bool]:
    target = key.target
    return and_(
        _c.kind == str(target.kind),
        _c.object_id == target.object_id,
        _c.send_id == target.send_id,
        _c.span_start == key.start,
        _c.digest_day == key.day,
    )


def _chart(row: Any) -> SharedChart:
    return SharedChart(row.id, row.file_id, row.holder, row.heartbeat_at, row.uploaded_at)
