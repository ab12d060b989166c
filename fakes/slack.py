"""A fake Slack Web API served over real HTTP on 127.0.0.1.

Why a real server instead of mocking ``WebClient``: the bot's slack_sdk client then
exercises its genuine request encoding, auth headers, retry handlers and the
three-step ``files_upload_v2`` flow, so tests catch mistakes that a mock would hide.

Usage::

    with SlackFake() as fake:
        client = WebClient(token=fake.token, base_url=fake.base_url)
        client.chat_postMessage(channel="C_PUBLIC", text="hi")
        assert fake.wait_for("chat.postMessage")[0].params["text"] == "hi"

Besides Web API methods (``/api/<method>``) the server hosts two pseudo-endpoints,
recorded in ``calls`` under the pseudo-method names :data:`UPLOAD` (the upload URL
handed out by ``files.getUploadURLExternal``) and :data:`RESPONSE_URL` (slash
command / interactivity ``response_url`` webhooks). ``fail_next`` and ``latency``
accept those names too.

Knobs (constructor arguments, all kept across :meth:`SlackFake.reset`):

- ``share_delay=(low, high)``: seconds after ``files.completeUploadExternal`` returns before Slack has
  processed the file: only then does the share (and its message in the channel or thread) appear, and
  only then may an image block show the file. Drawn uniformly from the range for each upload (seeded,
  so runs repeat); ``(0, 0)`` shares at once. Slack documents the processing as asynchronous but not
  how long it takes: the default, a second or two, is an assumption.
- ``non_marketplace=True``: the app is distributed outside the Slack Marketplace, so
  ``conversations.history`` and ``conversations.replies`` return at most 15 messages per call (and, in
  tier mode, allow 1 call per minute).
- :meth:`SlackFake.enable_tiers` (:class:`TierLimits`): Slack's rate limits, 429 + ``Retry-After``.
- :meth:`SlackFake.add_app`: a second app (its own bot token, bot user and app id) in the same workspace,
  e.g. another integration or a staging copy of this one; its messages and files are its own.

Files (what ``files.*`` and image blocks see; see :class:`StoredFile`): an upload completed with a channel
is shared there once processed; one completed without ``channel_id``/``channels`` is private to the app
that uploaded it. ``files.info`` reports either to the app that uploaded it, and a shared one to anyone.
An image block ``{"type": "image", "slack_file": {"id": …}, "alt_text": …}`` shows a file only if the
posting app uploaded it and it is processed; otherwise Slack answers ``invalid_blocks``.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import math
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from fakes.signing import JSON as JSON_CONTENT
from fakes.signing import event_body, post_signed
from fakes.slack_blocks import MESSAGE_BLOCKS, SURFACE_BLOCKS, block_problems
from fakes.slack_socket import SocketModeFake

DEFAULT_TOKEN = "xoxb-test-token"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
BOT_NAME = "sendstats"
TEAM_ID = "T1"
APP_ID = "A1"
DEFAULT_TZ = "America/New_York"

UPLOAD = "upload"
"""Pseudo-method name for POSTs of file bytes to an upload URL."""
RESPONSE_URL = "response_url"
"""Pseudo-method name for POSTs to a ``response_url``."""

#: Methods called with the app-level (``xapp-``) token rather than the bot token; see the Socket Mode section.
APP_LEVEL_METHODS = frozenset({"apps.connections.open"})

#: Seconds (low, high) from a completed upload to its processing and share: "a second or two".
DEFAULT_SHARE_DELAY: tuple[float, float] = (1.0, 2.0)

RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL_SECONDS = 30 * 60

# Parameters slack_sdk sends as JSON strings inside form bodies; decoded so tests can
# assert on structure. Free-text fields (``text`` …) are never decoded.
JSON_FIELDS = frozenset(
    {"blocks", "attachments", "files", "view", "metadata", "unfurls", "user_auth_blocks", "outputs"}
)

ChannelKind = Literal["public", "private", "im"]

#: Slack's published tiers as (calls per second, burst) per method per app per workspace
#: (https://docs.slack.dev/apis/web-api/rate-limits): Tier 1 "1+ per minute", "a small amount of burst
#: behavior is tolerated"; Tier 2 "20+"; Tier 3 "50+", "sporadic bursts"; Tier 4 "100+", "generous burst
#: behavior". The burst sizes are assumptions (Slack publishes none).
FAKE_TIERS: dict[int, tuple[float, float]] = {
    1: (1 / 60, 5),
    2: (20 / 60, 5),
    3: (50 / 60, 10),
    4: (100 / 60, 20),
}
#: Each method's documented tier (https://docs.slack.dev/reference/methods/<method>, "Rate limits").
#: ``auth.test`` is "Special: hundreds of requests per minute", counted here as Tier 4; ``chat.postMessage``
#: is special too and has its own buckets (:class:`TierLimits`).
FAKE_METHOD_TIERS: dict[str, int] = {
    "apps.connections.open": 1,
    "auth.test": 4,
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "conversations.history": 3,
    "conversations.join": 3,
    "conversations.open": 3,
    "conversations.replies": 3,
    "files.completeUploadExternal": 4,
    "files.getUploadURLExternal": 4,
    "files.info": 4,
    "reactions.add": 3,
    "users.info": 4,
    "views.open": 4,
    "views.publish": 4,
}
#: Apps distributed outside the Slack Marketplace (changelog 2025-05-29, "Rate limit changes for
#: non-Marketplace apps"): ``conversations.history`` and ``conversations.replies`` at 1 request per minute,
#: and "the maximum and default for the limit parameter has been reduced to 15 objects".
NON_MARKETPLACE_METHODS = frozenset({"conversations.history", "conversations.replies"})
NON_MARKETPLACE_RATE: tuple[float, float] = (1 / 60, 1)
NON_MARKETPLACE_LIMIT = 15
#: ``limit`` of ``conversations.history``/``replies``: default 100, "maximum of 999" (method pages).
HISTORY_DEFAULT_LIMIT = 100
HISTORY_MAX_LIMIT = 999
#: ``text`` of a message: longer text is cut to 40,000 characters and posted with the ``message_truncated``
#: warning (changelog 2018-04, "Truncating really long messages").
MESSAGE_TEXT_CHARS = 40_000
TRUNCATED_WARNING = (
    "[WARN] Your message was truncated but still posted. The `text` field accepts up to 40,000 characters."
)


@dataclass
class TierLimits:
    """The opt-in rate limits of :meth:`SlackFake.enable_tiers`.

    ``chat.postMessage`` is "1 per second per channel, short bursts allowed": ``post_rate`` per second
    with ``post_burst`` at once, per channel per workspace. Slack also keeps "a workspace-wide limit"
    on it (https://docs.slack.dev/apis/web-api/rate-limits, "Special tier") without publishing the number:
    ``post_workspace_rate``/``post_workspace_burst`` are an assumption (300 a minute). The message a file
    share creates takes a token from its channel's bucket (it may leave the bucket in debt; the share is
    never refused). Beyond a bucket: HTTP 429, ``ratelimited`` and ``Retry-After`` (whole seconds until the
    next token, as Slack sends it). A 429 is about the method, not the channel: the fake refuses a post
    whose own channel has tokens when the workspace bucket is empty.

    ``non_marketplace``: ``conversations.history``/``replies`` at 1 call per minute (see
    :data:`NON_MARKETPLACE_RATE`); the 15-message cap comes with ``SlackFake(non_marketplace=True)``.

    ``time_scale`` (a bench knob, not Slack's): every rate above runs this many times faster, bursts
    unchanged, and ``Retry-After`` is Slack's whole seconds divided by it (a decimal then), so a run under
    Slack's limits takes 1/``time_scale`` of the time with the same shape. 1 is Slack's own pace.
    """

    tiers: dict[int, tuple[float, float]] = field(default_factory=lambda: dict(FAKE_TIERS))
    method_tiers: dict[str, int] = field(default_factory=lambda: dict(FAKE_METHOD_TIERS))
    post_rate: float = 1.0
    post_burst: float = 6
    post_workspace_rate: float = 5.0
    post_workspace_burst: float = 30
    non_marketplace: bool = False
    time_scale: float = 1.0

    def rate(self, method: str) -> tuple[float, float] | None:
        """(calls per second, burst) of ``method``'s per-workspace bucket, or None when unlimited."""
        if self.non_marketplace and method in NON_MARKETPLACE_METHODS:
            rate, burst = NON_MARKETPLACE_RATE
            return rate * self.time_scale, burst
        tier = self.method_tiers.get(method)
        found = None if tier is None else self.tiers.get(tier)
        return None if found is None else (found[0] * self.time_scale, found[1])

    def post_limits(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """``chat.postMessage``'s (rate, burst) per channel and per workspace, at ``time_scale``."""
        k = self.time_scale
        return (self.post_rate * k, self.post_burst), (self.post_workspace_rate * k, self.post_workspace_burst)

    def retry_after(self, wait: float) -> str:
        """``Retry-After`` for a wait of ``wait`` seconds: whole seconds of Slack's time (at least 1)."""
        whole = max(1, math.ceil(wait * self.time_scale))
        return str(whole) if self.time_scale == 1 else f"{whole / self.time_scale:g}"


class _FakeBucket:
    """Slack's side of a token bucket (the fake does not share the bot's code on purpose)."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def wait(self, now: float) -> float:
        """0 if a token is there now, else the seconds until one will be (nothing taken)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> float:
        """0 and one token taken, or the seconds until a token will be there (nothing taken)."""
        wait = self.wait(now)
        if not wait:
            self.tokens -= 1
        return wait

    def charge(self, now: float) -> None:
        """Take a token even if there is none (the bucket goes into debt): work Slack did regardless."""
        self._refill(now)
        self.tokens -= 1


@dataclass(frozen=True)
class AppIdentity:
    """One app installed in the fake's workspace: its bot token and the IDs Slack gives its bot."""

    token: str
    app_id: str
    bot_id: str
    user_id: str
    name: str


@dataclass
class Call:
    """One HTTP request the fake received (API method or pseudo-endpoint)."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]  # lower-cased header names
    body: bytes
    time: float
    path: str = ""
    status: int = 200
    response: dict[str, Any] | str | None = None


@dataclass
class FileShare:
    """A file completed via ``files.completeUploadExternal``, recorded when the completion is accepted
    (channel None = a private upload). Its message appears in ``channel`` only once the file is processed:
    ``shared_ts`` is None until then (see ``share_delay`` and :meth:`SlackFake.wait_shared`)."""

    file_id: str
    filename: str
    title: str
    channel: str | None
    thread_ts: str | None
    content: bytes
    initial_comment: str | None = None
    shared_ts: str | None = None


@dataclass
class StoredFile:
    """A file as Slack keeps it once its upload is completed.

    ``owner`` is the app that uploaded it. ``processed_at`` (a ``time.monotonic()`` moment) is when Slack
    has processed it: before that an image block can't show it and ``files.info`` has no thumbnails
    (an assumption: Slack documents processing as asynchronous but not how ``files.info`` shows it).
    ``shares`` maps a channel to the ts of the message that shared the file there; empty for a private
    upload.
    """

    id: str
    name: str
    title: str
    alt_txt: str | None
    content: bytes
    owner: AppIdentity
    created: int
    processed_at: float
    #: (channel, thread_ts) pairs the completion asked to share it into; empty for a private upload.
    targets: tuple[tuple[str, str | None], ...] = ()
    #: channel → ts of the message that shared it, filled in when processing ends.
    shares: dict[str, str] = field(default_factory=dict)

    @property
    def private(self) -> bool:
        """Uploaded without a channel: only the uploading app can see it (and show it in image blocks)."""
        return not self.targets

    def processed(self, now: float) -> bool:
        return now >= self.processed_at


@dataclass
class Channel:
    """Channel as the bot sees it; ``member`` decides what the bot may do there."""

    id: str
    kind: ChannelKind = "public"
    member: bool = True
    archived: bool = False
    name: str = ""
    #: Image blocks showing a ``slack_file`` are refused here (``invalid_blocks``) even once the file is
    #: processed, as in a Slack Connect channel or under a workspace policy on files. An assumption: Slack
    #: documents that the poster must be able to see the file, not what such a refusal looks like.
    refuses_slack_files: bool = False


@dataclass
class _Fault:
    error: str
    status: int
    retry_after: int


@dataclass
class _PendingUpload:
    file_id: str
    filename: str
    length: int
    owner: AppIdentity
    alt_txt: str | None = None
    content: bytes | None = None


@dataclass
class _ResponseUrlState:
    created: float
    uses: int = 0
    expired: bool = False


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    #: Close the connection without answering (``status`` 0).
    drop: bool = False


class _SlackError(Exception):
    """Raised by method handlers to answer ``{"ok": false, "error": ...}``; ``messages`` become
    ``response_metadata.messages`` (``[ERROR] …`` lines), and with ``errors`` also a top-level ``errors``
    list, as Slack answers ``invalid_blocks`` on ``chat.*``."""

    def __init__(self, error: str, messages: list[str] | None = None, *, errors: bool = False) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.errors = errors

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.messages:
            if self.errors:
                body["errors"] = list(self.messages)
            body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in self.messages]}
        return body


def _json_reply(payload: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(
        status=status,
        body=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


def _text_reply(text: str, status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(
        status=status,
        body=text.encode("utf-8"),
        headers={"Content-Type": "text/plain; charset=utf-8", **(headers or {})},
    )


#: File extension → (mimetype, filetype, pretty_type), as Slack's file objects name them.
FILE_TYPES: dict[str, tuple[str, str, str]] = {
    "png": ("image/png", "png", "PNG"),
    "csv": ("text/csv", "csv", "CSV"),
    "txt": ("text/plain", "text", "Plain Text"),
}


def _png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None when ``data`` is no PNG."""
    if len(data) < 24 or not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _flatten(qs: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in qs.items()}


def _parse_params(query: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """Merge query string, form body and JSON body the way Slack accepts them."""
    params: dict[str, Any] = _flatten(parse_qs(query, keep_blank_values=True))
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if body:
        if content_type == "application/json":
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if isinstance(data, dict):
                params.update(data)
        elif content_type in ("", "application/x-www-form-urlencoded"):
            params.update(_flatten(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)))
    for key in JSON_FIELDS & params.keys():
        value = params[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # default 5 makes concurrent clients hit 1 s SYN retries


class SlackFake:
    """Real HTTP fake of the Slack Web API; see the module docstring.

    All state is guarded by one condition variable so tests may read it while the
    server thread(s) write; prefer ``calls_to``/``wait_for``/``messages_in`` which copy.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        chat_write_public: bool = False,
        latency: dict[str, float] | None = None,
        clock: Callable[[], float] = time.time,
        share_delay: tuple[float, float] = DEFAULT_SHARE_DELAY,
        non_marketplace: bool = False,
    ) -> None:
        self.token = token
        #: The app whose bot token is ``token`` (the bot under test); :meth:`add_app` adds others.
        self.app = AppIdentity(token, APP_ID, BOT_ID, BOT_USER_ID, BOT_NAME)
        self.apps: dict[str, AppIdentity] = {token: self.app}
        #: The app holds ``chat:write.public`` (post in public channels it is not in). sendstats' manifest does
        #: not ask for it, so the default is False; an install made from an older manifest may still hold it.
        self.chat_write_public = chat_write_public
        #: Seconds (low, high) from a completed upload to its processing and share; see the module doc.
        self.share_delay = share_delay
        #: At most 15 messages per ``conversations.history``/``replies`` call (see the module doc).
        self.non_marketplace = non_marketplace
        self._random = random.Random(0)
        self._timers: set[threading.Timer] = set()
        #: The app making the call being handled, and its rate-limit key (set under the lock by ``_handle_api``).
        self._caller = self.app
        self._caller_key = ""
        self.latency: dict[str, float] = dict(latency or {})
        self.clock = clock
        self.default_tz = DEFAULT_TZ
        self.user_tz: dict[str, str] = {}
        #: None: no rate limits (the default, keeps the suite fast); see :meth:`enable_tiers`.
        self.tier_limits: TierLimits | None = None

        self._cond = threading.Condition(threading.RLock())
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._root_url: str | None = None
        self._ts_counter = 0
        self._id_counter = 0
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "conversations.join": self._conversations_join,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
            "views.publish": self._views_publish,
            "views.open": self._views_open,
            "reactions.add": self._reactions_add,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "files.info": self._files_info,
        }
        self._late_release = 0  # bumped by release_late(): held answers go out at once

        # Configuration survives reset(); live state is rebuilt from it.
        self._channel_config: dict[str, Channel] = {}
        for channel in (
            Channel("C_PUBLIC", "public", member=True, name="general"),
            Channel("C_NOTMEMBER", "public", member=False, name="random"),
            Channel("G_PRIVATE", "private", member=False, name="secret"),
            Channel("D_USER", "im", member=False, name="D_USER"),
            Channel("C_ARCHIVED", "public", member=True, archived=True, name="old"),
        ):
            self._channel_config[channel.id] = channel
        self._init_state()

    # ------------------------------------------------------------------ lifecycle

    def _init_state(self) -> None:
        self.calls: list[Call] = []
        self.channels: dict[str, Channel] = copy.deepcopy(self._channel_config)
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.files: list[FileShare] = []
        #: Completed uploads by file id, with owner, processing time and shares (what ``files.info`` reads).
        self.stored_files: dict[str, StoredFile] = {}
        self._generation = getattr(self, "_generation", 0) + 1  # delayed shares of a reset fake are dropped
        self.views: dict[str, dict[str, Any]] = {}
        #: Modals opened with ``views.open``, oldest first, as Slack stored them (with ``id`` and ``state``).
        self.opened_views: list[dict[str, Any]] = []
        self.reactions: list[dict[str, str]] = []
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self._uploads: dict[str, _PendingUpload] = {}
        self._response_urls: dict[str, _ResponseUrlState] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._tier_buckets: dict[tuple[str, ...], _FakeBucket] = {}
        self._late: dict[str, list[float]] = {}
        #: method → what happens to the answer of its next calls after they took effect (see :meth:`lose_answer`).
        self._lost: dict[str, list[int]] = {}
        #: Events API envelopes sent to the app, oldest first (see :meth:`remove_bot`).
        self.events_sent: list[dict[str, Any]] = []

    def start(self) -> SlackFake:
        """Bind an ephemeral port on 127.0.0.1 and serve from a daemon thread."""
        if self._server is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        port = self._server.server_address[1]
        self._root_url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-fake", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down and release the port."""
        self._stop_socket_mode()
        with self._cond:
            timers, self._timers = list(self._timers), set()
        for timer in timers:
            timer.cancel()
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SlackFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._root_url is None:
            raise RuntimeError("SlackFake is not started")
        return self._root_url

    @property
    def base_url(self) -> str:
        """Web API base for ``WebClient(base_url=...)``; trailing slash is required by urljoin."""
        return f"{self.root_url}/api/"

    def reset(self) -> None:
        """Forget calls and every state change (messages, joins, files, faults, response URLs).

        Configuration (channels from ``add_channel``, tokens, latency, user tz) is kept.
        """
        with self._cond:
            self._init_state()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the fake's lock while reading several of its records as one consistent snapshot."""
        with self._cond:
            yield

    # -------------------------------------------------------------- configuration

    def add_channel(
        self,
        id: str,
        *,
        kind: ChannelKind = "public",
        member: bool = True,
        archived: bool = False,
        name: str | None = None,
        refuses_slack_files: bool = False,
    ) -> Channel:
        """Add (or replace) a channel; it persists across ``reset()``. ``refuses_slack_files``: see
        :attr:`Channel.refuses_slack_files`."""
        channel = Channel(
            id, kind, member=member, archived=archived, name=name or id.lower(), refuses_slack_files=refuses_slack_files
        )
        with self._cond:
            self._channel_config[id] = channel
            self.channels[id] = copy.deepcopy(channel)
        return channel

    def add_app(
        self, token: str, *, app_id: str = "A2", bot_id: str = "B2", user_id: str = "UOTHERBOT", name: str = "otherapp"
    ) -> AppIdentity:
        """Install another app in the workspace (its own bot token): another integration, or a staging copy
        of this one. It posts as its own bot, and its files are its own. Persists across ``reset()``."""
        app = AppIdentity(token, app_id, bot_id, user_id, name)
        with self._cond:
            self.apps[token] = app
        return app

    def send_events_to(self, url: str | None, signing_secret: str = "") -> None:
        """Where the Events API delivers to the app: its Request URL, each event signed with
        ``signing_secret`` as Slack signs it. None: to its Socket Mode connection (:attr:`socket_mode`)."""
        with self._cond:
            self._events_url, self._signing_secret = url, signing_secret

    def remove_bot(self, channel_id: str, *, by: str = "U1") -> list[dict[str, Any]]:
        """Someone (``by``) removes the app's bot from a channel (``/remove @sendstats``, or the channel's
        member list): it is no longer a member, and Slack tells the app with the event the removed user gets,
        ``channel_left`` for a public channel, ``group_left`` for a private one. Returns the envelopes sent.

        The events follow Slack's documented examples (https://docs.slack.dev/reference/events/channel_left,
        .../group_left: ``type`` and ``channel``) with the ``actor_id`` (who removed it) and ``event_ts`` of
        Slack's own SDK types (@slack/types ChannelLeftEvent, GroupLeftEvent). ``member_left_channel`` is
        not sent to the removed app: it goes to apps that are still members (an assumption, from Slack's
        description "sent to all websocket connections and event subscriptions when users leave" and
        reports that a removed bot does not get its own)."""
        with self._cond:
            channel = self.channels.get(channel_id)
            if channel is None or not channel.member or channel.kind == "im":
                raise ValueError(f"the bot is not a member of {channel_id!r}")
            channel.member = False
            event_ts = self._next_ts()
        kind = "channel_left" if channel.kind == "public" else "group_left"
        return [self.send_event({"type": kind, "channel": channel_id, "actor_id": by, "event_ts": event_ts})]

    def send_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Deliver one event to the app, wrapped in Slack's ``event_callback`` envelope, where
        :meth:`send_events_to` says (an HTTP POST answered before this returns, or a Socket Mode
        ``events_api`` envelope); returns the envelope."""
        with self._cond:
            url, secret = getattr(self, "_events_url", None), getattr(self, "_signing_secret", "")
            ts = event.get("event_ts") or self._next_ts()
        body = event_body(
            {**event, "event_ts": ts},
            api_app_id=self.app.app_id,
            bot_user_id=self.app.user_id,
        )
        envelope = json.loads(body)
        with self._cond:
            self.events_sent.append(envelope)
        if url is not None:
            post_signed(url, body, secret, JSON_CONTENT)
        else:
            self.socket_mode.deliver("events_api", envelope)
        return envelope

    def set_user_tz(self, user_id: str, tz: str) -> None:
        """Configure the IANA timezone ``users.info`` reports for a user."""
        ZoneInfo(tz)  # fail fast on typos
        with self._cond:
            self.user_tz[user_id] = tz

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        status: int | None = None,
        retry_after: int = 1,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail.

        ``ratelimited`` defaults to HTTP 429 with ``Retry-After``; other errors default to
        HTTP 200 with ``{"ok": false, "error": error}`` like Slack. Works for the
        :data:`UPLOAD` and :data:`RESPONSE_URL` pseudo-methods too (plain-text body).
        """
        if status is None:
            status = 429 if error == "ratelimited" else 200
        with self._cond:
            queue = self._faults.setdefault(method, [])
            queue.extend(_Fault(error, status, retry_after) for _ in range(times))

    def enable_tiers(self, limits: TierLimits | None = None) -> TierLimits:
        """Enforce Slack's rate limits from now on (token buckets per method per workspace, posts per
        channel); ``disable_tiers`` or a new fake turns them off. Survives ``reset()``; buckets do not."""
        with self._cond:
            self.tier_limits = limits or TierLimits()
            self._tier_buckets = {}
            return self.tier_limits

    def disable_tiers(self) -> None:
        with self._cond:
            self.tier_limits = None

    def rate_limited_share(self) -> tuple[int, int]:
        """(calls answered 429, all Web API calls) so far."""
        with self._cond:
            api = [c for c in self.calls if c.method not in (UPLOAD, RESPONSE_URL)]
            return sum(1 for c in api if c.status == 429), len(api)

    def _tier_reply(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> _Reply | None:
        """A 429 when tier mode is on and this call's bucket is empty; None to go on."""
        limits = self.tier_limits
        if limits is None or method in (UPLOAD, RESPONSE_URL):
            return None
        workspace = self._workspace_key(params, headers)
        now = time.monotonic()
        with self._cond:
            if method == "chat.postMessage":
                # Both the channel's bucket and the workspace's must have a token; a refusal takes none.
                channel = str(params.get("channel", ""))
                per_channel, per_workspace = limits.post_limits()
                buckets = [
                    self._bucket((workspace, method, channel), *per_channel, now),
                    self._bucket((workspace, method), *per_workspace, now),
                ]
            else:
                rate = limits.rate(method)
                if rate is None:
                    return None
                buckets = [self._bucket((workspace, method), *rate, now)]
            wait = max(bucket.wait(now) for bucket in buckets)
            if not wait:
                for bucket in buckets:
                    bucket.take(now)
                return None
        return _json_reply({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": limits.retry_after(wait)})

    def _bucket(self, key: tuple[str, ...], rate: float, burst: float, now: float) -> _FakeBucket:
        bucket = self._tier_buckets.get(key)
        if bucket is None:
            bucket = self._tier_buckets[key] = _FakeBucket(rate, burst, now)
        return bucket

    @staticmethod
    def _workspace_key(params: dict[str, Any], headers: dict[str, str]) -> str:
        """Limits are per app per workspace: the caller's token stands for both."""
        return headers.get("authorization", "") or str(params.get("token", ""))

    def answer_late(self, method: str, seconds: float, times: int = 1) -> None:
        """The next ``times`` calls to ``method`` take effect at once (the message lands, the file is
        shared) but their answer is held ``seconds`` (or until :meth:`release_late`): a client that
        gives up first sees a timeout although Slack did the work, as happens in production."""
        with self._cond:
            self._late.setdefault(method, []).extend([seconds] * times)

    def release_late(self) -> None:
        """Send every held answer now (and forget queued late answers)."""
        with self._cond:
            self._late.clear()
            self._late_release += 1
            self._cond.notify_all()

    def lose_answer(self, method: str, *, status: int | None = None, times: int = 1) -> None:
        """The next ``times`` calls to ``method`` take effect (the message lands, the upload is completed and
        its file shared) but their answer is lost: with ``status`` None the connection is closed without an
        answer (a dropped connection, a proxy or a network giving up), else Slack answers that HTTP status
        (a 5xx from Slack's edge after the work was done). Slack documents neither; both happen in production."""
        with self._cond:
            self._lost.setdefault(method, []).extend([0 if status is None else status] * times)

    def new_response_url(self) -> str:
        """Issue a ``response_url`` accepting 5 posts within 30 minutes, like Slack."""
        url = f"{self.root_url}/response/{uuid.uuid4().hex}"
        with self._cond:
            self._response_urls[url] = _ResponseUrlState(created=self.clock())
            self.responses[url] = []
        return url

    def expire_response_url(self, url: str) -> None:
        """Mark a ``response_url`` expired so further posts get 404 ``expired_url``."""
        with self._cond:
            self._response_urls[url].expired = True

    # -------------------------------------------------------------- inspection

    def calls_to(self, method: str) -> list[Call]:
        """Snapshot of recorded calls to ``method``, oldest first."""
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10) -> list[Call]:
        """Block until ``count`` calls to ``method`` were handled; returns them all.

        Calls are recorded after their side effects, so state is consistent on return.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matching = [c for c in self.calls if c.method == method]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    received = [c.method for c in self.calls]
                    raise AssertionError(
                        f"expected {count} call(s) to {method!r} within {timeout}s, "
                        f"got {len(matching)}; received: {received}"
                    )
                self._cond.wait(remaining)

    def messages_in(self, channel: str, *, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Copies of messages posted to ``channel`` (only replies of ``thread_ts`` if given)."""
        with self._cond:
            msgs = self.messages.get(channel, [])
            if thread_ts is not None:
                msgs = [m for m in msgs if m.get("thread_ts") == thread_ts]
            return copy.deepcopy(msgs)

    # -------------------------------------------------------------- HTTP routing

    def _route(self, verb: str, raw_path: str, headers: dict[str, str], body: bytes) -> _Reply:
        parts = urlsplit(raw_path)
        path = parts.path
        if path.startswith("/api/"):
            method = path[len("/api/") :]
            params = _parse_params(parts.query, headers, body)
            handle: Callable[[], _Reply] = partial(self._handle_api, method, params, headers)
        elif path.startswith("/upload/") and verb == "POST":
            method = UPLOAD
            params = {"file_id": path[len("/upload/") :]}
            handle = partial(self._handle_upload, params["file_id"], body)
        elif path.startswith("/response/") and verb == "POST":
            method = RESPONSE_URL
            try:
                payload = json.loads(body) if body else {}
            except ValueError:
                payload = None
            params = payload if isinstance(payload, dict) else {}
            handle = partial(self._handle_response_url, self.root_url + path, payload)
        else:
            return _text_reply("not found", 404)

        call = Call(method=method, params=params, headers=headers, body=body, time=time.time(), path=path)
        delay = self.latency.get(method, 0.0)
        if delay:
            time.sleep(delay)
        with self._cond:
            faults = self._faults.get(method)
            fault = faults.pop(0) if faults else None
            born = self._generation
        reply = self._fault_reply(method, fault) if fault else self._tier_reply(method, params, headers) or handle()
        with self._cond:
            lost = self._lost.get(method)
            loss = lost.pop(0) if lost and not fault and self._took_effect(reply) else None
        if loss is not None:  # it took effect; its answer does not arrive
            failed = {"ok": False, "error": "internal_error"}
            reply = _Reply(0, b"", drop=True) if loss == 0 else _json_reply(failed, loss)
        with self._cond:
            late = self._late.get(method)
            hold = late.pop(0) if late else 0.0
            if hold:
                generation, until = self._late_release, time.monotonic() + hold
                while self._late_release == generation and time.monotonic() < until:
                    self._cond.wait(until - time.monotonic())
        call.status = reply.status
        call.response = self._decode_reply(reply) if not reply.drop else None
        with self._cond:
            if self._generation == born:  # a call answered after a reset belongs to the forgotten past
                self.calls.append(call)
            self._cond.notify_all()
        return reply

    @classmethod
    def _took_effect(cls, reply: _Reply) -> bool:
        """A successful answer: the call did its work (an ``ok: false`` one did nothing to lose)."""
        decoded = cls._decode_reply(reply) if reply.status == 200 else None
        return decoded is not None and (not isinstance(decoded, dict) or bool(decoded.get("ok")))

    @staticmethod
    def _decode_reply(reply: _Reply) -> dict[str, Any] | str:
        text = reply.body.decode("utf-8", "replace")
        if reply.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(text)
        return text

    @staticmethod
    def _fault_reply(method: str, fault: _Fault) -> _Reply:
        headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
        if method in (UPLOAD, RESPONSE_URL):
            return _text_reply(fault.error, fault.status, headers)
        return _json_reply({"ok": False, "error": fault.error}, fault.status, headers)

    def _handle_api(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> _Reply:
        auth = headers.get("authorization", "")
        token = auth[len("bearer ") :].strip() if auth.lower().startswith("bearer ") else params.get("token")
        if method in APP_LEVEL_METHODS:
            return _json_reply(self._app_level(method, token))
        if not token:
            return _json_reply({"ok": False, "error": "not_authed"})
        if token != self.token and token not in self.apps:
            return _json_reply({"ok": False, "error": "invalid_auth"})
        handler = self._methods.get(method)
        if handler is None:
            return _json_reply({"ok": False, "error": "unknown_method"})
        with self._cond:
            self._caller = self.apps.get(token) or self.app
            self._caller_key = self._workspace_key(params, headers)
            try:
                return _json_reply(handler(params))
            except _SlackError as exc:
                return _json_reply(exc.payload())
            except Exception as exc:  # a fake bug: surface it instead of dropping the connection
                return _json_reply({"ok": False, "error": f"fake_internal_error: {exc!r}"}, 500)

    def _handle_upload(self, file_id: str, body: bytes) -> _Reply:
        # slack_sdk POSTs raw bytes with no auth (the real URL is pre-signed).
        with self._cond:
            upload = self._uploads.get(file_id)
            if upload is None:
                return _text_reply("file_not_found", 404)
            upload.content = body
        return _text_reply(f"OK - {len(body)}")

    def _handle_response_url(self, url: str, payload: Any) -> _Reply:
        with self._cond:
            state = self._response_urls.get(url)
            if state is None:
                return _text_reply("no_service", 404)
            if state.expired or self.clock() - state.created > RESPONSE_URL_TTL_SECONDS:
                return _text_reply("expired_url", 404)
            if state.uses >= RESPONSE_URL_MAX_USES:
                return _text_reply("used_url", 404)
            if not isinstance(payload, dict):
                return _text_reply("invalid_payload", 400)
            state.uses += 1
            self.responses[url].append(payload)
        return _text_reply("ok")

    # -------------------------------------------------------------- helpers (lock held)

    def _next_ts(self) -> str:
        """A message ts as Slack makes it: the Unix time of the post, to the microsecond, unique in the
        workspace (so ``oldest``/``latest`` bound history by the time of posting)."""
        self._ts_counter = max(int(self.clock() * 1_000_000), self._ts_counter + 100)
        return f"{self._ts_counter // 1_000_000}.{self._ts_counter % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        self._id_counter += 1
        return f"{prefix}{self._id_counter:09d}"

    def _ensure_dm(self, user_id: str) -> Channel:
        dm_id = "D" + user_id
        channel = self.channels.get(dm_id)
        if channel is None:
            channel = Channel(dm_id, "im", member=True, name=dm_id)
            self.channels[dm_id] = channel
        return channel

    def _visible(self, channel_id: Any) -> Channel:
        """Channel the bot can see, else ``channel_not_found`` (as Slack hides private ones)."""
        channel = self.channels.get(channel_id) if isinstance(channel_id, str) else None
        if channel is None or (not channel.member and channel.kind != "public"):
            raise _SlackError("channel_not_found")
        return channel

    def _writable(self, channel_id: Any, *, files: bool = False) -> Channel:
        channel = self._visible(channel_id)
        if channel.archived:
            raise _SlackError("is_archived")
        if not channel.member and (files or not self.chat_write_public):
            raise _SlackError("not_in_channel")
        return channel

    @staticmethod
    def _require_content(params: dict[str, Any]) -> None:
        if not any(params.get(k) for k in ("text", "blocks", "attachments")):
            raise _SlackError("no_text")

    @staticmethod
    def _channel_info(channel: Channel) -> dict[str, Any]:
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": channel.kind == "public",
            "is_group": channel.kind == "private",
            "is_im": channel.kind == "im",
            "is_private": channel.kind != "public",
            "is_archived": channel.archived,
            "is_member": channel.member,
        }

    # -------------------------------------------------------------- Web API methods

    def _identity(self) -> dict[str, str]:
        """Who a message posted by the calling app is from (``user``, ``bot_id``, ``app_id``)."""
        return {"user": self._caller.user_id, "bot_id": self._caller.bot_id, "app_id": self._caller.app_id}

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://sendstats-test.slack.com/",
            "team": "Sendstats Test",
            "user": self._caller.name,
            "team_id": TEAM_ID,
            "user_id": self._caller.user_id,
            "bot_id": self._caller.bot_id,
            # Not in the documented example (a user token's); Slack's own SDK types list it for bot tokens
            # (@slack/web-api AuthTestResponse: app_id, bot_id).
            "app_id": self._caller.app_id,
            "is_enterprise_install": False,
        }

    def _message_text(self, params: dict[str, Any], channel: Channel | None = None) -> tuple[str, dict[str, Any]]:
        """Check a message's blocks (``invalid_blocks``) and cut its text at 40,000 characters; returns the
        text as stored and the extra keys of the answer (the ``message_truncated`` warning)."""
        check = partial(self._file_check, channel=channel)
        problems = block_problems(params.get("blocks"), max_blocks=MESSAGE_BLOCKS, file_check=check)
        if problems:
            raise _SlackError("invalid_blocks", problems, errors=True)
        text = str(params.get("text") or "")
        if len(text) <= MESSAGE_TEXT_CHARS:
            return text, {}
        warning = {"response_metadata": {"messages": [TRUNCATED_WARNING], "warnings": ["message_truncated"]}}
        return text[:MESSAGE_TEXT_CHARS], warning

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel_id = params.get("channel")
        if isinstance(channel_id, str) and channel_id[:1] in ("U", "W"):
            channel_id = self._ensure_dm(channel_id).id  # Slack opens the app DM for user ids
        channel = self._writable(channel_id)
        self._require_content(params)
        text, extra = self._message_text(params, channel)
        ts = self._next_ts()
        message: dict[str, Any] = {"type": "message", **self._identity(), "text": text, "ts": ts}
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if params.get(key):
                message[key] = params[key]
        self.messages.setdefault(channel.id, []).append(message)
        return {"ok": True, "channel": channel.id, "ts": ts, "message": copy.deepcopy(message), **extra}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable(params.get("channel"))
        if not params.get("user"):
            raise _SlackError("user_not_in_channel")
        self._require_content(params)
        text, extra = self._message_text(params, channel)
        ts = self._next_ts()
        self.ephemerals.append(
            {
                "channel": channel.id,
                "user": params["user"],
                "text": text,
                "blocks": params.get("blocks"),
                "thread_ts": params.get("thread_ts"),
                "ts": ts,
            }
        )
        return {"ok": True, "message_ts": ts, **extra}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._visible(params.get("channel"))
        if channel.archived:
            raise _SlackError("is_archived")
        ts = params.get("ts")
        message = next((m for m in self.messages.get(channel.id, []) if m["ts"] == ts), None)
        if message is None:
            raise _SlackError("message_not_found")
        if message.get("bot_id") != self._caller.bot_id:
            raise _SlackError("cant_update_message")  # an app updates only its own messages
        text, extra = self._message_text(params, channel)
        if "text" in params:
            message["text"] = text
        for key in ("blocks", "attachments"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": self._caller.user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel.id,
            "ts": ts,
            "text": message["text"],
            "message": copy.deepcopy(message),
            **extra,
        }

    def _conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(params.get("channel", ""))
        if channel is None:
            raise _SlackError("channel_not_found")
        if channel.kind != "public":
            raise _SlackError("method_not_supported_for_channel_type")
        if channel.archived:
            raise _SlackError("is_archived")
        response: dict[str, Any] = {"ok": True}
        if channel.member:
            response["warning"] = "already_in_channel"
            response["response_metadata"] = {"warnings": ["already_in_channel"]}
        channel.member = True
        response["channel"] = self._channel_info(channel)
        return response

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"ok": True, "channel": self._channel_info(self._visible(params["channel"]))}
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if not users:
            raise _SlackError("users_list_not_supplied")
        if len(users) == 1:
            channel = self._ensure_dm(users[0])
        else:
            mpim_id = "G_MPIM_" + "_".join(sorted(users))
            mpim = Channel(mpim_id, "private", member=True, name=mpim_id)
            channel = self.channels.setdefault(mpim_id, mpim)
        return {"ok": True, "channel": {"id": channel.id}}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user")
        if not user_id:
            raise _SlackError("user_not_found")
        tz = self.user_tz.get(user_id, self.default_tz)
        now = datetime.now(ZoneInfo(tz))
        offset = now.utcoffset()
        return {
            "ok": True,
            "user": {
                "id": user_id,
                "team_id": TEAM_ID,
                "name": user_id.lower(),
                "real_name": f"User {user_id}",
                "deleted": False,
                "is_bot": user_id == BOT_USER_ID,
                "tz": tz,
                "tz_label": now.tzname(),
                "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            },
        }

    def _view_problems(self, view: Any, kind: str) -> list[str]:
        """Slack's checks of a view (https://docs.slack.dev/reference/views): its type, at most 100 blocks,
        ``title``/``submit``/``close`` at most 24 characters, ``private_metadata`` at most 3,000,
        ``callback_id`` and ``external_id`` at most 255; every block within Block Kit's limits."""
        if not isinstance(view, dict) or view.get("type") != kind:
            return [f"must be a {kind} view [json-pointer:/view/type]"]
        found = block_problems(
            view.get("blocks") or [], max_blocks=SURFACE_BLOCKS, pointer="/view/blocks", file_check=self._file_check
        )
        for key, limit in (("private_metadata", 3000), ("callback_id", 255), ("external_id", 255)):
            if len(str(view.get(key) or "")) > limit:
                found.append(f"must be less than {limit + 1} characters [json-pointer:/view/{key}]")
        if kind == "modal":
            for key in ("title", "submit", "close"):
                if len(str((view.get(key) or {}).get("text") or "")) > 24:
                    found.append(f"must be less than 25 characters [json-pointer:/view/{key}/text]")
            if not (view.get("title") or {}).get("text"):
                found.append("missing required field: title [json-pointer:/view]")
            if any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []) and not view.get(
                "submit"
            ):
                found.append("missing required field: submit [json-pointer:/view]")
        return found

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        """Publish a Home tab, checked as Slack checks it (``invalid_arguments`` with the reasons)."""
        user_id, view = params.get("user_id"), params.get("view")
        if not user_id:
            raise _SlackError("invalid_arguments", ["missing required field: user_id [json-pointer:/user_id]"])
        problems = self._view_problems(view, "home")
        if problems:
            raise _SlackError("invalid_arguments", problems)
        self.views[user_id] = view
        return {"ok": True, "view": {"id": self._next_id("V"), "team_id": TEAM_ID, **copy.deepcopy(view)}}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        """Open a modal as Slack checks it: a trigger_id, a modal view within Slack's limits."""
        trigger_id, view = params.get("trigger_id"), params.get("view")
        if not trigger_id:
            raise _SlackError("invalid_trigger_id")
        problems = self._view_problems(view, "modal")
        if problems:
            raise _SlackError("invalid_arguments", problems)
        stored = {
            "id": self._next_id("V"),
            "team_id": TEAM_ID,
            "app_id": self._caller.app_id,
            "bot_id": self._caller.bot_id,
            "hash": uuid.uuid4().hex[:16],
            "state": {"values": {}},
            **copy.deepcopy(view),
        }
        self.opened_views.append(stored)
        return {"ok": True, "view": copy.deepcopy(stored)}

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._visible(params.get("channel"))
        if not params.get("name"):
            raise _SlackError("invalid_name")
        if not params.get("timestamp"):
            raise _SlackError("bad_timestamp")
        reaction = {"channel": channel.id, "timestamp": params["timestamp"], "name": params["name"]}
        if reaction in self.reactions:
            raise _SlackError("already_reacted")
        self.reactions.append(reaction)
        return {"ok": True}

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename, length = params.get("filename"), params.get("length")
        try:
            size = int(length)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _SlackError("invalid_arguments") from None
        if not filename:
            raise _SlackError("invalid_arguments")
        file_id = self._next_id("F")
        alt_txt = params.get("alt_txt") or None
        self._uploads[file_id] = _PendingUpload(file_id, filename, size, self._caller, alt_txt)
        return {"ok": True, "upload_url": f"{self.root_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        """Complete uploads: each file is stored at once, and processed (and shared, if a channel was given)
        ``share_delay`` later, as Slack processes uploads asynchronously. Without ``channel_id`` or
        ``channels`` the file stays private to the uploading app. An upload can be completed once
        (a second completion answers ``file_not_found``: an assumption, Slack documents no error for it)."""
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise _SlackError("invalid_arguments")
        uploads: list[tuple[_PendingUpload, str]] = []
        for entry in entries:
            upload = self._uploads.get(entry.get("id")) if isinstance(entry, dict) else None
            if upload is None or upload.content is None or upload.owner != self._caller:
                raise _SlackError("file_not_found")
            uploads.append((upload, entry.get("title") or upload.filename))
        if params.get("channel_id"):
            targets = [params["channel_id"]]
        else:
            targets = [c for c in str(params.get("channels", "")).split(",") if c]
        for target in targets:
            self._writable(target, files=True)

        thread_ts = params.get("thread_ts") or None
        comment = params.get("initial_comment") or None
        now = time.monotonic()
        low, high = self.share_delay
        delay = self._random.uniform(low, high) if high > 0 else 0.0
        stored: list[StoredFile] = []
        for upload, title in uploads:
            del self._uploads[upload.file_id]
            file = StoredFile(
                id=upload.file_id,
                name=upload.filename,
                title=title,
                alt_txt=upload.alt_txt,
                content=upload.content or b"",
                owner=self._caller,
                created=int(self.clock()),
                processed_at=now + delay,
                targets=tuple((target, thread_ts) for target in targets),
            )
            self.stored_files[file.id] = file
            stored.append(file)
            for target in targets or [None]:
                self.files.append(FileShare(file.id, file.name, title, target, thread_ts, file.content, comment))
        job = partial(self._process, self._generation, [f.id for f in stored], comment, self._caller_key)
        if delay:
            self._schedule(delay, job)
        else:
            job()
        # Slack's documented answer: each file's id and title only.
        return {"ok": True, "files": [{"id": f.id, "title": f.title} for f in stored]}

    def _schedule(self, delay: float, job: Callable[[], None]) -> None:
        def run() -> None:
            with self._cond:
                self._timers.discard(timer)
                job()

        timer = threading.Timer(delay, run)
        timer.daemon = True
        self._timers.add(timer)
        timer.start()

    def _process(self, generation: int, file_ids: list[str], comment: str | None, workspace: str) -> None:
        """Processing ends (lock held): each file becomes showable, and is shared where the completion
        asked, one message per channel carrying the files (as Slack posts it)."""
        if generation != self._generation:
            return  # the fake was reset meanwhile
        files = [self.stored_files[i] for i in file_ids if i in self.stored_files]
        channels: dict[str, str | None] = {}
        for file in files:
            for channel, thread_ts in file.targets:
                channels.setdefault(channel, thread_ts)
        for channel, thread_ts in channels.items():
            ts = self._next_ts()
            owner = files[0].owner
            message: dict[str, Any] = {
                "type": "message",
                "user": owner.user_id,
                "bot_id": owner.bot_id,
                "app_id": owner.app_id,
                "text": comment or "",
                "ts": ts,
                "upload": True,
                "files": [self._file_object(f) for f in files],
            }
            if thread_ts:
                message["thread_ts"] = thread_ts
            self.messages.setdefault(channel, []).append(message)
            for file in files:
                file.shares[channel] = ts
            for share in self.files:
                if share.file_id in file_ids and share.channel == channel:
                    share.shared_ts = ts
            limits = self.tier_limits
            if limits is not None:  # the share's message counts against its channel's posting pace
                now = time.monotonic()
                key = (workspace, "chat.postMessage", channel)
                self._bucket(key, *limits.post_limits()[0], now).charge(now)
        self._cond.notify_all()

    def _file_check(self, slack_file: dict[str, Any], channel: Channel | None = None) -> str | None:
        """May the calling app show ``slack_file`` in an image block (in ``channel``)? Only a file it uploaded
        itself, only once Slack has processed it, and not where the channel refuses files shown this way
        (:attr:`Channel.refuses_slack_files`). Wording of the problems: an assumption."""
        file = self._find_file(slack_file)
        if file is None or file.owner != self._caller:
            return "invalid slack_file: file not found"
        if not file.processed(time.monotonic()):
            return "invalid slack_file: file is still being processed"
        if channel is not None and channel.refuses_slack_files:
            return "invalid slack_file: files can't be shown in this conversation"
        return None

    def _find_file(self, slack_file: dict[str, Any]) -> StoredFile | None:
        if slack_file.get("id"):
            return self.stored_files.get(str(slack_file["id"]))
        url = slack_file.get("url")
        return next((f for f in self.stored_files.values() if url in self._file_urls(f).values()), None)

    @staticmethod
    def _file_urls(file: StoredFile) -> dict[str, str]:
        return {
            "url_private": f"https://files.slack.com/files-pri/{TEAM_ID}-{file.id}/{file.name}",
            "url_private_download": f"https://files.slack.com/files-pri/{TEAM_ID}-{file.id}/download/{file.name}",
            "permalink": f"https://sendstats-test.slack.com/files/{file.owner.user_id}/{file.id}/{file.name}",
            "permalink_public": f"https://slack-files.com/{TEAM_ID}-{file.id}-{file.id[-6:].lower()}",
        }

    def _file_object(self, file: StoredFile) -> dict[str, Any]:
        """A file object after the documented ``files.info`` example (https://docs.slack.dev/reference/methods/
        files.info). Thumbnails and ``original_w``/``original_h`` appear once processed (an assumption, see
        :class:`StoredFile`); ``alt_txt`` is the text given to ``files.getUploadURLExternal``."""
        extension = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
        mimetype, filetype, pretty = FILE_TYPES.get(extension, ("application/octet-stream", "binary", "Binary"))
        public = [c for c in file.shares if self.channels.get(c) and self.channels[c].kind == "public"]
        private = [c for c in file.shares if self.channels.get(c) and self.channels[c].kind == "private"]
        ims = [c for c in file.shares if self.channels.get(c) and self.channels[c].kind == "im"]

        def shares(ids: list[str]) -> dict[str, list[dict[str, Any]]]:
            found = {}
            for channel in ids:
                share: dict[str, Any] = {"ts": file.shares[channel], "channel_name": self.channels[channel].name}
                share["team_id"] = TEAM_ID
                thread_ts = dict(file.targets).get(channel)
                if thread_ts:
                    share["thread_ts"] = thread_ts
                found[channel] = [share]
            return found

        obj: dict[str, Any] = {
            "id": file.id,
            "created": file.created,
            "timestamp": file.created,
            "name": file.name,
            "title": file.title,
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": pretty,
            "user": file.owner.user_id,
            "editable": False,
            "size": len(file.content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": bool(public),
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            **self._file_urls(file),
            "comments_count": 0,
            "is_starred": False,
            "shares": {k: v for k, v in (("public", shares(public)), ("private", shares(private + ims))) if v},
            "channels": public,
            "groups": private,
            "ims": ims,
            "has_rich_preview": False,
        }
        if file.alt_txt:
            obj["alt_txt"] = file.alt_txt
        size = _png_size(file.content)
        if size is not None and file.processed(time.monotonic()):
            width, height = size
            scale = min(1.0, 360 / max(width, height))
            for edge in (64, 80, 160, 360):
                obj[f"thumb_{edge}"] = f"https://files.slack.com/files-tmb/{TEAM_ID}-{file.id}/{file.name}_{edge}.png"
            obj |= {"thumb_360_w": round(width * scale), "thumb_360_h": round(height * scale)}
            obj |= {"original_w": width, "original_h": height, "image_exif_rotation": 1}
        return obj

    def _files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """A file the calling app can see: one it uploaded (shared or private), or one shared in a channel.
        Another app's private upload is ``file_not_found``, as Slack hides what it can't show."""
        file = self.stored_files.get(str(params.get("file") or ""))
        if file is None or (file.owner != self._caller and not file.shares):
            raise _SlackError("file_not_found")
        return {"ok": True, "file": self._file_object(file), "comments": [], "response_metadata": {"next_cursor": ""}}

    def wait_processed(self, file_id: str, timeout: float = 15) -> StoredFile:
        """Block until Slack has processed ``file_id`` (an image block may show it from then on)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                file = self.stored_files.get(file_id)
                now = time.monotonic()
                if file is not None and file.processed(now):
                    return file
                if now >= deadline:
                    raise AssertionError(f"file {file_id} not processed within {timeout}s")
                wake = file.processed_at if file is not None else deadline
                self._cond.wait(max(0.0, min(wake, deadline) - now))

    def wait_shared(self, count: int = 1, timeout: float = 15) -> list[FileShare]:
        """Block until ``count`` shares have appeared in their channels (processing done); returns them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                shared = [f for f in self.files if f.shared_ts is not None]
                if len(shared) >= count:
                    return list(shared)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(shared)} of {count} file share(s) appeared within {timeout}s")
                self._cond.wait(remaining)

    # -------------------------------------------------------------- Socket Mode (fakes/slack_socket.py)

    @property
    def socket_mode(self) -> SocketModeFake:
        """The Socket Mode side: started on first use, answers ``apps.connections.open``, stopped with the fake."""
        with self._cond:
            socket: SocketModeFake | None = getattr(self, "_socket_mode", None)
            if socket is None:
                socket = self._socket_mode = SocketModeFake().start()
            return socket

    def _app_level(self, method: str, token: str | None) -> dict[str, Any]:
        if getattr(self, "_socket_mode", None) is None:
            return {"ok": False, "error": "invalid_auth"}  # Socket Mode never switched on: no token is valid
        return self.socket_mode.open_connection(token)

    def _stop_socket_mode(self) -> None:
        socket: SocketModeFake | None = getattr(self, "_socket_mode", None)
        if socket is not None:
            socket.stop()
            self._socket_mode = None


    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages, newest first, ``limit`` of them (cursor-paged)."""
        channel = self._visible(params.get("channel"))
        if not channel.member:
            raise _SlackError("not_in_channel")
        found = [m for m in self.messages.get(channel.id, []) if m.get("thread_ts") in (None, m["ts"])]
        return {**self._page(found[::-1], params), "pin_count": 0}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """A thread: its parent, then the replies oldest first (cursor-paged)."""
        channel = self._visible(params.get("channel"))
        if not channel.member:
            raise _SlackError("not_in_channel")
        ts = params.get("ts")
        thread = [m for m in self.messages.get(channel.id, []) if ts in (m["ts"], m.get("thread_ts"))]
        if not thread:
            raise _SlackError("thread_not_found")
        return self._page(thread, params)

    def _page(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        """One page, as ``conversations.history``/``replies`` answer:

        - ``oldest``/``latest`` bound the messages, excluding the bounds unless ``inclusive`` is set;
        - ``limit``: default 100, at most 999; at most 15 (also the default) for an app distributed outside
          the Marketplace (``non_marketplace``);
        - ``cursor``/``response_metadata.next_cursor`` page through the rest (``has_more``);
        - message ``metadata``: all of it with ``include_all_metadata``, else its ``event_type`` only (Slack
          drops just the ``event_payload``).
        """
        inclusive = str(params.get("inclusive", "")).lower() in ("1", "true")

        def within(m: dict[str, Any]) -> bool:
            ts = float(m["ts"])
            for key, outside in (("oldest", ts.__lt__), ("latest", ts.__gt__)):
                if params.get(key) not in (None, ""):
                    bound = float(params[key])
                    if outside(bound) or (ts == bound and not inclusive):
                        return False
            return True

        messages = [m for m in messages if within(m)]
        cap = NON_MARKETPLACE_LIMIT if self.non_marketplace else HISTORY_MAX_LIMIT
        default = NON_MARKETPLACE_LIMIT if self.non_marketplace else HISTORY_DEFAULT_LIMIT
        try:
            limit = min(cap, max(1, int(params.get("limit") or default)))
        except (TypeError, ValueError):
            raise _SlackError("invalid_limit") from None
        start = 0
        if params.get("cursor"):
            try:
                cursor_ts = base64.b64decode(str(params["cursor"])).decode().removeprefix("next_ts:")
            except (ValueError, UnicodeDecodeError):
                raise _SlackError("invalid_cursor") from None
            start = next((i for i, m in enumerate(messages) if m["ts"] == cursor_ts), None)  # type: ignore[assignment]
            if start is None:
                raise _SlackError("invalid_cursor")
        page, rest = messages[start : start + limit], messages[start + limit :]
        everything = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        shown = []
        for message in page:
            message = copy.deepcopy(message)
            if not everything and isinstance(message.get("metadata"), dict):
                message["metadata"] = {"event_type": message["metadata"].get("event_type")}
            shown.append(message)
        cursor = base64.b64encode(f"next_ts:{rest[0]['ts']}".encode()).decode() if rest else ""
        return {"ok": True, "messages": shown, "has_more": bool(rest), "response_metadata": {"next_cursor": cursor}}


class _Handler(BaseHTTPRequestHandler):
    """Thin adapter from http.server to ``SlackFake._route``."""

    fake: SlackFake
    server_version = "SlackFake/1.0"

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.fake._route(self.command, self.path, headers, body)
        if reply.drop:  # the work is done; the answer never leaves
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up before the answer (a deadline): Slack did the work all the same

    do_POST = _dispatch
    do_GET = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request stderr logging."""
