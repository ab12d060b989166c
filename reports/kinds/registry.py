"""Every report kind, by :class:`reports.kinds.Kind`: the one place a new kind is added.

::

    REGISTRY
    ├── Kind.SEND      → reports/kinds/send.py      SendKind      one API send of a campaign
    ├── Kind.CAMPAIGN  → reports/kinds/campaign.py  CampaignKind  a whole campaign, per channel  (OpenEndedKind)
    └── Kind.CANVAS    → reports/kinds/canvas.py    CanvasKind    a Canvas, per variant          (OpenEndedKind)

A fourth kind is one module implementing :class:`reports.kinds.base.ReportKind` (or
:class:`~reports.kinds.base.OpenEndedKind`), a member of :class:`~reports.kinds.Kind`, and a line here.
"""

from __future__ import annotations

from reports.kinds import Kind
from reports.kinds.base import ReportKind
from reports.kinds.campaign import CAMPAIGN
from reports.kinds.canvas import CANVAS
from reports.kinds.send import SEND

REGISTRY: dict[Kind, ReportKind] = {kind.kind: kind for kind in (SEND, CAMPAIGN, CANVAS)}
#: Kinds whose commands start with their word (``/sendstats campaign …``), by that word.
COMMANDS: dict[str, ReportKind] = {k.command: k for k in REGISTRY.values() if k.command}
#: The kind whose commands start with its IDs (``/sendstats <campaign_id> <send_id>``): a send.
BARE: ReportKind = next(k for k in REGISTRY.values() if not k.command)
#: Kinds Braze lists (and so the catalogue searches), in the order they are read.
LISTED: tuple[ReportKind, ...] = tuple(k for k in REGISTRY.values() if k.list_permission)


def kind_of(kind: Kind | str) -> ReportKind:
    """The registered kind ``kind`` names (a stored string is fine). Raises ``ValueError`` for a word that
    is no kind."""
    return REGISTRY[Kind(kind)]


def by_command(word: str) -> ReportKind | None:
    """The kind whose command word is ``word`` (any case), or None."""
    return COMMANDS.get(word.lower())
