"""``python -m bot alerts``: one alert check now, through the scheduler's own code; posts nothing twice.

Every active rule is judged on today's data so far (and, the first time after midnight, on the complete
day before), and the posts that are due go out: breaches, "back to normal" replies, and posts an earlier
check left unfinished. Exit status 0 when every rule was checked and every due post went out; 1 when a
check could not be made (Braze refused a target, the database went away) or a post failed for now; 2 when
the bot cannot start.
"""

from __future__ import annotations

import argparse
import logging
import signal
from types import FrameType

from bot import starting

log = logging.getLogger("bot")


def main(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from digests.alert_check import check_alerts

    runtime = starting.built()
    if runtime is None:
        return 2
    alerts = runtime.alerts
    assert alerts is not None

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: finishing the post in hand, leaving the rest to the next check", signum)
        alerts.stopping.set()
        starting.exit_after_grace(143, runtime.settings.stop_grace_seconds)

    signal.signal(signal.SIGTERM, stop)
    if not starting.start(runtime, scheduler=False):
        return 2
    try:
        result = check_alerts(alerts)
    except SQLAlchemyError as exc:
        problem = starting.database_problem(runtime.settings.database_url, exc)
        print(f"alert check stopped: {problem} Nothing is posted twice: run the check again once it is back.")
        return 1
    finally:
        runtime.close()
    print(result.summary())
    if alerts.stopping.is_set():
        starting.exit_now(result.exit_code)
    return result.exit_code
