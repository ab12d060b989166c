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
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
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

RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL_SECONDS = 30 * 60

# Parameters slack_sdk sends as JSON strings inside form bodies; decoded so tests can
# assert on structure. Free-text fields (``text`` …) are never decoded.
JSON_FIELDS = frozenset(
    {"blocks", "attachments", "files", "view", "metadata", "unfurls", "user_auth_blocks", "outputs"}
)

ChannelKind = Literal["public", "private", "im"]

#: Slack's published tiers as (calls per second, burst) per method per workspace: Tier 4 is "100+ per
#: minute" with "generous burst behavior", Tier 3 "50+" with "sporadic bursts", Tier 2 "20+".
FAKE_TIERS: dict[int, tuple[float, float]] = {2: (20 / 60, 5), 3: (50 / 60, 10), 4: (100 / 60, 20)}
#: Each method's documented tier (https://api.slack.com/methods/<method>, "Rate limits").
FAKE_METHOD_TIERS: dict[str, int] = {
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
    "users.info": 4,
    "views.publish": 4,
    "chat.postEphemeral": 4,
    "auth.test": 4,
    "conversations.join": 3,
    "conversations.open": 3,
    "conversations.info": 3,
    "conversations.history": 3,
    "chat.update": 3,
    "reactions.add": 3,
}


@dataclass
class TierLimits:
    """The opt-in rate limits of :meth:`SlackFake.enable_tiers`.

    ``chat.postMessage`` is "1 per second per channel, short bursts allowed": ``post_rate`` per second
    with ``post_burst`` at once, per channel per workspace. Beyond a bucket: HTTP 429, ``ratelimited``
    and ``Retry-After`` (whole seconds until the next token, as Slack sends it).
    """

    tiers: dict[int, tuple[float, float]] = field(default_factory=lambda: dict(FAKE_TIERS))
    method_tiers: dict[str, int] = field(default_factory=lambda: dict(FAKE_METHOD_TIERS))
    post_rate: float = 1.0
    post_burst: float = 6


class _FakeBucket:
    """Slack's side of a token bucket (the fake does not share the bot's code on purpose)."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, now

    def take(self, now: float) -> float:
        """0 and one token taken, or the seconds until a token will be there (nothing taken)."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


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
    """A file completed via ``files.completeUploadExternal`` (channel None = unshared)."""

    file_id: str
    filename: str
    title: str
    channel: str | None
    thread_ts: str | None
    content: bytes
    initial_comment: str | None = None


@dataclass
class Channel:
    """Channel as the bot sees it; ``member`` decides what the bot may do there."""

    id: str
    kind: ChannelKind = "public"
    member: bool = True
    archived: bool = False
    name: str = ""


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


class _SlackError(Exception):
    """Raised by method handlers to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


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
        chat_write_public: bool = True,
        latency: dict[str, float] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.chat_write_public = chat_write_public
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
            "reactions.add": self._reactions_add,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

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
        self.views: dict[str, dict[str, Any]] = {}
        self.reactions: list[dict[str, str]] = []
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self._uploads: dict[str, _PendingUpload] = {}
        self._response_urls: dict[str, _ResponseUrlState] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._tier_buckets: dict[tuple[str, ...], _FakeBucket] = {}

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
    ) -> Channel:
        """Add (or replace) a channel; it persists across ``reset()``."""
        channel = Channel(id, kind, member=member, archived=archived, name=name or id.lower())
        with self._cond:
            self._channel_config[id] = channel
            self.channels[id] = copy.deepcopy(channel)
        return channel

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
        workspace = headers.get("authorization", "") or str(params.get("token", ""))
        if method == "chat.postMessage":
            key: tuple[str, ...] = (workspace, method, str(params.get("channel", "")))
            rate, burst = limits.post_rate, limits.post_burst
        elif method in limits.method_tiers:
            key = (workspace, method)
            rate, burst = limits.tiers[limits.method_tiers[method]]
        else:
            return None
        now = time.monotonic()
        with self._cond:
            bucket = self._tier_buckets.get(key)
            if bucket is None:
                bucket = self._tier_buckets[key] = _FakeBucket(rate, burst, now)
            wait = bucket.take(now)
        if not wait:
            return None
        return _json_reply({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(max(1, math.ceil(wait)))})

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
        reply = self._fault_reply(method, fault) if fault else self._tier_reply(method, params, headers) or handle()
        call.status = reply.status
        call.response = self._decode_reply(reply)
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()
        return reply

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
        if token != self.token:
            return _json_reply({"ok": False, "error": "invalid_auth"})
        handler = self._methods.get(method)
        if handler is None:
            return _json_reply({"ok": False, "error": "unknown_method"})
        with self._cond:
            try:
                return _json_reply(handler(params))
            except _SlackError as exc:
                return _json_reply({"ok": False, "error": exc.error})
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
        self._ts_counter += 100
        return f"{1700000000 + self._ts_counter // 1_000_000}.{self._ts_counter % 1_000_000:06d}"

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

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://sendstats-test.slack.com/",
            "team": "Sendstats Test",
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel_id = params.get("channel")
        if isinstance(channel_id, str) and channel_id[:1] in ("U", "W"):
            channel_id = self._ensure_dm(channel_id).id  # Slack opens the app DM for user ids
        channel = self._writable(channel_id)
        self._require_content(params)
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": params.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if params.get(key):
                message[key] = params[key]
        self.messages.setdefault(channel.id, []).append(message)
        return {"ok": True, "channel": channel.id, "ts": ts, "message": copy.deepcopy(message)}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable(params.get("channel"))
        if not params.get("user"):
            raise _SlackError("user_not_in_channel")
        self._require_content(params)
        ts = self._next_ts()
        self.ephemerals.append(
            {
                "channel": channel.id,
                "user": params["user"],
                "text": params.get("text", ""),
                "blocks": params.get("blocks"),
                "thread_ts": params.get("thread_ts"),
                "ts": ts,
            }
        )
        return {"ok": True, "message_ts": ts}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._visible(params.get("channel"))
        if channel.archived:
            raise _SlackError("is_archived")
        ts = params.get("ts")
        message = next((m for m in self.messages.get(channel.id, []) if m["ts"] == ts), None)
        if message is None:
            raise _SlackError("message_not_found")
        for key in ("text", "blocks", "attachments"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel.id,
            "ts": ts,
            "text": message["text"],
            "message": copy.deepcopy(message),
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

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id, view = params.get("user_id"), params.get("view")
        if not user_id or not isinstance(view, dict):
            raise _SlackError("invalid_arguments")
        self.views[user_id] = view
        return {"ok": True, "view": {"id": self._next_id("V"), "team_id": TEAM_ID, **copy.deepcopy(view)}}

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
        self._uploads[file_id] = _PendingUpload(file_id, filename, size)
        return {"ok": True, "upload_url": f"{self.root_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise _SlackError("invalid_arguments")
        uploads: list[tuple[_PendingUpload, str]] = []
        for entry in entries:
            upload = self._uploads.get(entry.get("id")) if isinstance(entry, dict) else None
            if upload is None or upload.content is None:
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
        for upload, title in uploads:
            del self._uploads[upload.file_id]
            content = upload.content or b""
            for target in targets or [None]:
                share = FileShare(upload.file_id, upload.filename, title, target, thread_ts, content, comment)
                self.files.append(share)
        # Sharing also creates a message carrying the files, as in real Slack.
        for target in targets:
            message: dict[str, Any] = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "text": comment or "",
                "ts": self._next_ts(),
                "files": [{"id": u.file_id, "name": u.filename, "title": t} for u, t in uploads],
            }
            if thread_ts:
                message["thread_ts"] = thread_ts
            self.messages.setdefault(target, []).append(message)
        return {"ok": True, "files": [{"id": u.file_id, "name": u.filename, "title": t} for u, t in uploads]}

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


class _Handler(BaseHTTPRequestHandler):
    """Thin adapter from http.server to ``SlackFake._route``."""

    fake: SlackFake
    server_version = "SlackFake/1.0"

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.fake._route(self.command, self.path, headers, body)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_POST = _dispatch
    do_GET = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request stderr logging."""
