"""A digest round on demand (``python -m bot digest``): one round now, then follow-up rounds over the
digests another live process holds, until none is held elsewhere, the wait is over, or the process is
told to stop. Digests whose holder dies meanwhile are taken over when its lease lapses.

The outcome is what the command prints and the exit status it ends with: 0 only when every digest of the
date is posted (or had nothing to post).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from digests.context import RoundContext, RoundResult
from digests.round import run_round

#: Longest pause between two looks at the digests another process holds.
MAX_PAUSE_SECONDS = 5.0


@dataclass
class Outcome:
    """A finished on-demand round: the digest date (None: today), how many subscriptions were active and
    what happened to their digests."""

    day: date | None
    subscriptions: int
    result: RoundResult

    @property
    def exit_code(self) -> int:
        return 0 if self.result.left == 0 else 1

    def summary(self) -> str:
        """One line with every count, for the operator who ran the command."""
        result = self.result
        reasons = "; ".join(f"{reason} ×{n}" for reason, n in result.reasons.most_common())
        return (
            f"digest round for {self.day.isoformat() if self.day else 'today'}: {self.subscriptions} active "
            f"subscription(s); posted {result.posted + result.quiet} (no activity {result.quiet}), "
            f"already posted {result.already_done}, in progress elsewhere {result.in_progress}, "
            f"failed {result.failed + result.waiting}, "
            f"missed {result.missed}, skipped {result.skipped}, stopped {result.stopped}, paused {result.paused}, "
            f"ended {result.ended}; Braze calls {result.braze_calls}; chart uploads {result.chart_uploads}, "
            f"chart fallbacks {result.chart_fallbacks}" + (f"; reasons: {reasons}" if reasons else "")
        )


def run_until_settled(deps: RoundContext, day: date | None, *, wait_seconds: float) -> Outcome:
    """One round over every active subscription, ignoring their posting times; then, for up to
    ``wait_seconds``, rounds over the ones held elsewhere, until none is (or ``deps.stopping`` is set)."""
    subs = deps.store.subscriptions.active()
    result = run_round(deps, subs, digest_date=day, ignore_time=True)
    ends = time.monotonic() + wait_seconds
    pause = min(deps.keeper.lease.total_seconds() / 2, MAX_PAUSE_SECONDS)
    while result.elsewhere and not deps.stopping.is_set() and time.monotonic() < ends:
        deps.stopping.wait(pause)
        waiting_for = set(result.elsewhere)
        again = [s for s in deps.store.subscriptions.active() if s.id in waiting_for]
        result.absorb(run_round(deps, again, digest_date=day, ignore_time=True))
    return Outcome(day, len(subs), result)
