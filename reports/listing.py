"""Campaigns and Canvases as Braze lists them (``/campaigns/list``, ``/canvas/list``) and describes
them (``/campaigns/details``, ``/canvas/details``): typed, parsed defensively, ready for a local catalogue
and for naming what the series only identify (variation IDs, conversion events A–D).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reports.kinds import Kind
from reports.models import Labels

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

    def labels(self) -> Labels:
        """The name (a Canvas series names its variants itself)."""
        return Labels(self.name)


@dataclass(frozen=True, slots=True)
class MessageVariation:
    """One entry of ``/campaigns/details`` → ``messages``, keyed by its message variation ID (the
    ``variation_api_id`` of the campaign's series rows). Braze documents a ``name`` only for push, email
    and Content Cards messages; a control message has ``type: "control"`` and no name."""

    id: str
    channel: str | None
    name: str | None
    control: bool = False


@dataclass(frozen=True, slots=True)
class ConversionBehavior:
    """One of ``/campaigns/details`` → ``conversion_behaviors``, in order: event A is ``conversions``,
    B ``conversions1``, C ``conversions2``, D ``conversions3``."""

    type: str
    #: What the event is about, where Braze says: the product or the custom event's name.
    detail: str | None = None
    window_seconds: int | None = None

    @property
    def label(self) -> str:
        """"Makes specific purchase: Feline Body Armor", "Clicks email"."""
        kind = self.type[:1].upper() + self.type[1:].lower()
        return f"{kind}: {self.detail}" if self.detail else kind


@dataclass(frozen=True, slots=True)
class CampaignDetails:
    """What ``/campaigns/details`` says that sendstats uses: the name, whether it still runs, the names
    of its message variations and its conversion events."""

    campaign_id: str
    name: str | None
    archived: bool | None = None
    draft: bool | None = None
    first_sent: datetime | None = None
    last_sent: datetime | None = None
    channels: tuple[str, ...] = ()
    messages: tuple[MessageVariation, ...] = ()
    conversion_behaviors: tuple[ConversionBehavior, ...] = ()

    def variation_names(self) -> dict[str, str]:
        """Message variation ID → its name, for the variations Braze names (a control without a name is
        "Control"); the rest are left to the caller."""
        named = {m.id: m.name for m in self.messages if m.name}
        return named | {m.id: "Control" for m in self.messages if m.control and not m.name}

    def labels(self) -> Labels:
        """The name, the variation names and the conversion events' names, as a report applies them."""
        return Labels(
            self.name,
            tuple(self.variation_names().items()),
            tuple(behavior.label for behavior in self.conversion_behaviors),
        )


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
        messages=_messages(payload.get("messages")),
        conversion_behaviors=_behaviors(payload.get("conversion_behaviors")),
    )


def _messages(value: Any, limit: int = 200) -> tuple[MessageVariation, ...]:
    if not isinstance(value, Mapping):
        return ()
    out = []
    for key, message in list(value.items())[:limit]:
        variation_id = _text(key, 64)
        if variation_id is None or not isinstance(message, Mapping):
            continue
        out.append(
            MessageVariation(
                id=variation_id,
                channel=_text(message.get("channel"), 50),
                name=_text(message.get("name"), 150),
                control=message.get("type") == "control",
            )
        )
    return tuple(out)


def _behaviors(value: Any) -> tuple[ConversionBehavior, ...]:
    """At most four (events A–D); an entry without a type keeps its place as "Conversion event"."""
    if not isinstance(value, list):
        return ()
    out = []
    for item in value[:4]:
        item = item if isinstance(item, Mapping) else {}
        window = item.get("window")
        out.append(
            ConversionBehavior(
                type=_text(item.get("type"), 60) or "Conversion event",
                detail=_text(item.get("product"), 100) or _text(item.get("custom_event_name"), 100),
                window_seconds=window if isinstance(window, int) and not isinstance(window, bool) else None,
            )
        )
    return tuple(out)


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


def _items(payload: Any, kind: Kind) -> Any:
    """The entries of a list page: Braze names the list after what it lists."""
    key = "campaigns" if Kind(kind) is Kind.CAMPAIGN else "canvases"
    return payload.get(key) if isinstance(payload, Mapping) else None


def parse_list_page(payload: Any, kind: Kind) -> tuple[ListedItem, ...]:
    """One page of ``campaigns`` or ``canvases``; entries without an ID are dropped, a missing name
    becomes the ID (so the entry can still be found and reported on)."""
    kind = Kind(kind)
    items = _items(payload, kind)
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
                is_api_campaign=api if isinstance(api, bool) and kind is Kind.CAMPAIGN else None,
            )
        )
    return tuple(out)


def raw_page_length(payload: Any, kind: Kind) -> int:
    """How many entries Braze sent on a page (before dropping unreadable ones), to detect the last page."""
    items = _items(payload, kind)
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
