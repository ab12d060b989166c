"""When the process stops (a deploy's SIGTERM): the requesters of work not done in the grace period are
told privately to run it again (their promises, :mod:`handlers.promises`, are released first, so work
that answers after that stays silent)."""

from __future__ import annotations

import logging
from concurrent.futures import wait

from handlers.deps import Deps
from handlers.flows.reporting import tell
from handlers.jobs import FairJobs

log = logging.getLogger(__name__)

#: What a requester reads when the process stopped before their request was done.
RESTARTING = "⚠️ I was restarting: {again}."
#: Tells sent at once while stopping (each is a response_url or Slack call of its own).
TELLERS = 16


def tell_unfinished(deps: Deps, timeout: float) -> int:
    """Release every open promise and tell each requester privately to run it again; returns how many
    were told, waiting at most ``timeout`` s for the tells themselves (the process is stopping)."""
    released = deps.promises.release_open()
    if not released:
        return 0
    tellers = FairJobs(active=TELLERS, max_threads=TELLERS, per_key=TELLERS, name="tell-restart")
    futures = [tellers.submit(tell, deps, p.origin, RESTARTING.format(again=p.again)) for p in released]
    done, not_done = wait(futures, timeout=timeout)
    tellers.shutdown(wait=False, cancel_futures=True)
    log.warning(
        "stopping: %d request(s) could not finish in the grace period; %d requester(s) told to run them again%s",
        len(released),
        len(done),
        f" ({len(not_done)} not told in time)" if not_done else "",
    )
    return len(done)
