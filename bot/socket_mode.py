"""Socket Mode serving: Slack delivers over a websocket the bot opens, so no public URL is needed.

Why its own module: Socket Mode has its own ways to fail and to be run. A rejected app-level token is
explained in one line before anything starts; SIGTERM stops it as it stops HTTP serving; and when the
platform sets ``PORT`` (a PaaS ``web`` process must answer a boot check) ``GET /healthz`` is served there,
saying ok once the bot is warm *and* connected to Slack. Nothing else is served over HTTP.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import starting
from bot.server import HttpServer, WSGIApp, make_wsgi

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("bot")

#: Slack's answers to ``apps.connections.open`` that mean the token itself is wrong.
REJECTED = frozenset(
    {"invalid_auth", "not_authed", "not_allowed_token_type", "token_revoked", "token_expired", "account_inactive"}
)


def check_app_token(runtime: Runtime, app_token: str) -> tuple[str | None, str | None]:
    """Ask Slack for a websocket URL with the app-level token: ``(url, None)`` or ``(None, problem)``."""
    try:
        return str(runtime.slack.apps_connections_open(app_token=app_token)["url"]), None
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        if error in REJECTED:
            return None, (
                f"Slack rejected SLACK_APP_TOKEN ({error}). Create an app-level token with the "
                "connections:write scope on your app's Basic Information page, or unset SLACK_APP_TOKEN to serve HTTP."
            )
        return None, f"Slack refused a Socket Mode connection ({error}). Is Socket Mode enabled for the app?"
    except (SlackClientError, OSError) as exc:
        return None, f"could not reach Slack for a Socket Mode connection ({type(exc).__name__})."


def health_only(wsgi: WSGIApp) -> WSGIApp:
    """``/healthz`` from the HTTP app (one definition of ready), and 404 for everything else."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            return wsgi(environ, start_response)
        body = b"Socket Mode: Slack events arrive over the websocket, not over HTTP\n"
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def serve_socket_mode(runtime: Runtime, app_token: str, health_port: int | None) -> int:
    """Run until SIGTERM or Ctrl-C; 2 if Slack rejects the app-level token."""
    url, problem = check_app_token(runtime, app_token)
    if url is None:  # the URL itself goes unused (see below)
        print(f"sendstats cannot start: {problem}", file=sys.stderr)
        runtime.close()
        return 2
    # The URL just issued proved the token. It is single-use and short-lived, and the start below can
    # outlast it, so the connection asks Slack for a fresh one, as every reconnect does.
    handler = SocketModeHandler(runtime.app, app_token)
    health: HttpServer | None = None
    if health_port is not None:
        ready = make_wsgi(runtime.app, lambda: runtime.ready and handler.client.is_connected())
        health = HttpServer(health_only(ready), port=health_port).start_background()
    stopped = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        starting.stopping(runtime, 0)  # the grace period starts; work in flight finishes within it
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    try:
        runtime.start()
        handler.connect()
        health_note = f"; GET /healthz on :{health.port}, nothing else over HTTP" if health is not None else ""
        log.info("sendstats ready (Socket Mode)%s", health_note)
        stopped.wait()
        log.info("SIGTERM: shutting down")
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()
        if health is not None:
            health.stop()
        runtime.close()
    starting.exit_if_stopped(runtime, 0)
    return 0
