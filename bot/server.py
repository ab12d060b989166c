"""HTTP serving on a production WSGI server (waitress), not Bolt's development ``app.start()``.

``POST /slack/events`` carries commands, events and interactivity; ``GET /healthz`` answers 200 once
the chart workers are warm and the database is reachable, so a platform routes traffic only then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import create_server

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_wsgi(app: App, is_ready: Callable[[], bool]) -> WSGIApp:
    """Route ``/healthz`` ourselves and everything else through Bolt's WSGI adapter."""
    slack = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            ready = is_ready()
            body = b"ok\n" if ready else b"starting\n"
            start_response(
                "200 OK" if ready else "503 Service Unavailable",
                [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return slack(environ, start_response)

    return wsgi


class HttpServer:
    """A waitress server that can run in the foreground (``python -m bot``) or a thread (tests, bench)."""

    def __init__(self, wsgi: WSGIApp, *, host: str = "0.0.0.0", port: int = 3000, threads: int = 16) -> None:
        self._server = create_server(
            wsgi,
            host=host,
            port=port,
            threads=threads,
            max_request_body_size=1_048_576,
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

    def wait(self) -> None:
        """Block until the background server stops (SIGTERM or ``stop``)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=1.0)

    def stop(self) -> None:
        """Stop listening and drop open connections: Slack keeps connections alive, and an idle
        keep-alive connection would otherwise keep waitress's loop (and the process) running."""
        self._server.close()
        wasyncore.close_all(self._server._map, ignore_all=True)  # type: ignore[union-attr]
        self._server.task_dispatcher.shutdown()  # type: ignore[union-attr]
        if self._thread is not None:
            self._thread.join(timeout=5)
