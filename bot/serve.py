"""``python -m bot`` (or ``python -m bot serve``): run the bot. Socket Mode when SLACK_APP_TOKEN is set,
else HTTP on $PORT behind waitress (``POST /slack/events``, ``GET /healthz``).

At the default log level a start prints what an operator needs: a schema upgrade if one ran, the
scheduler's slots, and one ``ready`` line with the port. A start that cannot go on prints one line.
"""

from __future__ import annotations

import argparse
import logging
import signal
from types import FrameType

from bot import starting

log = logging.getLogger("bot")
#: After SIGTERM, how long requests already received may take to be acked (Slack waits 3 s for an ack).
ACK_DRAIN_SECONDS = 3.5


def main(args: argparse.Namespace) -> int:
    from bot.server import HttpServer, make_wsgi

    runtime = starting.built()
    if runtime is None:
        return 2
    settings = runtime.settings
    if settings.slack_app_token is not None:
        from sqlalchemy.exc import SQLAlchemyError

        from bot.socket_mode import serve_socket_mode

        health_port = settings.port if "port" in settings.model_fields_set else None  # only when PORT is set
        try:
            return serve_socket_mode(runtime, settings.slack_app_token.get_secret_value(), health_port)
        except SQLAlchemyError as exc:  # the database failed at start-up (the runtime is closed by then)
            starting.cannot_start(starting.database_problem(settings.database_url, exc))
            return 2
    server = HttpServer(make_wsgi(runtime.app, runtime.health_state), port=settings.port)

    def stop(signum: int, frame: FrameType | None) -> None:
        if not starting.stopping(runtime, 0):
            return  # a second SIGTERM: already stopping
        log.info("signal %s: shutting down", signum)
        server.stop(drain=ACK_DRAIN_SECONDS)  # requests already received still get their ack

    signal.signal(signal.SIGTERM, stop)
    server.start_background()  # /healthz answers "starting" while the schema and the workers get ready
    if not starting.start(runtime):
        server.stop()
        return 2
    log.info("sendstats ready, listening on :%d (POST /slack/events, GET /healthz)", server.port)
    try:
        server.wait()
    except KeyboardInterrupt:
        server.stop()
    finally:
        runtime.close()
    starting.exit_if_stopped(runtime, 0)
    return 0
