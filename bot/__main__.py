"""Entry points: ``python -m bot`` (serve), ``python -m bot demo``, ``python -m bot digest``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

from bot.config import Settings, SettingsError, load_settings
from bot.logs import configure

log = logging.getLogger("bot")


def serve(settings: Settings) -> int:
    """Socket Mode when SLACK_APP_TOKEN is set, else HTTP on $PORT behind waitress."""
    from slack_bolt.error import BoltError

    from bot.runtime import build_runtime
    from bot.server import HttpServer, make_wsgi

    try:
        runtime = build_runtime(settings)
    except BoltError as exc:
        print(
            f"sendstats cannot start: Slack rejected SLACK_BOT_TOKEN ({exc}). "
            "Copy the Bot User OAuth Token from your app's OAuth & Permissions page.",
            file=sys.stderr,
        )
        return 2
    if settings.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        runtime.start()
        log.info("sendstats ready (Socket Mode)")
        try:
            SocketModeHandler(runtime.app, settings.slack_app_token.get_secret_value()).start()
        finally:
            runtime.close()
        return 0
    server = HttpServer(make_wsgi(runtime.app, lambda: runtime.ready), port=settings.port)

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: shutting down", signum)
        server.stop()

    signal.signal(signal.SIGTERM, stop)
    server.start_background()
    log.info("listening on :%d (POST /slack/events, GET /healthz)", server.port)
    runtime.start()
    log.info("sendstats ready")
    try:
        server.wait()
    except KeyboardInterrupt:
        server.stop()
    finally:
        runtime.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="sendstats: Braze send analytics in Slack")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the bot (the default)")
    sub.add_parser("demo", help="the real report pipeline against a built-in sample Braze server; no accounts")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from bot import demo

        logging.basicConfig(level=logging.WARNING)
        return demo.main()
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure(settings.log_level, settings.secrets())
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())
