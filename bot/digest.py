"""``python -m bot digest [--date YYYY-MM-DD]``: one digest round now, through the scheduler's own code;
posts nothing twice.

Digests another live process holds are waited for (up to DIGEST_WAIT_SECONDS), and taken over if that
process dies meanwhile (:func:`digests.on_demand.run_until_settled`). Exit status 0 only when every digest
of the date is posted; 1 when some are not (a round that lost its database says so in one line); 2 when
the bot cannot start.
"""

from __future__ import annotations

import argparse
import logging
import signal
from types import FrameType
from typing import TYPE_CHECKING

from bot import starting

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("bot")


def main(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from digests.on_demand import run_until_settled

    runtime = starting.built()
    if runtime is None:
        return 2
    stopping = runtime.rounds.stopping

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: finishing the posts in hand, leaving the rest resumable", signum)
        stopping.set()
        starting.exit_after_grace(143, runtime.settings.stop_grace_seconds)

    signal.signal(signal.SIGTERM, stop)
    if not starting.start(runtime, scheduler=False):
        return 2
    when = args.date.isoformat() if args.date else "today"
    try:
        outcome = run_until_settled(runtime.rounds, args.date, wait_seconds=runtime.settings.digest_wait_seconds)
        lost = database_lost(runtime) if outcome.exit_code else None
    except SQLAlchemyError as exc:  # the database went away outside a digest's own steps
        problem = starting.database_problem(runtime.settings.database_url, exc)
        print(f"digest round for {when} stopped: {lost_line(problem)}")
        return 1
    finally:
        runtime.close()
    print(outcome.summary())
    if lost is not None:
        print(f"digest round for {when} lost its database: {lost_line(lost)}")
    if stopping.is_set():  # do not wait for a hung Braze or Slack call: what it holds stays resumable
        starting.exit_now(outcome.exit_code)
    return outcome.exit_code


#: After a round that left digests undone, how long the look at whether the database is the reason may take.
DATABASE_CHECK_SECONDS = 5.0


def database_lost(runtime: Runtime) -> str | None:
    """Whether a round left digests undone because the database is gone: its one-line problem, or None."""
    from handlers.database import DatabaseUnavailable, within

    try:
        within(DATABASE_CHECK_SECONDS, runtime.store.ping)
    except DatabaseUnavailable as exc:
        cause = exc.__cause__ or TimeoutError(f"it did not answer within {DATABASE_CHECK_SECONDS:.0f} s")
        return starting.database_problem(runtime.settings.database_url, cause)
    except Exception:  # not the database's fault: the round's own counts say what went wrong
        return None
    return None


def lost_line(problem: str) -> str:
    return (
        f"{problem} Digests not posted stay due, and none is posted twice: run the round again once the "
        "database is back."
    )
