"""The delivery state machine (digests.states) against the database, on SQLite and PostgreSQL: the table
draws the documented diagram, and every step is tried from every state, with its guard satisfied, so
that the state alone decides. Allowed steps move the row to their state; forbidden ones leave it as it
was, column for column. A step that needs the lease is also refused to someone who does not hold it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import update

from digests.deliveries import Deliveries
from digests.records import Delivery, Subscription
from digests.states import DONE, HELD, TRANSITIONS, DeliveryState, Guard, Step
from digests.store import Store
from digests.tables import digest_deliveries
from tests.digests.rows import DAY, T0, subscribe

S = DeliveryState
DOCS = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
#: The diagram of docs/architecture.md, written out apart from the table: (from, to); None is "no row".
DIAGRAM = {
    (None, S.CLAIMED),  # claim
    (S.CLAIMED, S.CLAIMED),  # take over, renew, mark sent, release
    (S.CHART_PENDING, S.CHART_PENDING),  # the same, at the chart step
    (S.CHART_FALLBACK, S.CHART_FALLBACK),  # the same, at the fallback upload
    (S.FAILED, S.CLAIMED),  # retry, force
    (S.MISSED, S.CLAIMED),  # force
    (S.CLAIMED, S.CHART_PENDING),  # message (a chart follows)
    (S.CLAIMED, S.POSTED),  # message (no chart)
    (S.CHART_PENDING, S.POSTED),  # chart (the reply showing the shared upload)
    (S.CHART_PENDING, S.CHART_FALLBACK),  # fallback (that reply was refused)
    (S.CHART_FALLBACK, S.POSTED),  # chart (uploaded into the thread)
    (S.CLAIMED, S.FAILED),  # fail
    (S.CLAIMED, S.SKIPPED),  # skip
    (S.FAILED, S.MISSED),  # miss
}
#: "A" holds every row the walk sets up; "Z" never holds anything.
HOLDER = "A"
LATER = T0 + timedelta(seconds=1)
#: Failed rows wait an hour: only RETRY's context (two hours on) finds their backoff over.
RETRY_AT = T0 + timedelta(hours=1)
BACKOFF_OVER = T0 + timedelta(hours=2)
#: A lease under which a heartbeat at T0 is still live at LATER and BACKOFF_OVER (TAKE_OVER uses a zero one).
LIVE = timedelta(days=1)

Perform = Callable[[Deliveries, int, int, str], object]
#: Each step, taken as ``who`` with its own guard satisfied and the other claims' guards not.
PERFORM: dict[Step, Perform] = {
    Step.CLAIM: lambda d, sub, _, who: d.claim(sub, DAY, holder=who, lease=LIVE, now=LATER),
    Step.TAKE_OVER: lambda d, sub, _, who: d.claim(sub, DAY, holder=who, lease=timedelta(0), now=LATER),
    Step.RETRY: lambda d, sub, _, who: d.claim(sub, DAY, holder=who, lease=LIVE, now=BACKOFF_OVER),
    Step.FORCE: lambda d, sub, _, who: d.claim(sub, DAY, holder=who, lease=LIVE, force=True, now=LATER),
    Step.RENEW: lambda d, _, row, who: d.renew(who, [row], now=LATER),
    Step.MARK_SENT: lambda d, _, row, who: d.mark_sent(row, who, now=LATER),
    Step.MESSAGE: lambda d, _, row, who: d.record_message(row, who, "9.1", chart_follows=True, now=LATER),
    Step.MESSAGE_DONE: lambda d, _, row, who: d.record_message(row, who, "9.1", chart_follows=False, now=LATER),
    Step.CHART: lambda d, _, row, who: d.record_chart(row, who, file_id="F9", now=LATER),
    Step.FALLBACK: lambda d, _, row, who: d.record_fallback(row, who, "invalid_blocks", now=LATER),
    Step.FAIL: lambda d, _, row, who: d.record_failure(row, who, "boom", retry_at=None, now=LATER),
    Step.SKIP: lambda d, _, row, who: d.record_skip(row, who, "nothing yet", now=LATER),
    Step.RELEASE: lambda d, _, row, who: d.release(row, who),
    Step.MISS: lambda d, _, row, who: d.record_missed(row, "gave up", now=LATER),
}
#: How the walk reaches each state: by the steps themselves, from a first claim.
PATH: dict[DeliveryState, tuple[Step, ...]] = {
    S.CLAIMED: (),
    S.CHART_PENDING: (Step.MESSAGE,),
    S.CHART_FALLBACK: (Step.MESSAGE, Step.FALLBACK),
    S.POSTED: (Step.MESSAGE_DONE,),
    S.FAILED: (Step.FAIL,),
    S.MISSED: (Step.FAIL, Step.MISS),
    S.SKIPPED: (Step.SKIP,),
}
#: Without a row, every claim is the first claim (CLAIM): the other claims start from a row.
CLAIMS = (Step.TAKE_OVER, Step.RETRY, Step.FORCE)
CASES = [(step, state) for step in Step for state in (None, *S) if state is not None or step not in CLAIMS]


def set_up(store: Store, state: DeliveryState | None, n: int) -> tuple[Subscription, Delivery | None]:
    """A fresh subscription, with its delivery for DAY in ``state`` (None: no delivery). Whatever the state,
    "A" holds it with a heartbeat at T0 (so a holder's guard holds everywhere) and a retry waits until
    RETRY_AT (so only RETRY's context finds the backoff over)."""
    sub, _ = subscribe(store, send_id=f"walk-{n}")
    if state is None:
        return sub, None
    first = store.deliveries.claim(sub.id, DAY, holder=HOLDER, now=T0)
    assert first is not None
    for step in PATH[state]:
        assert PERFORM[step](store.deliveries, sub.id, first.id, HOLDER)
    with store.engine.begin() as conn:
        row = digest_deliveries.c.id == first.id
        conn.execute(update(digest_deliveries).where(row).values(holder=HOLDER, heartbeat_at=T0, retry_at=RETRY_AT))
    delivery = store.deliveries.get(sub.id, DAY)
    assert delivery is not None and delivery.status == state, (state, delivery)
    return sub, delivery


def test_the_table_draws_the_documented_diagram() -> None:
    assert set(TRANSITIONS) == set(Step)
    edges = {(source, t.target or source) for t in TRANSITIONS.values() for source in (t.sources or {None})}
    assert edges == DIAGRAM
    text = DOCS.read_text()
    assert [step.value for step in Step if f"`{step.value}`" not in text] == []  # each step is documented
    assert [state.value for state in S if f"`{state.value}`" not in text] == []


def test_every_step_from_every_state(store: Store) -> None:
    deliveries, wrong = store.deliveries, []
    for n, (step, state) in enumerate(CASES):
        transition = TRANSITIONS[step]
        sub, before = set_up(store, state, n)
        allowed = state in transition.sources or (state is None and step is Step.CLAIM)
        perform = partial(PERFORM[step], deliveries, sub.id, before.id if before else -1)
        if allowed and transition.guard is Guard.HOLDER and (perform("Z") or deliveries.get(sub.id, DAY) != before):
            wrong.append(f"{step} from {state} was taken by Z, who does not hold the lease")
        done = bool(perform(HOLDER))
        after = deliveries.get(sub.id, DAY)
        last_digest_on = store.subscriptions.get(sub.id).last_digest_on  # type: ignore[union-attr]
        if not allowed:
            if done or after != before:
                wrong.append(f"{step} from {state} was allowed: {after}")
            continue
        expected = transition.target or state
        if not done or after is None or after.status != expected:
            wrong.append(f"{step} from {state} went to {after and after.status} (done: {done}), not {expected}")
        elif (after.holder is None) != (expected not in HELD or step is Step.RELEASE):
            wrong.append(f"{step} from {state} left the lease as {after.holder!r}")
        elif (last_digest_on == DAY) != (expected in DONE):
            wrong.append(f"{step} from {state} left last_digest_on at {last_digest_on}")
    assert wrong == []
    assert len(CASES) == len(Step) * len(S) + len(Step) - len(CLAIMS)
