"""A Slack client that paces itself to Slack's rate-limit tiers and waits out 429s.

Every Web API call, including an upload's steps (and the three that ``files_upload_v2`` makes), passes through
:meth:`PacedWebClient.api_call`. There it first takes a token from its method's per-workspace bucket
(and, for ``chat.postMessage``, from the channel's bucket), so a digest round's 100 uploads are spread
to Tier 4's pace instead of being refused. If Slack still answers 429, the whole bucket is held for
``Retry-After`` and the call is tried again, for as long as the operation's deadline
(:mod:`reports.deadline`, the one Braze calls use too) allows. Only then does the caller see the error.
slack_sdk's own RateLimitErrorRetryHandler is not used: it retries each call alone and knows nothing of
the bucket. The same deadline bounds every socket operation and retry of the call
(:mod:`handlers.adapter.deadline`).

Tiers are Slack's, per method, per app, per workspace (https://docs.slack.dev/apis/web-api/rate-limits
and each method's page): Tier 1 1+/min, Tier 2 20+/min, Tier 3 50+/min, Tier 4 100+/min. Bursts are our
choice, kept below what Slack tolerates ("generous" for Tier 4, "sporadic" for Tier 3).
``chat.postMessage`` has its own limits (per channel and per workspace, :class:`ChannelPacer`), and the
message a file share creates takes a token from its channel's bucket.
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

#: tier → (calls per second, burst). Tier 1's burst is large for its rate: its one method,
#: ``apps.connections.open``, runs when Slack asks for a new Socket Mode connection, and that must not wait.
TIERS: dict[int, tuple[float, int]] = {
    1: (1 / 60, 10),
    2: (20 / 60, 3),
    3: (50 / 60, 8),
    4: (100 / 60, 15),
}
#: Every Web API method the bot calls, with Slack's documented tier (each method's page, "Rate limits"),
#: except ``chat.postMessage`` (:data:`SPECIAL_METHODS`). ``auth.test`` is "Special: hundreds of requests
#: per minute" and is paced as Tier 4. ``tests/handlers/test_slack_calls.py`` checks this table against the
#: calls in the code, both ways.
METHOD_TIERS: dict[str, int] = {
    "apps.connections.open": 1,
    "auth.test": 4,
    "chat.postEphemeral": 4,
    "conversations.history": 3,
    "conversations.join": 3,
    "conversations.replies": 3,
    "files.completeUploadExternal": 4,
    "files.getUploadURLExternal": 4,
    "users.info": 4,
    "views.open": 4,
    "views.publish": 4,
}
#: The deadline of a call made outside any operation's deadline: its retries, rate-limit waits and
#: answer all within this.
DEFAULT_DEADLINE = 60.0
#: Methods with their own limits instead of a tier: ``chat.postMessage`` is paced per channel and per
#: workspace by :class:`handlers.adapter.pacing.ChannelPacer`.
SPECIAL_METHODS = frozenset({"chat.postMessage"})
#: The look-ups in history. Slack puts them in Tier 3, but for apps distributed outside the Slack
#: Marketplace at 1 call per minute with at most 15 messages (changelog 2025-05-29): the settings
#: ``SLACK_HISTORY_CALLS_PER_MINUTE`` and ``SLACK_HISTORY_LIMIT`` say which applies.
HISTORY_METHODS = ("conversations.history", "conversations.replies")


#: The history look-ups are paced this much under the stated rate: Slack counts a call when it arrives, the
#: bucket when it leaves, and on a busy host or network a call can arrive seconds late, landing inside the
#: previous call's minute at 1 call a minute.
HISTORY_MARGIN = 0.9


def history_rate(calls_per_minute: float) -> tuple[float, int]:
    """(calls per second, burst) for the history look-ups: Tier 3's burst at Tier 3's pace or above, and
    proportionally fewer at a lower pace (one call at 1 per minute); the pace kept ``HISTORY_MARGIN`` under
    the stated rate."""
    burst = TIERS[3][1]
    per_minute_tier3 = TIERS[3][0] * 60
    rate = calls_per_minute / 60 * HISTORY_MARGIN
    return rate, max(1, min(burst, int(burst * calls_per_minute / per_minute_tier3)))


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


def _shared_in(kwargs: dict[str, Any]) -> str | None:
    """The channel a ``files.completeUploadExternal`` shares into (slack_sdk sends it as ``params``)."""
    channel = (kwargs.get("params") or {}).get("channel_id")
    return str(channel) if channel else None


class PacedWebClient(WebClient):
    """``WebClient`` whose every call is paced by token buckets and waits out 429s (see module doc)."""

    def __init__(
        self,
        *args: Any,
        limits: Buckets | None = None,
        pacer: ChannelPacer | None = None,
        rates: dict[str, tuple[float, int]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        slack_deadline.bound(self)
        self.limits = limits or Buckets()
        self.pacer = pacer or ChannelPacer()
        #: (calls per second, burst) by method: each method's tier, unless ``rates`` says otherwise (the
        #: history look-ups of a non-Marketplace install).
        self.rates: dict[str, tuple[float, int]] = {m: TIERS[t] for m, t in METHOD_TIERS.items()} | (rates or {})
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
        rate = self.rates.get(api_method)
        channel = _channel_of(kwargs) if api_method == "chat.postMessage" else None
        # A file shared into a channel makes a message there, which counts against the channel's pace.
        shared_in = _shared_in(kwargs) if api_method == "files.completeUploadExternal" else None
        while True:
            try:
                if channel is not None:
                    self.pacer.wait(channel, ends)
                if shared_in is not None:
                    self.pacer.wait_channel(shared_in, ends)
                if rate is not None:
                    self.limits.acquire((self._workspace, api_method), *rate, deadline=ends)
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
                    self.pacer.hold(channel, seconds)  # every channel's posts wait, not only this one's
                elif rate is not None:
                    self.limits.hold((self._workspace, api_method), *rate, seconds)
                else:  # an unpaced method: wait it out alone
                    if time.monotonic() + seconds > ends:
                        raise
                    time.sleep(seconds)
                    continue
                if time.monotonic() + seconds > ends:
                    raise
