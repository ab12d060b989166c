"""The verdict of a report or digest: which numbers say what happened, and the one change that matters.

Pure choices over numbers (the words are written in ``handlers.layout``). A kind names its measures
(:meth:`reports.kinds.base.ReportKind.verdict_measures`) and the counts worth comparing
(:meth:`~reports.kinds.base.ReportKind.movers`); :func:`pick_shift` chooses among those:

* only counts with a sound base: at least :data:`MIN_BASE` in the earlier period (a move from 3 to 9
  is noise, not "▲ 200%");
* the largest relative move wins; on a tie, the earlier mover (kinds list the volume first);
* a report compares its last :data:`HALF_DAYS` days with the :data:`HALF_DAYS` before when its range
  holds both (:func:`halves`); a digest compares its day with the day before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from reports.views import Shift

#: The smallest earlier figure a change is measured against.
MIN_BASE = 20
#: A report's "previous period": its last week against the week before.
HALF_DAYS = 7

Movers = Sequence[tuple[str, float | None, str]]


def pick_shift(now: Movers, before: Movers, against: str) -> Shift | None:
    """The largest sound relative change among ``(label, value, style)`` pairs, or None."""
    earlier = {label: value for label, value, _ in before}
    best: Shift | None = None
    for label, value, style in now:
        base = earlier.get(label)
        if value is None or base is None or base < MIN_BASE:
            continue
        shift = Shift(label, float(value), float(base), against, style)
        if best is None or abs(shift.relative) > abs(best.relative):
            best = shift
    return best


def halves(start: date, end: date) -> tuple[tuple[date, date], tuple[date, date]] | None:
    """The last :data:`HALF_DAYS` days of ``start``..``end`` and the days before them, when the range
    holds both; else None."""
    if (end - start).days + 1 < 2 * HALF_DAYS:
        return None
    recent = (end - timedelta(days=HALF_DAYS - 1), end)
    earlier = (end - timedelta(days=2 * HALF_DAYS - 1), end - timedelta(days=HALF_DAYS))
    return recent, earlier
