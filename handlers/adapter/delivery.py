"""Getting a report into a Slack conversation, including the awkward cases.

Order: the summary message first, then the chart uploaded into its thread (``files.getUploadURLExternal``,
the bytes, then ``files.completeUploadExternal`` with ``channel_id`` and ``thread_ts``), so the channel
shows one compact message and the chart is one click away.

Manners:

* **It joins only where someone asked.** A public channel the bot is not in is joined
  (``channels:join``) only for a request made in that channel (a command, a mention, a button:
  :meth:`SlackDelivery.joined_retry`); digests and look-ups never join, so a channel that removed the
  bot stays without it. Where the bot cannot post at all (a private channel or DM it was not invited
  to), the requester gets the summary privately through ``response_url`` with the ``/invite @sendstats``
  fix.
* **A post is made once.** A call that posts is never repeated blindly (no retry handler repeats it:
  :data:`handlers.adapter.deadline.POSTING_METHODS`). When its answer is lost (a 5xx, a dropped
  connection, a timeout: :func:`outcome_unknown`), the adapter looks for it (the message by its
  metadata, the chart by its file id in the thread) and posts again only if it is not there.
* **It finds only its own.** A look-up matches a message only if this bot wrote it (``auth.test``'s
  bot and app IDs), it carries this install's key (:class:`Identity`) and it is newer than ``oldest``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from http.client import HTTPException
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from handlers.adapter.pacing import ChannelPacer
from handlers.adapter.ratelimit import DEFAULT_DEADLINE, PacedWebClient
from reports import deadline

log = logging.getLogger(__name__)
Block = dict[str, Any]
T = TypeVar("T")

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
    "outcome_unknown": (
        "Slack did not answer, and I could not check whether it arrived: look in the channel before asking again."
    ),
    "upload_lost": "Slack did not answer the upload, and it never arrived.",
    "no_answer": "Slack did not answer; try again in a minute.",
}
#: Message metadata event type of on-demand reports (digests have their own, in the digests' sender).
REPORT_EVENT = "sendstats_report"
#: Seconds before the start of an operation that its look-ups still read: Slack stamps a message with
#: its own clock, which may be a little behind ours.
OLDEST_MARGIN = 60.0
#: Posts of one message tried in all, each after a look-up found the one before had not landed.
POST_TRIES = 3
#: Uploads of one chart tried in all, likewise (the look-up waits for Slack to share the file first).
UPLOAD_TRIES = 2
#: Look-ups after a lost answer, when the look-up itself gets no answer, before the outcome stays unknown.
LOOK_TRIES = 3


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return f"HTTP {getattr(exc.response, 'status_code', '?')} {slack_error(exc)}"
    return type(exc).__name__


def _pause(seconds: float) -> None:
    """Wait before trying again, never past the operation's deadline."""
    left = deadline.remaining()
    time.sleep(max(0.0, seconds if left is None else min(seconds, left - 0.5)))


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code from an API error (``unknown`` when the answer had none)."""
    return str(exc.response.get("error") or "unknown")


def explain(code: str) -> str:
    return EXPLANATIONS.get(code, f"Slack answered `{code}`.")


def outcome_unknown(exc: BaseException) -> bool:
    """The request went out and nothing says what Slack did with it: a 5xx, a timeout, a dropped
    connection. Slack may have done the work, so look before doing it again. (A refused connection counts
    too: urllib does not tell it from one dropped after sending.)"""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", None)
        return isinstance(status, int) and status >= 500
    return isinstance(exc, TimeoutError | urllib.error.URLError | HTTPException | ConnectionError)


def _failure(code: str, message: str) -> SlackApiError:
    """A failure of ours in slack_sdk's shape, so callers handle one kind of error."""
    return SlackApiError(message, {"ok": False, "error": code})


@dataclass(frozen=True)
class Identity:
    """Who this bot is (``auth.test``: its user, bot and app IDs, its workspace) and the key of this
    install, which every tagged message carries.

    The key is a hash of the workspace, the app and a random salt kept in this install's database: two
    deployments of the same Slack app (production and staging, or a copy restored elsewhere) number their
    digests and reports from the same counters, and the bot and app IDs alone cannot tell their messages
    apart; the database can, since it is what hands out those numbers. The workspace and app are in the
    hash so a database restored into another workspace or app does not carry the key along.
    """

    user_id: str
    bot_id: str
    app_id: str | None
    team_id: str
    install_key: str

    def wrote(self, message: dict[str, Any]) -> bool:
        """This bot posted ``message``: its ``bot_id`` is ours, and its ``app_id`` too where both are known."""
        if not self.bot_id or message.get("bot_id") != self.bot_id:
            return False
        app = message.get("app_id")
        return app is None or self.app_id is None or app == self.app_id

    def uploaded(self, file: dict[str, Any]) -> bool:
        """This bot uploaded ``file`` (a file object's ``user`` is its uploader)."""
        return bool(self.user_id) and file.get("user") == self.user_id


def install_key(team_id: str, app_id: str, salt: str) -> str:
    return hashlib.sha256(f"{team_id}:{app_id}:{salt}".encode()).hexdigest()[:16]


class DeliveryError(Exception):
    """The report could not be posted where it was asked for; ``code`` is Slack's error."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Attachment:
    """One file of an upload: its bytes, name, title and (for an image) what a screen reader says."""

    content: bytes
    filename: str
    title: str
    alt_text: str | None = None


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
    #: Every file uploaded into the thread (the chart first, when there is one), in order.
    file_ids: list[str] = field(default_factory=list)

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
        install_salt: Callable[[], str] | None = None,
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
        #: The install's salt (:class:`Identity`), read once; None: the key hashes the workspace and app only.
        self._install_salt = install_salt
        self._identity: Identity | None = None
        self._identity_lock = threading.Lock()

    # -- who we are ------------------------------------------------------------------------------

    def identity(self) -> Identity:
        """This bot's IDs (one ``auth.test``, then kept) and this install's key (:class:`Identity`)."""
        with self._identity_lock:
            if self._identity is None:
                me = self.client.auth_test()
                team, app = str(me.get("team_id") or ""), str(me.get("app_id") or "")
                salt = self._install_salt() if self._install_salt is not None else ""
                self._identity = Identity(
                    user_id=str(me.get("user_id") or ""),
                    bot_id=str(me.get("bot_id") or ""),
                    app_id=app or None,
                    team_id=team,
                    install_key=install_key(team, app or str(me.get("bot_id") or ""), salt),
                )
            return self._identity

    def tag(self, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Slack message metadata that finds the message again (:meth:`find_tagged`): ``event_type``, and
        ``payload`` with this install's key added (``install``)."""
        return {"event_type": event_type, "event_payload": {**payload, "install": self.identity().install_key}}

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
        """``chat.postMessage`` (paced), sent once; returns the message ts. ``metadata`` (Slack message metadata,
        ``{"event_type": …, "event_payload": {…}}``, best made by :meth:`tag`) tags the message so it can be
        found again."""
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

    def post_tagged(
        self,
        channel: str,
        *,
        text: str,
        metadata: dict[str, Any],
        oldest: float,
        blocks: list[Block] | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """:meth:`post` a message tagged with ``metadata`` so that it lands exactly once: when the answer is
        lost (:func:`outcome_unknown`), look for it (:meth:`find_tagged`, in ``thread_ts``'s thread if
        given, newer than ``oldest``) and post again only if it is not there, :data:`POST_TRIES` posts at
        most. Raises Slack's refusal, ``no_answer`` when no post was answered and none landed, or
        ``outcome_unknown`` when the look-ups could not tell whether a post landed (all ``SlackApiError``s)."""
        payload = metadata["event_payload"]
        for attempt in range(1, POST_TRIES + 1):
            try:
                return self.post(channel, text=text, blocks=blocks, thread_ts=thread_ts, metadata=metadata)
            except Exception as exc:
                if not outcome_unknown(exc):
                    raise
                log.warning("post in %s: no answer (%s); looking for it", channel, _describe(exc))
                lost = exc
            found = self._look_again(
                lambda: self.find_tagged(
                    channel, metadata["event_type"], payload, oldest=oldest, thread_ts=thread_ts
                ),
                lost,
            )
            if found is not None:
                log.info("post in %s had landed before its answer was lost (ts %s)", channel, found)
                return found
            if attempt == POST_TRIES:  # each post went unanswered, and none of them landed
                raise _failure("no_answer", f"{POST_TRIES} posts unanswered, none landed") from lost
            _pause(float(attempt))
        raise AssertionError("unreachable")

    def _look_again(self, look: Callable[[], T], lost: BaseException) -> T:
        """Run a look-up made after ``lost``; when the look-up itself gets no answer, try it again. If no
        look-up answers, or Slack refuses it (say ``not_in_channel``: never a reason to join and post again),
        fail with ``outcome_unknown``: nobody can say whether the first call landed."""
        for attempt in range(1, LOOK_TRIES + 1):
            try:
                return look()
            except Exception as exc:
                if not outcome_unknown(exc) and not isinstance(exc, SlackApiError):
                    raise
                if attempt == LOOK_TRIES or not outcome_unknown(exc):
                    log.warning("could not tell whether a call landed: the look-up failed (%s)", _describe(exc))
                    raise _failure("outcome_unknown", "the answer was lost, and the look-ups failed") from lost
                _pause(float(attempt))
        raise AssertionError("unreachable")

    def find_tagged(
        self,
        channel: str,
        event_type: str,
        payload: dict[str, Any],
        *,
        oldest: float | None,
        thread_ts: str | None = None,
        limit: int = HISTORY_LIMIT,
    ) -> str | None:
        """The ts of a message this bot posted (:meth:`Identity.wrote`) for this install, tagged with
        ``event_type`` and a payload containing ``payload``, or None.

        ONE call with ``include_all_metadata``: ``conversations.history`` (top-level messages), or
        ``conversations.replies`` in ``thread_ts``'s thread, over the newest ``limit`` messages (at most
        ``history_limit``) newer than ``oldest`` (a Unix time). It never joins a channel: a channel the bot
        is not in gives Slack's ``not_in_channel`` or ``channel_not_found``."""
        me = self.identity()
        wanted = {**payload, "install": me.install_key}
        limit = min(limit, self.history_limit)
        with deadline.unless_set(DEFAULT_DEADLINE + self.look_interval):  # room to wait for its turn
            for message in self._messages(channel, thread_ts, oldest, limit, metadata=True):
                meta = message.get("metadata") or {}
                found = meta.get("event_payload") or {}
                if (
                    me.wrote(message)
                    and meta.get("event_type") == event_type
                    and all(found.get(k) == v for k, v in wanted.items())
                ):
                    return str(message["ts"])
        return None

    def _messages(
        self, channel: str, thread_ts: str | None, oldest: float | None, limit: int, *, metadata: bool = False
    ) -> list[dict[str, Any]]:
        """One page of a channel's history (``thread_ts`` None) or of a thread, newer than ``oldest``."""
        bound = {"oldest": f"{oldest:.6f}"} if oldest is not None else {}
        extra = {"include_all_metadata": True} if metadata else {}
        if thread_ts is None:
            response = self.client.conversations_history(channel=channel, limit=limit, **bound, **extra)
        else:
            response = self.client.conversations_replies(
                channel=channel, ts=thread_ts, limit=limit, **bound, **extra
            )
        return list(response.get("messages") or [])

    def thread_file(
        self,
        channel: str,
        thread_ts: str,
        filename: str,
        *,
        file_id: str | None = None,
        oldest: float | None = None,
    ) -> str | None:
        """The id of a file this bot uploaded and shared in ``thread_ts``'s thread (the one with ``file_id``
        if given, else one named ``filename``), newer than ``oldest``, or None: tells whether a chart upload
        whose answer was lost landed.

        One ``conversations.replies`` call, unless this process made such an upload less than
        ``share_wait`` seconds ago: Slack shares a file only once it has processed it, so a file uploaded
        a moment ago may not be in the thread yet. Then it looks again at :data:`SHARE_LOOKS` (at Tier 3's
        pace) and once more when the wait is over, before answering None.
        """
        with deadline.unless_set(DEFAULT_DEADLINE + self.share_wait + 2 * self.look_interval):
            return self._thread_file_waiting(channel, thread_ts, filename, file_id, oldest)

    def _thread_file_waiting(
        self, channel: str, thread_ts: str, filename: str, file_id: str | None, oldest: float | None
    ) -> str | None:
        found = self._thread_file(channel, thread_ts, filename, file_id, oldest)
        ended = self._upload_ended(channel, thread_ts, filename)
        if found is not None or ended is None:
            return found
        looks = [a for a in SHARE_LOOKS if a < self.share_wait] if self.look_interval <= 1.5 else []
        for after in (*looks, self.share_wait):
            delay = ended + after - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            found = self._thread_file(channel, thread_ts, filename, file_id, oldest)
            if found is not None:
                return found
        return None

    def _thread_file(
        self, channel: str, thread_ts: str, filename: str, file_id: str | None, oldest: float | None
    ) -> str | None:
        me = self.identity()
        for message in self._messages(channel, thread_ts, oldest, self.history_limit):
            for shared in message.get("files") or []:
                named = shared.get("id") == file_id if file_id else shared.get("name") == filename
                if named and me.uploaded(shared):
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
        thread_ts: str,
        alt_text: str | None = None,
    ) -> str:
        """Upload ``png`` into ``thread_ts``'s thread and return its file id (:meth:`upload_files` with one
        file). ``alt_text`` is what screen readers say for the image (Slack's ``alt_txt``)."""
        return self.upload_files(channel, (Attachment(png, filename, title, alt_text),), thread_ts=thread_ts)[0]

    def upload_files(self, channel: str, files: Sequence[Attachment], *, thread_ts: str) -> list[str]:
        """Upload ``files`` into ``thread_ts``'s thread as one message and return their file ids, in order.

        Slack's three steps: ``files.getUploadURLExternal`` per file (a file id and a URL), the bytes to
        each URL, then ONE ``files.completeUploadExternal`` naming every file (shares them together, as
        ``files_upload_v2`` does). The first two show nothing, so the client's retry handlers may repeat
        the first; the completion is sent once (Slack completes an upload once). When its answer is lost,
        the thread is searched for the first file's very id (waiting for Slack to process and share it; the
        files share one message, so one found means all landed), and only files that never arrived are
        uploaded again, :data:`UPLOAD_TRIES` times in all. Failures are ``SlackApiError``s: Slack's,
        ``upload_failed`` (the bytes did not get through), ``upload_lost`` (no answer, and the files never
        arrived) or ``outcome_unknown`` (no answer, and the look-ups got none either).
        """
        if not files:
            raise ValueError("nothing to upload")
        first = files[0].filename
        with deadline.unless_set(DEFAULT_DEADLINE):
            oldest = time.time() - OLDEST_MARGIN
            for attempt in range(1, UPLOAD_TRIES + 1):
                ids = [self._send_bytes(f.content, f.filename, f.alt_text) for f in files]
                try:
                    self.client.files_completeUploadExternal(
                        files=[{"id": file_id, "title": f.title} for file_id, f in zip(ids, files, strict=True)],
                        channel_id=channel,
                        thread_ts=thread_ts,
                    )
                except Exception as exc:
                    if not outcome_unknown(exc):
                        raise
                    self._note_upload(channel, thread_ts, first)  # it may be in processing
                    log.warning("upload to %s: no answer (%s); looking for file %s", channel, _describe(exc), ids[0])
                    look = partial(self.thread_file, channel, thread_ts, first, file_id=ids[0], oldest=oldest)
                    found = self._look_again(look, exc)
                    if found is not None:
                        log.info("upload %s to %s had landed before its answer was lost", found, channel)
                        return ids
                    if attempt == UPLOAD_TRIES:
                        raise _failure("upload_lost", "no answer to the upload, and the file never arrived") from exc
                    continue
                self._note_upload(channel, thread_ts, first)
                return ids
        raise AssertionError("unreachable")

    def upload_private(self, *, png: bytes, filename: str, title: str, alt_text: str | None = None) -> str:
        """Upload ``png`` without a channel and return its file id: the file is private to this app, which
        can show it in any conversation with an image block (``slack_file: {"id": …}``) once Slack has
        processed it (asynchronously, after the completion returned).

        The same three steps as :meth:`upload`, the completion without ``channel_id``. A private file is in
        no thread to look for, so when the completion's answer is lost the file is uploaded again (a new
        file id; the other, if it was completed, stays private and unseen), :data:`UPLOAD_TRIES` times in
        all. Failures are ``SlackApiError``s: Slack's, ``upload_failed`` or ``upload_lost``.
        """
        with deadline.unless_set(DEFAULT_DEADLINE):
            for attempt in range(1, UPLOAD_TRIES + 1):
                file_id = self._send_bytes(png, filename, alt_text)
                try:
                    self.client.files_completeUploadExternal(files=[{"id": file_id, "title": title}])
                except Exception as exc:
                    if not outcome_unknown(exc):
                        raise
                    log.warning("private upload %s: no answer (%s)", file_id, _describe(exc))
                    if attempt == UPLOAD_TRIES:
                        raise _failure("upload_lost", "no answer to the private upload's completion") from exc
                    continue
                return file_id
        raise AssertionError("unreachable")

    def _send_bytes(self, content: bytes, filename: str, alt_text: str | None) -> str:
        """Steps one and two of an upload: a file id and URL from Slack, then the bytes to that URL."""
        step = self.client.files_getUploadURLExternal(filename=filename, length=len(content), alt_txt=alt_text)
        request = urllib.request.Request(str(step["upload_url"]), data=content, method="POST")
        try:  # urllib's default opener bounds each socket operation by the deadline (reports.deadline)
            with urllib.request.urlopen(request, timeout=self.client.timeout) as answer:
                answer.read()
        except (urllib.error.URLError, HTTPException, OSError) as exc:
            raise _failure("upload_failed", "file bytes upload failed") from exc
        return str(step["file_id"])

    def join(self, channel: str) -> bool:
        """Join a public channel; False when Slack says it can't be joined (private, DM, archived). Only for
        a request made in ``channel`` (a command, a mention, a button): never for a digest or a look-up."""
        try:
            self.client.conversations_join(channel=channel)
            log.info("joined channel %s: someone asked for the bot there", channel)
            return True
        except SlackApiError as exc:
            log.info("could not join %s: %s", channel, slack_error(exc))
            return False

    def post_joining(self, channel: str, *, text: str, blocks: list[Block] | None = None) -> str:
        """``post``, joining the channel first if Slack says we're not in it (public channels): only for a
        request made in ``channel`` (:meth:`joined_retry`)."""
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
        except Exception as exc:
            if outcome_unknown(exc):  # no look-up can see an ephemeral: a second one would be a repeat
                log.warning("ephemeral to %s in %s: no answer (%s); taken as shown", user_id, channel, _describe(exc))
                return True
            if not isinstance(exc, SlackApiError):
                raise
            log.info("ephemeral to %s in %s refused: %s", user_id, channel, slack_error(exc))
            return False

    def direct_message(self, user_id: str, *, text: str) -> bool:
        """A DM from the app (posting to a user ID opens the app's DM with them). False when Slack refuses.
        A lost answer counts as sent: reading the DM back would need ``im:history``, and a repeat could be
        a second DM."""
        try:
            self.post(user_id, text=text)
            return True
        except Exception as exc:
            if outcome_unknown(exc):
                log.warning("DM to %s: no answer (%s); taken as sent", user_id, _describe(exc))
                return True
            if not isinstance(exc, SlackApiError):
                raise
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

    def joined_retry(self, channel: str, action: Callable[[], T]) -> T:
        """Run ``action``; if Slack says we're not a member, join (public channels) and run it again.

        Only for a request made in ``channel``: someone there asked (a command, a mention, a button), which
        Slack's guidelines accept as a reason to join. Digests never join: a channel that removed the bot
        has it back only when someone there asks for it (or invites it)."""
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
        request_id: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> Delivered:
        """Summary message, then the chart in its thread (``alt_text``: the chart's screen-reader text),
        uploaded with ``attachments`` (the variants chart, the CSV) in one completion.
        Raises :class:`DeliveryError` only when nothing could be delivered anywhere (no ``response_url`` to
        fall back on).

        The summary is tagged with message metadata (:data:`REPORT_EVENT`, ``request_id``: one per request,
        made here unless given) and posted once: a lost answer is looked up before any second post
        (:meth:`post_tagged`); so is a lost upload answer (:meth:`upload`). The summary and the chart, with
        their retries and rate-limit waits, get ``self.patience`` seconds in all (one deadline). A chart
        that still fails leaves ``chart_missing`` set, and a note in the thread says why (its own call,
        after that deadline): the summary is never posted again for it.
        """
        request_id = request_id or uuid.uuid4().hex
        with deadline.within(self.patience):
            result, chart_error = self._deliver(
                channel, text, blocks, png, filename, title, thread_ts, response_url, alt_text, request_id,
                tuple(attachments),
            )
        if chart_error is not None:
            self._explain_missing_chart(channel, thread_ts or result.ts, chart_error)
        return result

    def _explain_missing_chart(self, channel: str, reply_to: str | None, code: str) -> None:
        hint = INVITE_HINT if code in NOT_MEMBER else f"The chart could not be attached: {explain(code)}"
        try:
            self.post(channel, text=f"📈 {hint}", thread_ts=reply_to)
        except Exception as exc:  # a note, sent once: a lost answer is not looked up
            log.warning("could not explain the missing chart in %s: %s", channel, _describe(exc))

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
        alt_text: str | None,
        request_id: str,
        attachments: tuple[Attachment, ...] = (),
    ) -> tuple[Delivered, str | None]:
        """What landed, and Slack's error when the chart upload failed."""
        result = Delivered(channel=channel, chart_wanted=png is not None)
        oldest = time.time() - OLDEST_MARGIN
        try:
            metadata = self.tag(REPORT_EVENT, {"request_id": request_id})  # auth.test, once per process
        except Exception as exc:  # nothing was posted yet: an answer that never came is just no answer
            code = self._code(exc)
            raise DeliveryError("no_answer" if code == "outcome_unknown" else code) from exc
        try:
            result.ts = self.joined_retry(
                channel,
                lambda: self.post_tagged(
                    channel, text=text, blocks=blocks, thread_ts=thread_ts, metadata=metadata, oldest=oldest
                ),
            )
        except Exception as exc:
            code = self._code(exc)
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
        files = ((Attachment(png, filename, title, alt_text),) if png is not None else ()) + attachments
        if not files:
            return result, None
        reply_to = thread_ts or result.ts
        assert reply_to is not None
        try:
            result.file_ids = self.joined_retry(
                channel, lambda: self.upload_files(channel, files, thread_ts=reply_to)
            )
            result.file_id = result.file_ids[0] if png is not None else None
        except Exception as exc:
            code = self._code(exc)
            log.warning("chart upload to %s failed: %s", channel, code)
            result.problems.append(code)
            return result, code
        return result, None

    @staticmethod
    def _code(exc: Exception) -> str:
        """Slack's error code of a failed delivery step; ``outcome_unknown`` for an answer that never came.
        Anything else is a bug, raised again."""
        if isinstance(exc, SlackApiError):
            return "outcome_unknown" if outcome_unknown(exc) else slack_error(exc)
        if outcome_unknown(exc):
            return "outcome_unknown"
        raise exc
