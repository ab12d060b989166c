"""The delivery state machine, written once: the states of a digest delivery (one subscription's digest
for one day) and every transition between them, with who takes it and what guards it.

:mod:`digests.deliveries` builds each of its conditional UPDATEs from this table, so a step can only
move a row the way a transition here says; ``tests/digests/test_states.py`` walks every allowed and
every forbidden transition against SQLite and PostgreSQL, and ``docs/architecture.md`` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class DeliveryState(StrEnum):
    """Where a day's digest stands. Stored as its value in ``digest_deliveries.status``."""

    #: A holder has the lease: nothing posted yet, or a post whose answer never came (``sent_at`` set).
    CLAIMED = "claimed"
    #: The message is in the channel and its ``ts`` stored; the chart is not attached yet. It is shown by a
    #: reply in the thread whose image block shows the round's one shared upload of the chart.
    CHART_PENDING = "chart_pending"
    #: The message is out, and Slack refused the reply showing the shared chart (a Slack Connect channel, a
    #: workspace policy): the chart is uploaded into this digest's thread instead. Nothing was posted in the
    #: thread by the refused reply, so whoever resumes looks for the uploaded file only.
    CHART_FALLBACK = "chart_fallback"
    #: Done: the message and its chart (or a note that the chart could not be attached), or no chart needed.
    POSTED = "posted"
    #: A transient failure: retried once its backoff (``retry_at``) has passed, or when a person asks.
    FAILED = "failed"
    #: Given up: the subscriber's local day ended before a retry succeeded (the subscriber was told).
    MISSED = "missed"
    #: Done: nothing to post for this day (no complete day of data yet).
    SKIPPED = "skipped"


#: States a live holder works on under a lease (heartbeat); taken over only once the lease lapses.
HELD = frozenset({DeliveryState.CLAIMED, DeliveryState.CHART_PENDING, DeliveryState.CHART_FALLBACK})
#: Held states past the message step: the message is out, its chart is what is left.
CHART_STEPS = frozenset({DeliveryState.CHART_PENDING, DeliveryState.CHART_FALLBACK})
#: States that mean "this day's digest is done": reaching one advances ``last_digest_on``.
DONE = frozenset({DeliveryState.POSTED, DeliveryState.SKIPPED})


class Step(StrEnum):
    """Every transition a delivery can take, by name."""

    CLAIM = "claim"
    TAKE_OVER = "take_over"
    RETRY = "retry"
    FORCE = "force"
    RENEW = "renew"
    MARK_SENT = "mark_sent"
    MESSAGE = "message"
    MESSAGE_DONE = "message_done"
    CHART = "chart"
    FALLBACK = "fallback"
    FAIL = "fail"
    SKIP = "skip"
    RELEASE = "release"
    MISS = "miss"


class Guard(StrEnum):
    """What must hold, besides the state, for a transition to be taken."""

    NEW_DAY = "no delivery for the day yet"
    HOLDER = "the caller holds the lease"
    LEASE_LAPSED = "the holder's heartbeat is older than a lease, or the lease was released"
    BACKOFF_OVER = "the failure's retry time has passed"
    FORCED = "a person asked (python -m bot digest, with or without --date)"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Transition:
    #: The states it moves from; empty for the first claim, which creates the row.
    sources: frozenset[DeliveryState]
    #: The state it moves to; None: the row keeps its state (only its lease or attempt record changes).
    target: DeliveryState | None
    guard: Guard
    #: Who takes it: ``round`` (a slot's round, the sweep's round or the ``digest`` command; after the
    #: claim, only the lease holder), ``takeover`` (any of them, finding a lapsed lease), ``sweep`` (its
    #: close-out of ended days) or ``digest command`` (a person asked).
    by: str
    #: What it records on the delivery row (the execution log of the attempt).
    records: str


_S = DeliveryState
TRANSITIONS: MappingProxyType[Step, Transition] = MappingProxyType(
    {
        Step.CLAIM: Transition(
            frozenset(), _S.CLAIMED, Guard.NEW_DAY, "round", "attempt 1, holder, claimed_at, heartbeat_at"
        ),
        Step.TAKE_OVER: Transition(
            HELD, None, Guard.LEASE_LAPSED, "takeover", "attempts + 1, new holder, claimed_at, heartbeat_at"
        ),
        Step.RETRY: Transition(
            frozenset({_S.FAILED}), _S.CLAIMED, Guard.BACKOFF_OVER, "round", "attempts + 1, holder, claimed_at"
        ),
        Step.FORCE: Transition(
            frozenset({_S.FAILED, _S.MISSED}), _S.CLAIMED, Guard.FORCED, "digest command", "attempts + 1, holder"
        ),
        Step.RENEW: Transition(HELD, None, Guard.HOLDER, "round", "heartbeat_at"),
        Step.MARK_SENT: Transition(HELD, None, Guard.HOLDER, "round", "sent_at: a Slack write is on its way"),
        Step.MESSAGE: Transition(
            frozenset({_S.CLAIMED}), _S.CHART_PENDING, Guard.HOLDER, "round", "message_ts; sent_at cleared"
        ),
        Step.MESSAGE_DONE: Transition(
            frozenset({_S.CLAIMED}), _S.POSTED, Guard.HOLDER, "round", "message_ts, detail; lease ended"
        ),
        Step.CHART: Transition(CHART_STEPS, _S.POSTED, Guard.HOLDER, "round", "file_id or detail; lease ended"),
        Step.FALLBACK: Transition(
            frozenset({_S.CHART_PENDING}), _S.CHART_FALLBACK, Guard.HOLDER, "round", "detail (why); sent_at cleared"
        ),
        Step.FAIL: Transition(
            frozenset({_S.CLAIMED}), _S.FAILED, Guard.HOLDER, "round", "detail, retry_at; sent_at kept if unknown"
        ),
        Step.SKIP: Transition(frozenset({_S.CLAIMED}), _S.SKIPPED, Guard.HOLDER, "round", "detail; lease ended"),
        Step.RELEASE: Transition(HELD, None, Guard.HOLDER, "round", "lease ended (holder, heartbeat_at cleared)"),
        Step.MISS: Transition(frozenset({_S.FAILED}), _S.MISSED, Guard.NONE, "sweep", "detail; retry_at cleared"),
    }
)
