"""``python -m bot clock``: the Procfile ``clock`` process, the digest scheduler alone, for deployments
whose ``web`` processes run with SCHEDULER=off."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from types import FrameType

from bot import starting

log = logging.getLogger("bot")


def main(args: argparse.Namespace) -> int:
    runtime = starting.built()
    if runtime is None or not starting.start(runtime, scheduler=True):
        return 2
    log.info("clock process running the digest scheduler")
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        starting.stopping(runtime, 0)
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.close()
    starting.exit_if_stopped(runtime, 0)
    return 0
