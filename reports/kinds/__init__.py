"""What sendstats reports on, named once: the :class:`Kind` of a report, and its :class:`Target`.

Each kind is one module here (``send``, ``campaign``, ``canvas``) implementing one interface
(:class:`reports.kinds.base.ReportKind`), and :mod:`reports.kinds.registry` lists them. This
``__init__`` imports none of them, so the lowest modules (the Braze list parser, the stored records)
can name a kind without importing the kinds' code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """A report kind; its value is the word people type (``/sendstats campaign …``) and we store."""

    SEND = "send"
    CAMPAIGN = "campaign"
    CANVAS = "canvas"


@dataclass(frozen=True, slots=True)
class Target:
    """What a report or a subscription is about. For a send, ``object_id`` is its campaign's ID and
    ``send_id`` the send's; for a campaign or Canvas, ``object_id`` is its own ID and ``send_id`` ""."""

    kind: Kind
    object_id: str
    send_id: str = ""

    @property
    def ident(self) -> str:
        """The most specific ID: the send's, else the campaign's or Canvas's."""
        return self.send_id or self.object_id

    @property
    def ids(self) -> tuple[str, ...]:
        """The IDs a command names, in order (a send: campaign ID, send ID)."""
        return (self.object_id, self.send_id) if self.send_id else (self.object_id,)


@dataclass(frozen=True, slots=True)
class Words:
    """How people call a kind: every label of it comes from here."""

    #: Mid-sentence: "send", "campaign", "Canvas" (Braze's name for a product keeps its capital).
    noun: str
    #: At the start of a line or before an ID: "Send", "Campaign", "Canvas".
    title: str
    plural: str
    icon: str


@dataclass(frozen=True, slots=True)
class IdField:
    """One ID a command names: its placeholder in usage lines and its name in messages."""

    placeholder: str
    name: str
