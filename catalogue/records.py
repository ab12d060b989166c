"""What the catalogue hands out: plain frozen values, never database rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Kind = Literal["campaign", "canvas"]
KINDS: tuple[Kind, ...] = ("campaign", "canvas")
#: The Braze permission each list needs (named to the user when a key lacks it).
LIST_PERMISSION: dict[Kind, str] = {"campaign": "campaigns.list", "canvas": "canvas.list"}


@dataclass(frozen=True, slots=True)
class Entry:
    """One campaign or Canvas as the catalogue knows it."""

    kind: Kind
    object_id: str
    name: str
    last_edited: datetime | None
    archived: bool


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

    @property
    def ever_read(self) -> bool:
        return self.full_at is not None
