"""``python -m bot digest [--date YYYY-MM-DD]``: one digest round now, through the scheduler's own code;
posts nothing twice.

Digests another live process holds are waited for (up to DIGEST_WAIT_SECONDS), and taken over if that
process dies meanwhile (:func:`digests.on_demand.run_until_settled`). Exit status 0 only when every digest
of the date is posted; 2 when the bot cannot start.
"""

from __future__ import annotations

import argparse
import logging
import signal
from types import FrameType

from bot import starting

log = logging.getLogger("bot")


def main(args: argparse.Namespace) -> int:
    from digests.on_demand import run_until_settled

    runtime = starting.built()
    if runtime is None:
        return 2
    stopping = runtime.rounds.stopping

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: finishing the posts in hand, leaving the rest resumable", signum)
        stopping.set()
        starting.exit_after_grace(143)

    signal.signal(signal.SIGTERM, stop)
    if not starting.start(runtime, scheduler=False):
        return 2
    try:
        outcome = run_until_settled(runtime.rounds, args.date, wait_seconds=runtime.settings.digest_wait_seconds)
    finally:
        runtime.close()
    print(outcome.summary())
    if stopping.is_set():  # do not wait for a hung Braze or Slack call: what it holds stays resumable
        starting.exit_now(outcome.exit_code)
    return outcome.exit_code
