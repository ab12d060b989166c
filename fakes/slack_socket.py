"""Socket Mode for the Slack fake: ``apps.connections.open`` and the websocket it hands out.

Why a real websocket: in Socket Mode the bot's shipped client (slack_sdk's built-in one, which Bolt's
``SocketModeHandler`` uses) does its own HTTP upgrade, framing and ping/pong. Only a real server on
127.0.0.1 proves that the bot connects, takes Slack's envelopes and acks each one.

Usage (through :class:`fakes.slack.SlackFake`, which answers ``apps.connections.open`` with it)::

    with SlackFake() as fake:
        socket = fake.socket_mode           # started on first use, stopped with the fake
        ... start the bot with SLACK_APP_TOKEN=socket.app_token ...
        socket.wait_connected()
        envelope_id = socket.deliver("slash_commands", {...})
        ack = socket.wait_ack(envelope_id)  # {"envelope_id": ..., "payload": {...}}

Envelopes follow Slack's shapes: ``{"envelope_id", "type", "payload", "accepts_response_payload"}``,
plus ``retry_attempt``/``retry_reason`` for ``events_api``. A connection first receives a ``hello``.

Slack's side of the connection's life (https://docs.slack.dev/apis/events-api/using-socket-mode):

- :meth:`SocketModeFake.disconnect` sends ``{"type": "disconnect", "reason": …, "debug_info": {"host": …}}``
  as Slack does: ``warning`` a few seconds before a refresh, ``refresh_requested`` when it is time to
  reconnect (the old connection is then closed ``close_after`` seconds later), ``link_disabled`` when
  Socket Mode was switched off for the app (closed at once). The bot must open a new connection with a
  fresh URL from ``apps.connections.open``.
- A URL from ``apps.connections.open`` is single-use and expires ``ticket_ttl`` seconds after it was
  issued (Slack calls it "temporary" without saying for how long: the 30 s default is an assumption).
- ``accepts_response_payload`` is true where the ack may carry an answer Slack uses: slash commands, and
  the interactive payloads ``view_submission`` and ``block_suggestion`` (an options request). Elsewhere
  (events, buttons, shortcuts) it is false, and a payload in the ack is ignored by Slack: the fake
  records such acks in ``ignored_payloads``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

DEFAULT_APP_TOKEN = "xapp-1-A1-1-test-app-token"
APP_ID = "A1"

#: Envelope types whose ack may carry a response payload (Slack sets ``accepts_response_payload``).
RESPONSE_PAYLOAD_TYPES = frozenset({"slash_commands"})
#: Interactive payload types whose ack carries an answer (``response_action``, options): Slack sets
#: ``accepts_response_payload`` on their envelopes (python-slack-sdk's recorded shortcut envelope has it
#: false; the split for the other types follows Slack's interactivity docs: an assumption where they are silent).
INTERACTIVE_RESPONSE_TYPES = frozenset({"view_submission", "block_suggestion"})
#: Reasons of Slack's ``disconnect`` messages.
DISCONNECT_REASONS = frozenset({"warning", "refresh_requested", "link_disabled"})
#: Seconds a URL from ``apps.connections.open`` stays usable (assumption; Slack calls it temporary).
TICKET_TTL = 30.0
#: Seconds between a ``refresh_requested`` and Slack closing that connection (assumption).
REFRESH_CLOSE_AFTER = 2.0


class SocketModeFake:
    """Issues single-use websocket URLs for the app-level token and serves them; records every ack."""

    def __init__(self, app_token: str = DEFAULT_APP_TOKEN, *, ticket_ttl: float = TICKET_TTL) -> None:
        self.app_token = app_token
        #: Seconds an issued URL stays usable (see the module doc).
        self.ticket_ttl = ticket_ttl
        self._cond = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._tickets: dict[str, float] = {}  # ticket -> time.monotonic() when it expires
        self.expired_tickets = 0
        """Connection attempts refused because their URL had expired."""
        self.disconnects: list[str] = []
        """Reasons of the ``disconnect`` messages sent, oldest first."""
        self.ignored_payloads: list[dict[str, Any]] = []
        """Acks carrying a payload for an envelope that accepts none (Slack ignores the payload)."""
        self._accepts: dict[str, bool] = {}
        self._open: list[ServerConnection] = []
        self.opened = 0
        """Successful ``apps.connections.open`` calls."""
        self.connections = 0
        """Websocket connections accepted (each one got a ``hello``)."""
        self.received: list[dict[str, Any]] = []
        """Every JSON message the bot sent, oldest first."""
        self.acks: dict[str, dict[str, Any]] = {}
        """Acks by envelope id."""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SocketModeFake:
        if self._server is None:
            self._server = serve(
                self._connection, "127.0.0.1", 0, process_request=self._check_ticket, compression=None
            )
            self._thread = threading.Thread(target=self._server.serve_forever, name="slack-socket-fake", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection (code 1001, as Slack does on a restart) and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SocketModeFake is not started")
        return int(self._server.socket.getsockname()[1])

    # ------------------------------------------------------------ Web API side

    def open_connection(self, token: str | None) -> dict[str, Any]:
        """The ``apps.connections.open`` answer: a fresh ``ws://`` URL, or Slack's error for a bad token."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        if token != self.app_token:
            return {"ok": False, "error": "invalid_auth"}
        ticket = uuid.uuid4().hex
        with self._cond:
            self._tickets[ticket] = time.monotonic() + self.ticket_ttl
            self.opened += 1
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={APP_ID}"}

    # ---------------------------------------------------------- websocket side

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse the upgrade for a URL this fake never issued or already used, as Slack does."""
        parts = urlsplit(request.path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._cond:
            expires = self._tickets.pop(ticket, None)
            if parts.path.rstrip("/") != "/link" or expires is None:
                return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")
            if time.monotonic() > expires:
                self.expired_tickets += 1
                return connection.respond(HTTPStatus.UNAUTHORIZED, "expired ticket\n")
        return None

    def _connection(self, ws: ServerConnection) -> None:
        with self._cond:
            self._open.append(ws)
            self.connections += 1
            count = len(self._open)
            self._cond.notify_all()
        hello = {
            "type": "hello",
            "num_connections": count,
            "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID},
        }
        try:
            ws.send(json.dumps(hello))
            for raw in ws:
                message = json.loads(raw)
                with self._cond:
                    self.received.append(message)
                    if isinstance(message, dict) and message.get("envelope_id"):
                        envelope_id = str(message["envelope_id"])
                        self.acks[envelope_id] = message
                        if message.get("payload") and not self._accepts.get(envelope_id, False):
                            self.ignored_payloads.append(message)
                    self._cond.notify_all()
        except (ConnectionClosed, ValueError):
            pass
        finally:
            with self._cond:
                if ws in self._open:
                    self._open.remove(ws)
                self._cond.notify_all()

    # ------------------------------------------------------------ test helpers

    @property
    def connected(self) -> bool:
        with self._cond:
            return bool(self._open)

    def wait_connected(self, timeout: float = 30) -> None:
        """Block until the bot holds an open Socket Mode connection."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._open:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no Socket Mode connection within {timeout}s (opened {self.opened} URL(s))")
                self._cond.wait(remaining)

    def deliver(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0) -> str:
        """Send one envelope (``slash_commands``, ``events_api`` or ``interactive``) on the newest connection;
        returns its envelope id."""
        envelope_id = str(uuid.uuid4())
        accepts = kind in RESPONSE_PAYLOAD_TYPES or (
            kind == "interactive" and payload.get("type") in INTERACTIVE_RESPONSE_TYPES
        )
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts,
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = "timeout" if retry_attempt else ""
        with self._cond:
            self._accepts[envelope_id] = accepts
        deadline = time.monotonic() + 10
        while True:
            with self._cond:
                while not self._open:  # between connections (a reconnect): wait for the next one
                    if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                        raise AssertionError("no Socket Mode connection to deliver to")
                ws = self._open[-1]
            try:
                ws.send(json.dumps(envelope))
                return envelope_id
            except ConnectionClosed:  # it closed under us: Slack delivers on another connection
                with self._cond:
                    if ws in self._open:
                        self._open.remove(ws)
                if time.monotonic() > deadline:
                    raise

    def disconnect(self, reason: str = "refresh_requested", *, close_after: float | None = None) -> None:
        """Send Slack's ``disconnect`` message on every open connection, then close them ``close_after``
        seconds later (default: ``REFRESH_CLOSE_AFTER`` for ``refresh_requested``, at once for
        ``link_disabled``; a ``warning`` closes nothing)."""
        if reason not in DISCONNECT_REASONS:
            raise ValueError(f"Slack sends no disconnect with reason {reason!r}")
        if close_after is None:
            close_after = {"refresh_requested": REFRESH_CLOSE_AFTER, "link_disabled": 0.0}.get(reason)
        message = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}})
        with self._cond:
            connections = list(self._open)
            self.disconnects.append(reason)
        for ws in connections:
            try:
                ws.send(message)
            except ConnectionClosed:
                continue
            if close_after is not None:
                timer = threading.Timer(close_after, self._close, args=(ws, reason))
                timer.daemon = True
                timer.start()

    @staticmethod
    def _close(ws: ServerConnection, reason: str) -> None:
        """Close as Slack does after a disconnect (1001, going away); a client that left first is fine."""
        with contextlib.suppress(ConnectionClosed, OSError, TimeoutError):
            ws.close(code=1001, reason=reason)

    def wait_connections(self, count: int, timeout: float = 30) -> None:
        """Block until ``count`` websocket connections have been accepted in all (reconnects included) and
        one is open."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.connections < count or not self._open:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{self.connections} Socket Mode connection(s), not {count}, within {timeout}s "
                        f"(opened {self.opened} URL(s), {self.expired_tickets} expired)"
                    )
                self._cond.wait(remaining)

    def wait_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        """Block until the bot acked ``envelope_id``; returns the ack message."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while envelope_id not in self.acks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no ack for envelope {envelope_id} within {timeout}s; got {self.received}")
                self._cond.wait(remaining)
            return dict(self.acks[envelope_id])

