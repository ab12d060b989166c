"""The digest round's only view of Slack: post a built digest, tell a subscriber privately.

``handlers`` implements :class:`DigestSender` (Block Kit, pacing, joins); the round stays free of Slack
so it can be tested, and later reused, without a Slack client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from digests.records import Subscription
from reports.daily import Digest


class SendFailed(Exception):
    """Slack refused a digest. ``permanent`` means no retry can fix it (the channel is gone or closed
    to the bot), and the subscription is paused instead."""

    def __init__(self, code: str, *, permanent: bool, explanation: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.permanent = permanent
        self.explanation = explanation or f"Slack answered `{code}`."


@dataclass(frozen=True)
class Posted:
    """Where a digest landed: its message ``ts`` in the subscription's channel."""

    ts: str | None


class DigestSender(Protocol):
    def post_digest(self, sub: Subscription, digest: Digest, *, title: str, png: bytes | None) -> Posted:
        """Post one digest (summary, then chart in its thread); raise :class:`SendFailed` if Slack refuses."""
        ...

    def tell_paused(self, sub: Subscription, failure: SendFailed) -> None:
        """Tell the subscriber privately (DM) that their digest is paused, why, and how to resume."""
        ...
