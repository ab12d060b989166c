"""HTTP serving on a production WSGI server (waitress), not Bolt's development ``app.start()``.

``POST /slack/events`` carries commands, events and interactivity. Every request is checked here
before Bolt sees it: Bolt parses a body before it verifies the signature, so a malformed body (signed
or not) would otherwise surface as HTTP 500 with a traceback. We verify the signature on the raw
bytes, then check the shape Slack promises; anything else is a 4xx logged once at WARNING, and a
signed-but-malformed payload never reaches a listener.

``GET /healthz`` reports the cached readiness (``bot.health``): 200 ``ok`` or 503 with the reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import create_server

log = logging.getLogger(__name__)
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MAX_BODY = 1_048_576
#: Slack's replay window for the ``v0`` signature.
MAX_SKEW = 300


class Rejected(Exception):
    """A request we refuse before Bolt: ``status`` and a short reason (logged, and sent as the body)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _verify(body: bytes, timestamp: str | None, signature: str | None, secret: str, now: float) -> None:
    """Slack's ``v0`` HMAC over the raw bytes (slack_sdk's verifier decodes the body first, which
    raises on invalid UTF-8, and calls ``int()`` on the timestamp, which raises on junk)."""
    if not timestamp or not signature:
        raise Rejected(401, "missing signature headers")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Rejected(401, "non-numeric X-Slack-Request-Timestamp")
    if abs(now - int(timestamp)) > MAX_SKEW:
        raise Rejected(401, "stale X-Slack-Request-Timestamp")
    expected = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Rejected(401, "bad signature")


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Rejected(400, f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise Rejected(400, f"{what} is JSON but not an object")
    return value


#: Fields Slack always sends as strings; Bolt reads them (to build its context) before any listener runs.
_STRINGS = (
    "type", "subtype", "user_id", "channel_id", "team_id", "enterprise_id", "api_app_id", "event_id", "ts",
    "thread_ts", "event_ts", "message_ts", "text", "tab", "bot_id", "response_url", "trigger_id", "user_team",
    "function_execution_id", "bot_access_token", "app_installed_team_id", "action_id", "token", "command",
)
#: Fields that are a string or an object with a string ``id``.
_IDENTITIES = ("user", "channel", "team", "enterprise", "organization")
#: Nested objects Bolt looks into.
_NESTED = ("event", "message", "previous_message", "item", "assistant_thread", "container", "view", "function_data")


def _check_shape(obj: dict[str, Any], where: str, depth: int = 0) -> None:
    """Slack's field types, where Bolt relies on them (a bool ``user`` would raise inside Bolt)."""
    for key in _STRINGS:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise Rejected(400, f"{where}.{key} is not a string")
    for key in _IDENTITIES:
        value = obj.get(key)
        if value is None or isinstance(value, str):
            continue
        if not isinstance(value, dict) or not isinstance(value.get("id", ""), str | None):
            raise Rejected(400, f"{where}.{key} is malformed")
    if obj.get("is_ext_shared_channel") is not None and not isinstance(obj["is_ext_shared_channel"], bool):
        raise Rejected(400, f"{where}.is_ext_shared_channel is not a boolean")
    authorizations = obj.get("authorizations")
    if authorizations is not None:
        if not isinstance(authorizations, list) or not all(isinstance(a, dict) for a in authorizations):
            raise Rejected(400, f"{where}.authorizations is malformed")
        for item in authorizations[:1]:
            _check_shape(item, f"{where}.authorizations", depth + 1)
    if depth < 3:
        for key in _NESTED:
            value = obj.get(key)
            if value is None:
                continue
            if not isinstance(value, dict):
                raise Rejected(400, f"{where}.{key} is not an object")
            _check_shape(value, f"{where}.{key}", depth + 1)


def _check_payload(payload: dict[str, Any]) -> None:
    """Interactivity payloads: a type, and for block actions at least one well-formed action."""
    kind = payload.get("type")
    if not isinstance(kind, str):
        raise Rejected(400, "payload without a type")
    _check_shape(payload, "payload")
    if kind == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions:
            raise Rejected(400, "block_actions without actions")
        for action in actions:
            if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
                raise Rejected(400, "block_actions with a malformed action")
        for key in ("user", "channel", "container", "message", "team"):
            if payload.get(key) is not None and not isinstance(payload[key], dict):
                raise Rejected(400, f"block_actions with a malformed {key}")


def check_body(body: bytes, content_type: str) -> None:
    """Raise :class:`Rejected` unless ``body`` has the shape of something Slack sends us."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "body is not UTF-8") from None
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        envelope = _json_object(text, "body")
        if not isinstance(envelope.get("type"), str):
            raise Rejected(400, "JSON body without a type")
        if envelope["type"] == "event_callback":
            event = envelope.get("event")
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                raise Rejected(400, "event_callback without an event")
        _check_shape(envelope, "body")
        return
    if kind != "application/x-www-form-urlencoded":
        raise Rejected(415, f"unsupported content type {kind or 'none'}")
    try:
        form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise Rejected(400, "form body does not parse") from None
    if "payload" in form:
        _check_payload(_json_object(form["payload"][-1], "payload"))
    elif "command" not in form and "ssl_check" not in form:
        raise Rejected(400, "form body is neither a command nor a payload")
    elif any(len(values) > 1 for values in form.values()):
        raise Rejected(400, "form body repeats a field")


def make_wsgi(
    app: App,
    is_ready: Callable[[], bool | str],
    *,
    signing_secret: str | None = None,
    clock: Callable[[], float] = time.time,
) -> WSGIApp:
    """Route ``/healthz`` ourselves, screen ``/slack/events``, and hand good requests to Bolt.

    ``is_ready`` returns True (``ok``), False (``starting``) or the name of a not-ready state.
    """
    slack = SlackRequestHandler(app, path="/slack/events")
    secret = signing_secret if signing_secret is not None else app._signing_secret

    def reply(start_response: Callable[..., Any], status: str, body: bytes) -> list[bytes]:
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method in ("GET", "HEAD"):
            state = is_ready()
            name = "ok" if state is True else "starting" if state is False else str(state)
            return reply(start_response, "200 OK" if name == "ok" else "503 Service Unavailable", f"{name}\n".encode())
        if path != "/slack/events":
            return reply(start_response, "404 Not Found", b"not found\n")
        if method != "POST":
            return reply(start_response, "405 Method Not Allowed", b"POST only\n")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        try:
            if not 0 <= length <= MAX_BODY:
                raise Rejected(400, "bad Content-Length")
            body = environ["wsgi.input"].read(length) if length else b""
            _verify(
                body,
                environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                environ.get("HTTP_X_SLACK_SIGNATURE"),
                secret,
                clock(),
            )
            check_body(body, environ.get("CONTENT_TYPE", ""))
        except Rejected as exc:
            log.warning("rejected %s from %s: HTTP %d, %s", path, environ.get("REMOTE_ADDR"), exc.status, exc.reason)
            phrase = {400: "Bad Request", 401: "Unauthorized", 415: "Unsupported Media Type"}.get(exc.status, "Error")
            return reply(start_response, f"{exc.status} {phrase}", f"{exc.reason}\n".encode())
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            return slack(environ, start_response)
        except Exception:  # a bug of ours, not the client's: one line with the cause, no 500 traceback storm
            log.exception("unexpected error handling a verified Slack request")
            return reply(start_response, "500 Internal Server Error", b"internal error\n")

    return wsgi


class HttpServer:
    """A waitress server that can run in the foreground (``python -m bot``) or a thread (tests, bench).

    Limits, and why: waitress hands a request to a thread only once it is complete, so slow clients
    cost a connection slot, not a thread. The default ``connection_limit`` of 100 lets 100 dripping
    clients lock everyone out; 1000 slots (with ``poll``, which has no 1024-descriptor ceiling) keep
    room for Slack. Dripping defeats any inactivity timeout, so docs/operations.md says to put a
    buffering proxy in front in production.
    """

    def __init__(self, wsgi: WSGIApp, *, host: str = "0.0.0.0", port: int = 3000, threads: int = 16) -> None:
        self._server = create_server(
            wsgi,
            host=host,
            port=port,
            threads=threads,
            max_request_body_size=MAX_BODY,
            max_request_header_size=32_768,
            connection_limit=1000,
            asyncore_use_poll=True,
            channel_timeout=30,
            cleanup_interval=5,
            backlog=2048,
            ident="sendstats",
            clear_untrusted_proxy_headers=True,
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.effective_port)  # type: ignore[union-attr]

    def serve_forever(self) -> None:
        self._server.run()

    def start_background(self) -> HttpServer:
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)
        self._thread.start()
        return self

    def _answering(self) -> bool:
        """A request is queued, being handled, or its answer not yet sent on some connection."""
        channels = list(self._server._map.values())  # type: ignore[union-attr]
        return any(getattr(c, "requests", None) or getattr(c, "total_outbufs_len", 0) for c in channels)

    def wait(self) -> None:
        """Block until the background server stops (SIGTERM or ``stop``)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=1.0)

    def stop(self, drain: float = 0.0) -> None:
        """Stop listening; let the requests already in hand be answered for up to ``drain`` s (an ack
        that reaches Slack is a promise we keep; one that doesn't would leave Slack showing an error for
        work that runs anyway); then drop open connections: Slack keeps connections alive, and an idle
        keep-alive connection would otherwise keep waitress's loop (and the process) running.

        Only the listening socket closes first: waitress's own ``close`` also closes the trigger that
        wakes its loop to send a finished answer, and an answer in hand would then never leave."""
        server = self._server
        server.del_channel()  # type: ignore[union-attr]  # first: an event on it would close the server, trigger too
        with contextlib.suppress(OSError):  # stop listening now: a close alone waits for the loop's poll
            server.socket.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]
        wasyncore.dispatcher.close(server)  # type: ignore[arg-type]
        ends = time.monotonic() + drain
        while self._answering() and time.monotonic() < ends:
            time.sleep(0.05)
        server.close()  # type: ignore[union-attr]
        wasyncore.close_all(self._server._map, ignore_all=True)  # type: ignore[union-attr]
        self._server.task_dispatcher.shutdown()  # type: ignore[union-attr]
        if self._thread is not None:
            self._thread.join(timeout=5)
