"""What the catalogue hands out: plain frozen values, never database rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reports.kinds import Kind


@dataclass(frozen=True, slots=True)
class Entry:
    """One campaign or Canvas as the catalogue knows it."""

    kind: Kind
    object_id: str
    name: str
    last_edited: datetime | None
    archived: bool

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", Kind(self.kind))  # rows hold the kind's word


@dataclass(frozen=True, slots=True)
class SyncState:
    """How one list (campaigns or Canvases) was last read from Braze."""

    kind: Kind
    full_at: datetime | None = None
    incremental_at: datetime | None = None
    attempted_at: datetime | None = None
    missing_permission: str | None = None
    error: str | None = None
    entries: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", Kind(self.kind))

    @property
    def ever_read(self) -> bool:
        return self.full_at is not None
