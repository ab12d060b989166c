"""Entry points: ``python -m bot`` (serve), ``python -m bot demo``, ``python -m bot digest``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from datetime import date
from types import FrameType
from typing import TYPE_CHECKING

from bot.config import Settings, SettingsError, load_settings
from bot.logs import configure

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("bot")


def database_problem(url: str, exc: BaseException) -> str:
    """One line naming DATABASE_URL (password hidden) and the database's own reason, without a traceback."""
    from sqlalchemy.engine import make_url

    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:
        shown = "(unparsable)"
    reason = getattr(exc, "orig", None) or exc
    text = " ".join(str(reason).split()) or type(reason).__name__
    try:
        password = make_url(url).password
    except Exception:
        password = None
    if password:
        text = text.replace(str(password), "***")
    return (
        f"the database at DATABASE_URL={shown} is not usable: {text[:300]}. "
        "Check DATABASE_URL and that the database server is up."
    )


def start(runtime: Runtime, settings: Settings, **kwargs: bool) -> bool:
    """``runtime.start``; a database that refuses, is missing or never answers is one line, not a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        runtime.start(**kwargs)
        return True
    except (SQLAlchemyError, OSError) as exc:
        print(f"sendstats cannot start: {database_problem(settings.database_url, exc)}", file=sys.stderr)
        runtime.close()
        return False


def build(settings: Settings) -> Runtime | None:
    """Wire the bot; Bolt checks the token with ``auth.test``, and a failure is explained, not thrown."""
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackClientError

    from bot.runtime import build_runtime

    try:
        return build_runtime(settings)
    except BoltError as exc:
        problem = (
            f"Slack rejected SLACK_BOT_TOKEN ({exc}). "
            "Copy the Bot User OAuth Token from your app's OAuth & Permissions page."
        )
    except (SlackClientError, OSError) as exc:
        problem = (
            f"could not reach Slack at {settings.slack_api_url} ({type(exc).__name__}). "
            "Check the network and SLACK_API_URL."
        )
    except Exception as exc:  # an unusable DATABASE_URL (unknown scheme, unparsable) fails here
        from sqlalchemy.exc import ArgumentError

        if not isinstance(exc, ArgumentError | ValueError):
            raise
        problem = database_problem(settings.database_url, exc)
    print(f"sendstats cannot start: {problem}", file=sys.stderr)
    return None


def serve(settings: Settings) -> int:
    """Socket Mode when SLACK_APP_TOKEN is set, else HTTP on $PORT behind waitress."""
    from bot.server import HttpServer, make_wsgi

    runtime = build(settings)
    if runtime is None:
        return 2
    if settings.slack_app_token is not None:
        from bot.socket_mode import serve_socket_mode

        health_port = settings.port if "port" in settings.model_fields_set else None  # only when PORT is set
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return serve_socket_mode(runtime, settings.slack_app_token.get_secret_value(), health_port)
        except SQLAlchemyError as exc:  # the database failed at start-up (the runtime is closed by then)
            print(f"sendstats cannot start: {database_problem(settings.database_url, exc)}", file=sys.stderr)
            return 2
    server = HttpServer(make_wsgi(runtime.app, runtime.health_state), port=settings.port)

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: shutting down", signum)
        exit_after_grace(0)
        server.stop()

    signal.signal(signal.SIGTERM, stop)
    server.start_background()
    log.info("listening on :%d (POST /slack/events, GET /healthz)", server.port)
    if not start(runtime, settings):
        server.stop()
        return 2
    log.info("sendstats ready")
    try:
        server.wait()
    except KeyboardInterrupt:
        server.stop()
    finally:
        runtime.close()
    return 0


#: After SIGTERM, how long the process may take to finish the posts in hand before it exits anyway
#: (anything unfinished is left resumable: released, or its lease lapses).
STOP_GRACE_SECONDS = 25.0


def exit_after_grace(code: int) -> None:
    """Start a daemon timer that ends the process after :data:`STOP_GRACE_SECONDS` whatever still runs
    (a hung Braze or Slack call must not keep a SIGTERMed process alive)."""

    def force() -> None:
        log.warning(
            "still running %.0f s after SIGTERM: exiting now; unfinished digests stay resumable", STOP_GRACE_SECONDS
        )
        logging.shutdown()
        os._exit(code)

    timer = threading.Timer(STOP_GRACE_SECONDS, force)
    timer.daemon = True
    timer.start()


def digest(settings: Settings, day: date | None) -> int:
    """One digest round now, through the scheduler's own code; posts nothing twice.

    Digests another live process holds are waited for (up to DIGEST_WAIT_SECONDS), and taken over if
    that process dies meanwhile. Exit status 0 only when every digest of the date is posted.
    """
    from digests.round import run_round

    runtime = build(settings)
    if runtime is None:
        return 2
    rounds = runtime.rounds
    stopping = rounds.stopping

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: finishing the posts in hand, leaving the rest resumable", signum)
        stopping.set()
        exit_after_grace(143)

    signal.signal(signal.SIGTERM, stop)
    if not start(runtime, settings, scheduler=False):
        return 2
    try:
        subs = runtime.store.active_subscriptions()
        result = run_round(rounds, subs, digest_date=day, ignore_time=True)
        deadline = time.monotonic() + settings.digest_wait_seconds
        pause = min(rounds.keeper.lease.total_seconds() / 2, 5.0)
        while result.elsewhere and not stopping.is_set() and time.monotonic() < deadline:
            stopping.wait(pause)
            waiting_for = set(result.elsewhere)
            again = [s for s in runtime.store.active_subscriptions() if s.id in waiting_for]
            result.absorb(run_round(rounds, again, digest_date=day, ignore_time=True))
    finally:
        runtime.close()
    reasons = "; ".join(f"{reason} ×{n}" for reason, n in result.reasons.most_common())
    print(
        f"digest round for {day.isoformat() if day else 'today'}: {len(subs)} active subscription(s); "
        f"posted {result.posted + result.quiet} (no activity {result.quiet}), already posted {result.already_done}, "
        f"in progress elsewhere {result.in_progress}, failed {result.failed + result.waiting}, "
        f"missed {result.missed}, skipped {result.skipped}, stopped {result.stopped}, paused {result.paused}, "
        f"ended {result.ended}; Braze calls {result.braze_calls}" + (f"; reasons: {reasons}" if reasons else "")
    )
    code = 0 if result.left == 0 else 1
    if stopping.is_set():  # do not wait for a hung Braze or Slack call: what it holds stays resumable
        sys.stdout.flush()
        logging.shutdown()
        os._exit(code)
    return code


def clock(settings: Settings) -> int:
    """The Procfile ``clock`` process: the digest scheduler alone, for deployments with web processes."""
    runtime = build(settings)
    if runtime is None:
        return 2
    if not start(runtime, settings, scheduler=True):
        return 2
    log.info("clock process running the digest scheduler")
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()
        exit_after_grace(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.close()
    return 0


def database(action: str) -> int:
    """``python -m bot db upgrade|current``: migrate by hand, or see where the schema stands."""
    from bot import db
    from bot.config import DatabaseSettings
    from digests.store import make_engine

    url = DatabaseSettings().database_url
    engine = make_engine(url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        if action == "upgrade":
            before, after = db.upgrade(engine)
            change = "already at" if before == after else f"upgraded from {before or 'empty'} to"
            print(f"{shown}: {change} {after}")
        else:
            now, newest = db.current(engine), db.head()
            state = "up to date" if now == newest else f"behind: `python -m bot db upgrade` goes to {newest}"
            print(f"{shown}: at {now or 'no revision (empty, or made before migrations)'}; {state}")
    finally:
        engine.dispose()
    return 0


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="sendstats: Braze send analytics in Slack")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the bot (the default)")
    sub.add_parser("demo", help="the real report pipeline against a built-in sample Braze server; no accounts")
    digest_parser = sub.add_parser("digest", help="run one digest round now (posts nothing twice)")
    digest_parser.add_argument("--date", type=_date, help="digest date YYYY-MM-DD (backfills, tests)")
    sub.add_parser("clock", help="run only the digest scheduler (Procfile clock process)")
    db_parser = sub.add_parser("db", help="database schema: upgrade to the newest revision, or show the current one")
    db_parser.add_argument("action", choices=["upgrade", "current"])
    args = parser.parse_args(argv)
    if args.command == "demo":
        from bot import demo

        logging.basicConfig(level=logging.WARNING)
        return demo.main()
    if args.command == "db":
        logging.basicConfig(level=logging.WARNING)
        return database(args.action)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure(settings.log_level, settings.secrets())
    if args.command == "digest":
        return digest(settings, args.date)
    if args.command == "clock":
        return clock(settings)
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())
