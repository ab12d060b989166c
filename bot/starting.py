"""What every long-running command (``serve``, ``clock``, ``digest``) does to start and to stop.

Each failure a person can fix is one line on stderr, starting ``sendstats cannot start:``, naming the
setting to fix and never its secret; nothing here prints a traceback for a bad setting, an unusable
database or a Slack that refuses the token.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import TYPE_CHECKING

from bot.config import Settings, SettingsError, load_settings
from bot.logs import configure

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("bot")

def cannot_start(problem: str) -> None:
    """The one line a refused start prints."""
    print(f"sendstats cannot start: {problem}", file=sys.stderr)


def settings() -> Settings | None:
    """The settings, with logging configured from them; None (the problem printed) when they are unusable."""
    try:
        loaded = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return None
    configure(loaded.log_level, loaded.secrets())
    return loaded


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


def start(runtime: Runtime, **kwargs: bool) -> bool:
    """``runtime.start``; a database that refuses, is missing or never answers is one line, not a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        runtime.start(**kwargs)
        return True
    except (SQLAlchemyError, OSError) as exc:
        cannot_start(database_problem(runtime.settings.database_url, exc))
        runtime.close()
        return False


def built() -> Runtime | None:
    """The settings read and the bot wired (:func:`settings`, :func:`build`); None when either failed,
    its problem printed."""
    loaded = settings()
    return None if loaded is None else build(loaded)


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
    cannot_start(problem)
    return None


def exit_after_grace(code: int, seconds: float) -> None:
    """Start a daemon timer that ends the process ``seconds`` (STOP_GRACE_SECONDS) from now whatever
    still runs (a hung Braze, Slack or database call must not keep a SIGTERMed process alive)."""

    def force() -> None:
        log.warning("still running %.0f s after SIGTERM: exiting now; unfinished digests stay resumable", seconds)
        logging.shutdown()
        os._exit(code)

    timer = threading.Timer(seconds, force)
    timer.daemon = True
    timer.start()


def stopping(runtime: Runtime, code: int) -> bool:
    """SIGTERM: the runtime's grace period starts (``/healthz`` says ``stopping``) and the process ends
    STOP_GRACE_SECONDS from now with ``code``, whatever still runs. False for a second SIGTERM, which
    changes nothing (the grace period runs from the first)."""
    if runtime.stop_started is not None:
        return False
    runtime.stopping()
    exit_after_grace(code, runtime.settings.stop_grace_seconds)
    return True


def exit_if_stopped(runtime: Runtime, code: int) -> None:
    """After ``runtime.close()`` on SIGTERM, end the process at once: what still runs was given up (its
    requesters told, its digests released), and a thread stuck on Braze would otherwise hold the
    interpreter's exit until the timer of :func:`exit_after_grace`."""
    if runtime.stop_started is not None:
        exit_now(code)


def exit_now(code: int) -> None:
    """End the process at once with ``code``, output flushed, without waiting for threads still stuck on
    Braze or Slack (what they hold stays resumable)."""
    sys.stdout.flush()
    logging.shutdown()
    os._exit(code)
