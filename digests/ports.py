"""The digest round's only view of Slack, one call per step that matters: post the message (tagged with
its delivery id), look for it when an answer was lost, attach the chart, look for the chart, tell a
subscriber privately.

``handlers`` implements :class:`DigestSender` (Block Kit, pacing, joins); the round stays free of Slack
so it can be tested, and later reused, without a Slack client. The steps are separate so the round can
record each one the moment it happens, and resume a crashed digest at the step it stopped at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from digests.records import Subscription
from reports.daily import Digest


class SendFailed(Exception):
    """Slack refused a digest step, or its answer never came.

    ``permanent``: no retry can fix it (the channel is gone or closed to the bot); the subscription is
    paused instead. ``unknown``: the request was sent but no answer came (timeout, dropped connection,
    Slack 5xx), so it may have taken effect; look before doing it again.
    """

    def __init__(self, code: str, *, permanent: bool, explanation: str = "", unknown: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.permanent = permanent
        self.unknown = unknown
        self.explanation = explanation or f"Slack answered `{code}`."


@dataclass(frozen=True)
class Posted:
    """Where a digest landed: its message ``ts`` in the subscription's channel."""

    ts: str | None


class DigestSender(Protocol):
    def post_message(
        self,
        sub: Subscription,
        digest: Digest,
        *,
        title: str,
        delivery_id: int,
        digest_date: date,
        chart_follows: bool,
    ) -> Posted:
        """Post the digest's message, tagged with ``delivery_id`` and ``digest_date`` (message metadata);
        :class:`SendFailed` if it fails."""
        ...

    def find_message(self, sub: Subscription, *, delivery_id: int, digest_date: date) -> Posted | None:
        """The digest message tagged ``delivery_id`` among the channel's messages since ``digest_date`` began,
        or None. Only a message this install posted counts."""
        ...

    def attach_chart(self, sub: Subscription, digest: Digest, *, ts: str, title: str, png: bytes) -> str | None:
        """Upload the chart into the message's thread (the fallback, and the per-channel mode); the file id.
        :class:`SendFailed`."""
        ...

    def upload_chart(self, digest: Digest, *, title: str, png: bytes) -> str:
        """Upload the digest's chart once for every channel, without a channel (private to the app); its file
        id. :class:`SendFailed`."""
        ...

    def post_chart(
        self, sub: Subscription, digest: Digest, *, ts: str, file_id: str, title: str, delivery_id: int
    ) -> str:
        """Reply in the message's thread with an image block showing the uploaded chart ``file_id``, tagged with
        ``delivery_id`` (message metadata) and posted once; the reply's ts. :class:`SendFailed`:
        ``invalid_blocks`` while Slack is still processing the file, or where it refuses to show it."""
        ...

    def find_chart_reply(self, sub: Subscription, *, ts: str, delivery_id: int) -> str | None:
        """The ts of this delivery's chart reply in the message's thread, or None."""
        ...

    def find_chart(self, sub: Subscription, digest: Digest, *, ts: str) -> str | None:
        """The id of this digest's chart if it is already in the message's thread, or None."""
        ...

    def note_missing_chart(self, sub: Subscription, *, ts: str, failure: SendFailed) -> None:
        """Say in the thread that the chart could not be attached, and why."""
        ...

    def tell_paused(self, sub: Subscription, failure: SendFailed) -> None:
        """Tell the subscriber privately (DM) that their digest is paused, why, and the command that resumes it."""
        ...

    def tell_missed(self, sub: Subscription, day: date, reason: str) -> None:
        """Tell the subscriber privately (DM), once, that a day's digest could not be posted, and why."""
        ...
