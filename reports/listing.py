"""Campaigns and Canvases as Braze lists them (``/campaigns/list``, ``/canvas/list``) and describes
them (``/canvas/details``): typed, parsed defensively, ready for a local catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

Kind = Literal["campaign", "canvas"]
#: Braze pages both lists at 100 entries; a shorter page is the last one.
PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class ListedItem:
    """One campaign or Canvas from a list page."""

    kind: Kind
    id: str
    name: str
    last_edited: datetime | None = None
    tags: tuple[str, ...] = ()
    #: Campaigns only: whether it is an API campaign (None for Canvases or when unreported).
    is_api_campaign: bool | None = None


@dataclass(frozen=True, slots=True)
class CanvasVariant:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class CanvasDetails:
    """What ``/canvas/details`` says that sendstats uses: the name and whether it still runs."""

    canvas_id: str
    name: str | None
    archived: bool | None = None
    enabled: bool | None = None
    draft: bool | None = None
    first_entry: datetime | None = None
    last_entry: datetime | None = None
    variants: tuple[CanvasVariant, ...] = ()
    channels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CampaignDetails:
    """What ``/campaigns/details`` says that sendstats uses: the name and whether it still runs."""

    campaign_id: str
    name: str | None
    archived: bool | None = None
    draft: bool | None = None
    first_sent: datetime | None = None
    last_sent: datetime | None = None
    channels: tuple[str, ...] = ()


def parse_campaign_details(payload: Any, campaign_id: str) -> CampaignDetails:
    if not isinstance(payload, Mapping):
        return CampaignDetails(campaign_id, None)
    archived, draft = payload.get("archived"), payload.get("draft")
    return CampaignDetails(
        campaign_id=campaign_id,
        name=_text(payload.get("name"), 150),
        archived=archived if isinstance(archived, bool) else None,
        draft=draft if isinstance(draft, bool) else None,
        first_sent=parse_time(payload.get("first_sent")),
        last_sent=parse_time(payload.get("last_sent")),
        channels=_strings(payload.get("channels")),
    )


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 time as an aware UTC datetime (naive ones are taken as UTC), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _text(value: Any, limit: int = 200) -> str | None:
    return value.strip()[:limit] if isinstance(value, str) and value.strip() else None


def _strings(value: Any, limit: int = 50) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(t for t in (_text(v, 100) for v in value[:limit]) if t)


def parse_list_page(payload: Any, kind: Kind) -> tuple[ListedItem, ...]:
    """One page of ``campaigns`` or ``canvases``; entries without an ID are dropped, a missing name
    becomes the ID (so the entry can still be found and reported on)."""
    key = "campaigns" if kind == "campaign" else "canvases"
    items = payload.get(key) if isinstance(payload, Mapping) else None
    out: list[ListedItem] = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, Mapping):
            continue
        item_id = _text(item.get("id"), 64)
        if item_id is None:
            continue
        api = item.get("is_api_campaign")
        out.append(
            ListedItem(
                kind=kind,
                id=item_id,
                name=_text(item.get("name")) or item_id,
                last_edited=parse_time(item.get("last_edited")),
                tags=_strings(item.get("tags")),
                is_api_campaign=api if isinstance(api, bool) and kind == "campaign" else None,
            )
        )
    return tuple(out)


def raw_page_length(payload: Any, kind: Kind) -> int:
    """How many entries Braze sent on a page (before dropping unreadable ones), to detect the last page."""
    items = payload.get("campaigns" if kind == "campaign" else "canvases") if isinstance(payload, Mapping) else None
    return len(items) if isinstance(items, list) else 0


def parse_canvas_details(payload: Any, canvas_id: str) -> CanvasDetails:
    if not isinstance(payload, Mapping):
        return CanvasDetails(canvas_id, None)

    def flag(name: str) -> bool | None:
        value = payload.get(name)
        return value if isinstance(value, bool) else None

    variants = []
    for item in payload.get("variants") if isinstance(payload.get("variants"), list) else ():
        if isinstance(item, Mapping) and (vid := _text(item.get("id"), 64)):
            variants.append(CanvasVariant(vid, _text(item.get("name"), 150) or vid))
    return CanvasDetails(
        canvas_id=canvas_id,
        name=_text(payload.get("name"), 150),
        archived=flag("archived"),
        enabled=flag("enabled"),
        draft=flag("draft"),
        first_entry=parse_time(payload.get("first_entry")),
        last_entry=parse_time(payload.get("last_entry")),
        variants=tuple(variants),
        channels=_strings(payload.get("channels")),
    )
