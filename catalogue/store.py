"""The catalogue in the database: upserts from Braze's list pages, and name search for Slack.

Searching only reads these tables, so Slack's options requests, ``find`` and the modal never wait on
Braze. Names are stored folded (:func:`catalogue.fold.fold`), so "every word contained, case- and
accent-insensitive" is a plain ``LIKE`` on both SQLite and PostgreSQL; ranking happens in the
database too, so only the best few rows ever reach Python (see bench/bench_options.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, case, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from catalogue.fold import fold, query_words
from catalogue.records import Entry, Kind, SyncState
from catalogue.tables import catalogue_entries, catalogue_sync
from reports.listing import ListedItem

DEFAULT_LIMIT = 10


def _like(word: str) -> str:
    """``%word%`` with LIKE's wildcards in the word taken literally (escape character ``\\``)."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class CatalogueStore:
    """Reads and writes of ``catalogue_entries`` and ``catalogue_sync``; share one per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- writing (the refresher) ---------------------------------------------------------------------

    def upsert(self, items: Iterable[ListedItem], *, now: datetime) -> int:
        """Insert or update entries from a list page; a listed entry is live (not archived). Returns how many."""
        rows = {
            (i.kind, i.id): {
                "kind": i.kind,
                "object_id": i.id,
                "name": i.name,
                "folded_name": fold(i.name),
                "last_edited": i.last_edited,
                "archived": False,
                "listed_at": now,
            }
            for i in items
        }
        if not rows:
            return 0
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(catalogue_entries)
        statement = statement.on_conflict_do_update(
            index_elements=["kind", "object_id"],
            set_={c: statement.excluded[c] for c in ("name", "folded_name", "last_edited", "archived", "listed_at")},
        )
        with self.engine.begin() as conn:
            conn.execute(statement, list(rows.values()))
        return len(rows)

    def archive_unlisted(self, kind: Kind, listed_before: datetime) -> int:
        """After a complete read begun at ``listed_before``: whatever it did not list is archived (or gone)."""
        e = catalogue_entries.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(catalogue_entries)
                .where(e.kind == kind, e.listed_at < listed_before, e.archived.is_(False))
                .values(archived=True)
            )
            return result.rowcount

    def record_read(self, kind: Kind, *, now: datetime, full: bool) -> None:
        """A list was read to its last page: clear any remembered failure."""
        values: dict[str, Any] = {"attempted_at": now, "missing_permission": None, "error": None}
        values["full_at" if full else "incremental_at"] = now
        values["entries"] = self.count(kind)
        self._set_sync(kind, values)

    def record_failure(self, kind: Kind, *, now: datetime, missing_permission: str | None, error: str | None) -> None:
        """A read failed: a 403 names the missing permission; anything else is kept as ``error``."""
        self._set_sync(kind, {"attempted_at": now, "missing_permission": missing_permission, "error": error})

    def _set_sync(self, kind: Kind, values: dict[str, Any]) -> None:
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(catalogue_sync).values(kind=kind, **values)
        statement = statement.on_conflict_do_update(index_elements=["kind"], set_=values)
        with self.engine.begin() as conn:
            conn.execute(statement)

    # -- reading -------------------------------------------------------------------------------------

    def sync_state(self, kind: Kind) -> SyncState:
        with self.engine.connect() as conn:
            row = conn.execute(select(catalogue_sync).where(catalogue_sync.c.kind == kind)).first()
        return SyncState(**row._mapping) if row is not None else SyncState(kind)

    def newest_edit(self, kind: Kind) -> datetime | None:
        """The latest ``last_edited`` known for ``kind`` (where an incremental read starts)."""
        e = catalogue_entries.c
        with self.engine.connect() as conn:
            value = conn.execute(select(func.max(e.last_edited)).where(e.kind == kind)).scalar()
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def count(self, kind: Kind | None = None) -> int:
        e = catalogue_entries.c
        query = select(func.count()).select_from(catalogue_entries)
        if kind is not None:
            query = query.where(e.kind == kind)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def get(self, kind: Kind, object_id: str) -> Entry | None:
        e = catalogue_entries.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(e.kind, e.object_id, e.name, e.last_edited, e.archived).where(
                    e.kind == kind, e.object_id == object_id
                )
            ).first()
        return Entry(*row) if row is not None else None

    def search(self, query: str, *, limit: int = DEFAULT_LIMIT, kinds: Sequence[Kind] | None = None) -> list[Entry]:
        """Entries whose name contains every word of ``query`` (case- and accent-insensitive), or whose ID
        is the query; the best ``limit``. An empty query finds nothing.

        Ranked in SQL, so only ``limit`` rows leave the database however many match (a one-letter query
        matches nearly everything): the ID itself first; live before archived; then the whole query as the
        name, at its start, or inside it as a phrase; then more words found at word starts; then the most
        recently edited; then shorter names.
        """
        words = query_words(query)
        if not words:
            return []
        e = catalogue_entries.c
        typed_id = query.strip()
        phrase = fold(query)
        by_name = and_(*(e.folded_name.like(_like(w), escape="\\") for w in words))
        where = [or_(by_name, e.object_id == typed_id)]
        if kinds:
            where.append(e.kind.in_(list(kinds)))
        padded = literal(" ") + e.folded_name
        tier = case(
            (e.folded_name == phrase, 0),
            (e.folded_name.like(_like(phrase)[1:], escape="\\"), 1),
            (e.folded_name.like(_like(phrase), escape="\\"), 2),
            else_=3,
        )
        at_word_start = sum(
            (case((padded.like(_like(" " + w), escape="\\"), 1), else_=0) for w in words), literal(0)
        )
        query_rows = (
            select(e.kind, e.object_id, e.name, e.last_edited, e.archived)
            .where(*where)
            .order_by(
                case((e.object_id == typed_id, 0), else_=1),
                e.archived,
                tier,
                at_word_start.desc(),
                e.last_edited.desc().nulls_last(),
                func.length(e.folded_name),
                e.folded_name,
                e.object_id,
            )
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [Entry(*row) for row in conn.execute(query_rows)]
