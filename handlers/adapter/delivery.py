"""Getting a report into a Slack conversation, including the awkward cases.

Order: the summary message first, then the chart uploaded into its thread (``files_upload_v2`` with
``channel=`` and ``thread_ts=``), so the channel shows one compact message and the chart is one click
away. A public channel the bot is not in is joined (``channels:join``); where the bot cannot post at
all (a private channel or DM it was not invited to), the requester gets the summary privately through
``response_url`` with the ``/invite @sendstats`` fix.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from handlers.adapter.pacing import ChannelPacer
from handlers.adapter.ratelimit import DEFAULT_DEADLINE, PacedWebClient
from reports import deadline

log = logging.getLogger(__name__)
Block = dict[str, Any]

#: Errors that mean "the bot is not a member here" (joinable if the channel is public).
NOT_MEMBER = {"not_in_channel", "channel_not_found"}
#: Errors about the channel that no retry can fix; a digest pauses on these. Errors about the app
#: itself (a revoked token) are not here: pausing every subscription would outlive the fix.
PERMANENT = {"channel_not_found", "is_archived", "not_in_channel"}
INVITE_HINT = "I can't post in this conversation. Invite me with `/invite @sendstats` and try again."

EXPLANATIONS = {
    "is_archived": "this channel is archived, so nothing can be posted in it.",
    "channel_not_found": "I can't see this conversation (a private channel or DM I'm not in).",
    "not_in_channel": "I'm not a member of this channel.",
    "msg_too_long": "the report was too long for one Slack message.",
    "invalid_auth": "my Slack token was rejected; an admin should reinstall the app.",
    "ratelimited": "Slack is rate-limiting me; try again in a minute.",
}


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code from an API error (``unknown`` when the answer had none)."""
    return str(exc.response.get("error") or "unknown")


def explain(code: str) -> str:
    return EXPLANATIONS.get(code, f"Slack answered `{code}`.")


class DeliveryError(Exception):
    """The report could not be posted where it was asked for; ``code`` is Slack's error."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Delivered:
    """Where the report landed and what went wrong on the way (for the caller to tell the user)."""

    channel: str
    ts: str | None = None
    file_id: str | None = None
    private_fallback: bool = False
    problems: list[str] = field(default_factory=list)
    #: A chart was given to deliver; with ``file_id`` None it did not land (Slack's error is in ``problems``).
    chart_wanted: bool = False

    @property
    def chart_missing(self) -> bool:
        """The summary is posted but its chart is not: the delivery is unfinished (retry the chart alone)."""
        return self.chart_wanted and self.file_id is None


#: The deadline of one report's delivery (summary, chart and their rate-limit waits) before its chart
#: counts as failed. Long on purpose: a chart that arrives late beats a chart that never does.
DELIVERY_PATIENCE = 600.0
#: The deadline of a subscribe's ``users.info`` (rate-limit waits included) before ``DIGEST_TIMEZONE`` is used.
USER_INFO_PATIENCE = 10.0
#: Messages one history look-up reads (Slack's default ``limit``; ``SLACK_HISTORY_LIMIT``).
HISTORY_LIMIT = 100
#: After an upload whose outcome is unknown, how long a look-up for its file keeps looking: Slack shares
#: a file (and posts its message) only once it has processed it, seconds after the upload returned.
SHARE_WAIT = 15.0
#: Seconds after such an upload at which the look-up looks again (then once more at the wait's end), when
#: the history pace allows a look-up a second; at a slower pace it looks only at the wait's end.
SHARE_LOOKS = (2.0, 5.0)
#: Seconds between two history look-ups at Slack's Tier 3 (50 a minute).
TIER3_INTERVAL = 60 / 50


class SlackDelivery:
    """Posts messages and charts with channel joins and private fallbacks.

    Every call is paced by the :class:`PacedWebClient`'s token buckets, and 429s are waited out there;
    ``pacer`` is the client's per-channel pacer.
    """

    def __init__(
        self,
        client: PacedWebClient,
        *,
        patience: float = DELIVERY_PATIENCE,
        history_limit: int = HISTORY_LIMIT,
        share_wait: float = SHARE_WAIT,
        look_interval: float = TIER3_INTERVAL,
    ) -> None:
        self.client: WebClient = client
        self.pacer: ChannelPacer = client.pacer
        self.patience = patience
        #: At most this many messages per history look-up (15 for an app outside the Slack Marketplace).
        self.history_limit = history_limit
        self.share_wait = share_wait
        #: Seconds between two history look-ups at the pace they are allowed (60 for an app outside the
        #: Marketplace): a look-up's deadline leaves room to wait for its turn.
        self.look_interval = look_interval
        #: (channel, thread_ts, filename) → when an upload there ended that may have landed (its file may
        #: still be in processing, not yet shared): what :meth:`thread_file` waits for.
        self._recent_uploads: dict[tuple[str, str | None, str], float] = {}
        self._uploads_lock = threading.Lock()

    # -- small pieces ---------------------------------------------------------------------------

    def post(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[Block] | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """``chat.postMessage`` (paced); returns the message ts. ``metadata`` (Slack message metadata,
        ``{"event_type": …, "event_payload": {…}}``) tags the message so it can be found again."""
        extra = {"metadata": metadata} if metadata is not None else {}
        response = self.client.chat_postMessage(
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            **extra,
        )
        return str(response["ts"])

    def find_tagged(self, channel: str, event_type: str, payload: dict[str, Any], *, limit: int = 100) -> str | None:
        """The ts of a recent top-level message of ours tagged with ``event_type`` and a payload containing
        ``payload``, or None. ONE ``conversations.history`` call over the newest ``limit`` messages (at most
        ``history_limit``) with ``include_all_metadata``, joining a public channel first if need be."""
        limit = min(limit, self.history_limit)
        with deadline.unless_set(DEFAULT_DEADLINE + self.look_interval):  # room to wait for its turn
            return self._find_tagged(channel, event_type, payload, limit)

    def _find_tagged(self, channel: str, event_type: str, payload: dict[str, Any], limit: int) -> str | None:
        def look() -> str | None:
            response = self.client.conversations_history(channel=channel, limit=limit, include_all_metadata=True)
            for message in response.get("messages") or []:
                meta = message.get("metadata") or {}
                found = meta.get("event_payload") or {}
                if meta.get("event_type") == event_type and all(found.get(k) == v for k, v in payload.items()):
                    return str(message["ts"])
            return None

        return self.joined_retry(channel, look)

    def thread_file(self, channel: str, thread_ts: str, filename: str) -> str | None:
        """The id of a file named ``filename`` shared in ``thread_ts``'s thread, or None: tells whether a
        chart upload whose answer was lost landed.

        One ``conversations.replies`` call, unless this process made such an upload less than
        ``share_wait`` seconds ago: Slack shares a file only once it has processed it, so a file uploaded
        a moment ago may not be in the thread yet. Then it looks again at :data:`SHARE_LOOKS` (at Tier 3's
        pace) and once more when the wait is over, before answering None.
        """
        with deadline.unless_set(DEFAULT_DEADLINE + self.share_wait + 2 * self.look_interval):
            return self._thread_file_waiting(channel, thread_ts, filename)

    def _thread_file_waiting(self, channel: str, thread_ts: str, filename: str) -> str | None:
        found = self._thread_file(channel, thread_ts, filename)
        ended = self._upload_ended(channel, thread_ts, filename)
        if found is not None or ended is None:
            return found
        looks = [a for a in SHARE_LOOKS if a < self.share_wait] if self.look_interval <= 1.5 else []
        for after in (*looks, self.share_wait):
            delay = ended + after - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            found = self._thread_file(channel, thread_ts, filename)
            if found is not None:
                return found
        return None

    def _thread_file(self, channel: str, thread_ts: str, filename: str) -> str | None:
        response = self.client.conversations_replies(channel=channel, ts=thread_ts, limit=self.history_limit)
        for message in response.get("messages") or []:
            for shared in message.get("files") or []:
                if shared.get("name") == filename:
                    return str(shared.get("id"))
        return None

    def _note_upload(self, channel: str, thread_ts: str | None, filename: str) -> None:
        """An upload into ``thread_ts`` ended in a way that may have shared a file (success, or no answer)."""
        now = time.monotonic()
        with self._uploads_lock:
            self._recent_uploads = {k: t for k, t in self._recent_uploads.items() if now - t < self.share_wait}
            self._recent_uploads[(channel, thread_ts, filename)] = now

    def _upload_ended(self, channel: str, thread_ts: str | None, filename: str) -> float | None:
        with self._uploads_lock:
            ended = self._recent_uploads.get((channel, thread_ts, filename))
        return ended if ended is not None and time.monotonic() - ended < self.share_wait else None

    def upload(
        self,
        channel: str,
        *,
        png: bytes,
        filename: str,
        title: str,
        thread_ts: str | None,
        alt_text: str | None = None,
    ) -> str | None:
        """``files_upload_v2`` into ``thread_ts``; returns the file id. ``alt_text`` is what screen readers
        say for the image (Slack's ``alt_txt``).

        slack_sdk sends the bytes with plain urllib, whose failures escape as ``URLError``; they are
        turned into a ``SlackApiError``-like failure here so callers handle one kind of error.
        """
        try:
            response = self.client.files_upload_v2(
                channel=channel, thread_ts=thread_ts, content=png, filename=filename, title=title, alt_txt=alt_text
            )
        except SlackApiError as exc:
            if (getattr(exc.response, "status_code", 200) or 200) >= 500:
                self._note_upload(channel, thread_ts, filename)  # Slack may have completed it
            raise
        except urllib.error.URLError as exc:  # the bytes (or a connection) never got through
            raise SlackApiError("file bytes upload failed", {"ok": False, "error": "upload_failed"}) from exc
        except BaseException:  # no answer (a timeout, a dropped connection): it may have landed
            self._note_upload(channel, thread_ts, filename)
            raise
        self._note_upload(channel, thread_ts, filename)
        files = response.get("files") or [{}]
        return files[0].get("id")

    def join(self, channel: str) -> bool:
        """Join a public channel; False when Slack says it can't be joined (private, DM, archived)."""
        try:
            self.client.conversations_join(channel=channel)
            log.info("joined channel %s to deliver a report", channel)
            return True
        except SlackApiError as exc:
            log.info("could not join %s: %s", channel, slack_error(exc))
            return False

    def post_joining(self, channel: str, *, text: str, blocks: list[Block] | None = None) -> str:
        """``post``, joining the channel first if Slack says we're not in it (public channels)."""
        return self.joined_retry(channel, lambda: self.post(channel, text=text, blocks=blocks))

    def respond_privately(self, response_url: str, *, text: str, blocks: list[Block] | None = None) -> bool:
        """An ephemeral reply through the command's ``response_url`` (5 uses, 30 minutes)."""
        try:
            result = WebhookClient(response_url, timeout=10).send(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
        except Exception as exc:  # unreachable, expired or malformed: the caller falls back, one line is enough
            log.warning("response_url failed: %s: %s", type(exc).__name__, str(exc)[:120])
            return False
        if result.status_code != 200:
            log.warning("response_url answered %s", result.status_code)
        return result.status_code == 200

    def post_ephemeral(self, channel: str, user_id: str, *, text: str, thread_ts: str | None = None) -> bool:
        """``chat.postEphemeral``: only ``user_id`` sees it. False when Slack refuses (e.g. not in channel)."""
        try:
            self.client.chat_postEphemeral(channel=channel, user=user_id, text=text, thread_ts=thread_ts)
            return True
        except SlackApiError as exc:
            log.info("ephemeral to %s in %s refused: %s", user_id, channel, slack_error(exc))
            return False

    def direct_message(self, user_id: str, *, text: str) -> bool:
        """A DM from the app (posting to a user ID opens the app's DM with them). False when Slack refuses."""
        try:
            self.post(user_id, text=text)
            return True
        except SlackApiError as exc:
            log.info("DM to %s refused: %s", user_id, slack_error(exc))
            return False

    def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        """``views.publish``: the user's App Home tab."""
        self.client.views_publish(user_id=user_id, view=view)

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        """``views.open`` with a command's or button's ``trigger_id`` (valid for 3 s); returns the view id."""
        response = self.client.views_open(trigger_id=trigger_id, view=view)
        return str((response.get("view") or {}).get("id") or "")

    def user_timezone(self, user_id: str) -> str | None:
        """The user's Slack time zone (``users.info`` → ``tz``), or None when Slack has none or refuses."""
        try:
            with deadline.within(USER_INFO_PATIENCE):  # a fallback zone exists; the subscriber is waiting
                tz = self.client.users_info(user=user_id)["user"].get("tz")
        except (SlackApiError, KeyError, TypeError) as exc:
            log.info("no Slack time zone for %s (%s)", user_id, type(exc).__name__)
            return None
        return str(tz) if tz else None

    # -- the whole report -----------------------------------------------------------------------

    def joined_retry(self, channel: str, action: Any) -> Any:
        """Run ``action``; if Slack says we're not a member, join (public channels) and run it again."""
        try:
            return action()
        except SlackApiError as exc:
            if slack_error(exc) not in NOT_MEMBER or not self.join(channel):
                raise
        return action()

    def deliver_report(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[Block],
        png: bytes | None,
        filename: str,
        title: str,
        thread_ts: str | None = None,
        response_url: str | None = None,
        alt_text: str | None = None,
    ) -> Delivered:
        """Summary message, then the chart in its thread (``alt_text``: the chart's screen-reader text).
        Raises :class:`DeliveryError` only when nothing could be delivered anywhere (no ``response_url`` to
        fall back on).

        The summary and the chart, with their retries and rate-limit waits, get ``self.patience`` seconds
        in all (one deadline). A chart that still fails leaves ``chart_missing`` set, and a note in the
        thread says why (its own call, after that deadline): the summary is never posted again for it.
        """
        with deadline.within(self.patience):
            result, chart_error = self._deliver(
                channel, text, blocks, png, filename, title, thread_ts, response_url, alt_text
            )
        if chart_error is not None:
            self._explain_missing_chart(channel, thread_ts or result.ts, chart_error)
        return result

    def _explain_missing_chart(self, channel: str, reply_to: str | None, code: str) -> None:
        hint = INVITE_HINT if code in NOT_MEMBER else f"The chart could not be attached: {explain(code)}"
        try:
            self.post(channel, text=f"📈 {hint}", thread_ts=reply_to)
        except SlackApiError:
            log.warning("could not explain the missing chart in %s", channel)

    def _deliver(
        self,
        channel: str,
        text: str,
        blocks: list[Block],
        png: bytes | None,
        filename: str,
        title: str,
        thread_ts: str | None,
        response_url: str | None,
        alt_text: str | None = None,
    ) -> tuple[Delivered, str | None]:
        """What landed, and Slack's error when the chart upload failed."""
        result = Delivered(channel=channel, chart_wanted=png is not None)
        try:
            result.ts = self.joined_retry(
                channel, lambda: self.post(channel, text=text, blocks=blocks, thread_ts=thread_ts)
            )
        except SlackApiError as exc:
            code = slack_error(exc)
            log.warning("posting report to %s failed: %s", channel, code)
            if response_url and code in NOT_MEMBER | {"is_archived"}:
                note = {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": f"⚠️ {INVITE_HINT} (Only you can see this.)"}],
                }
                result.private_fallback = self.respond_privately(response_url, text=text, blocks=[note, *blocks])
                result.problems.append(code)
                if result.private_fallback:
                    return result, None
            raise DeliveryError(code) from exc
        if png is None:
            return result, None
        reply_to = thread_ts or result.ts
        try:
            result.file_id = self.joined_retry(
                channel,
                lambda: self.upload(
                    channel, png=png, filename=filename, title=title, thread_ts=reply_to, alt_text=alt_text
                ),
            )
        except SlackApiError as exc:
            code = slack_error(exc)
            log.warning("chart upload to %s failed: %s", channel, code)
            result.problems.append(code)
            return result, code
        return result, None
