"""Slack's event ids, remembered so that Slack's retries of an event are handled once.

Slack retries an event whose ack was slow or lost (``X-Slack-Retry-Num``), and a retry may reach another
process, or this one after a restart: so the ids live in the database, and the primary key decides which
delivery of an event is the first. Slack retries for minutes only; the scheduler forgets day-old ids.
The table sits in the same database and Alembic history as the digests' (``bot.db.METADATA``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Engine, Index, MetaData, String, Table, delete, insert
from sqlalchemy.exc import IntegrityError

from digests.tables import UTCDateTime, as_utc

metadata = MetaData()

processed_events = Table(
    "processed_events",
    metadata,
    Column("event_id", String, primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_processed_events_received_at", "received_at"),
)


class EventLog:
    """Which Slack events were handled already; thread- and process-safe, share one per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def remember(self, event_id: str, *, now: datetime | None = None) -> bool:
        """True the first time this Slack event id is seen; False for Slack's retries of it."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(processed_events).values(event_id=event_id, received_at=as_utc(now)))
        except IntegrityError:
            return False
        return True

    def forget_before(self, cutoff: datetime) -> int:
        """Prune event ids received before ``cutoff``; returns how many."""
        with self.engine.begin() as conn:
            old = processed_events.c.received_at < as_utc(cutoff)
            return conn.execute(delete(processed_events).where(old)).rowcount
