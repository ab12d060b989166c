"""A Slack client that paces itself to Slack's rate-limit tiers and waits out 429s.

Every Web API call, including the three that ``files_upload_v2`` makes, passes through
:meth:`PacedWebClient.api_call`. There it first takes a token from its method's per-workspace bucket
(and, for ``chat.postMessage``, from the channel's bucket), so a digest round's 100 uploads are spread
to Tier 4's pace instead of being refused. If Slack still answers 429, the whole bucket is held for
``Retry-After`` and the call is tried again, for as long as the operation's deadline
(:mod:`reports.deadline`, the one Braze calls use too) allows. Only then does the caller see the error.
slack_sdk's own RateLimitErrorRetryHandler is not used: it retries each call alone and knows nothing of
the bucket. The same deadline bounds every socket operation and retry of the call
(:mod:`handlers.adapter.deadline`).

Tiers are Slack's, per method, per app, per workspace (https://api.slack.com/apis/rate-limits and
each method's page): Tier 2 20+/min, Tier 3 50+/min, Tier 4 100+/min. Bursts are our choice, kept
below what Slack tolerates ("generous" for Tier 4, "sporadic" for Tier 3).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.adapter import deadline as slack_deadline
from handlers.adapter.pacing import Buckets, ChannelPacer, RateLimitWait
from reports import deadline

log = logging.getLogger(__name__)

#: tier → (calls per second, burst).
TIERS: dict[int, tuple[float, int]] = {
    2: (20 / 60, 3),
    3: (50 / 60, 8),
    4: (100 / 60, 15),
}
#: The rate-limited methods the bot calls, with Slack's documented tier.
METHOD_TIERS: dict[str, int] = {
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
    "users.info": 4,
    "views.publish": 4,
    "chat.postEphemeral": 4,
    "conversations.join": 3,
    "conversations.open": 3,
    "conversations.info": 3,
    "conversations.history": 3,
    "chat.update": 3,
    "reactions.add": 3,
}
#: The deadline of a call made outside any operation's deadline: its retries, rate-limit waits and
#: answer all within this.
DEFAULT_DEADLINE = 60.0


def retry_after(exc: SlackApiError, default: float = 1.0) -> float:
    """Seconds from a 429's ``Retry-After`` header (``default`` when absent or unreadable)."""
    headers = getattr(exc.response, "headers", None) or {}
    for name, value in dict(headers).items():
        if str(name).lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                break
    return default


def _status(exc: SlackApiError) -> int | None:
    return getattr(exc.response, "status_code", None)


def _channel_of(kwargs: dict[str, Any]) -> str | None:
    """The channel of a ``chat.postMessage`` (slack_sdk sends its arguments as ``json``)."""
    channel = (kwargs.get("json") or {}).get("channel")
    return str(channel) if channel else None


class PacedWebClient(WebClient):
    """``WebClient`` whose every call is paced by token buckets and waits out 429s (see module doc)."""

    def __init__(
        self,
        *args: Any,
        limits: Buckets | None = None,
        pacer: ChannelPacer | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        slack_deadline.bound(self)
        self.limits = limits or Buckets()
        self.pacer = pacer or ChannelPacer()
        self._workspace = hashlib.sha256((self.token or "").encode()).hexdigest()[:12]
        self._count_lock = threading.Lock()
        #: 429 answers seen (bench and logs); the calls behind them were retried or reported.
        self.rate_limited = 0

    def api_call(self, api_method: str, **kwargs: Any) -> Any:  # type: ignore[override]
        with deadline.unless_set(DEFAULT_DEADLINE):
            ends = deadline.end()
            assert ends is not None
            return self._paced_call(api_method, ends, **kwargs)

    def files_upload_v2(self, **kwargs: Any) -> Any:  # type: ignore[override]
        """One operation, one deadline: its three steps, the bytes' upload included (slack_sdk sends the
        bytes with urllib directly, outside :meth:`api_call`)."""
        with deadline.unless_set(DEFAULT_DEADLINE):
            return super().files_upload_v2(**kwargs)

    def _paced_call(self, api_method: str, ends: float, **kwargs: Any) -> Any:
        tier = METHOD_TIERS.get(api_method)
        channel = _channel_of(kwargs) if api_method == "chat.postMessage" else None
        while True:
            try:
                if channel is not None:
                    self.pacer.wait(channel, ends)
                if tier is not None:
                    self.limits.acquire((self._workspace, api_method), *TIERS[tier], deadline=ends)
            except RateLimitWait as wait:
                raise SlackApiError(
                    f"{api_method}: rate limit wait past the deadline", {"ok": False, "error": "ratelimited"}
                ) from wait
            try:
                return super().api_call(api_method, **kwargs)
            except SlackApiError as exc:
                if _status(exc) != 429:
                    raise
                seconds = retry_after(exc)
                with self._count_lock:
                    self.rate_limited += 1
                log.info("%s answered 429; holding its bucket for %.1f s", api_method, seconds)
                if channel is not None:
                    self.pacer.hold(channel, seconds)
                elif tier is not None:
                    self.limits.hold((self._workspace, api_method), *TIERS[tier], seconds)
                else:  # an unpaced method: wait it out alone
                    if time.monotonic() + seconds > ends:
                        raise
                    time.sleep(seconds)
                    continue
                if time.monotonic() + seconds > ends:
                    raise
