"""The job pool's fairness (handlers.jobs): one user runs at most ``per_key`` jobs at once, and every
report, of every kind and from every entry point, is one of its requester's jobs. Waits are generous
timeouts on an outcome, never timings."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from fakes.settings import BRAZE_KEY, SIGNING_SECRET
from fakes.signing import FORM, block_action_body, post_signed, view_submission_payload
from handlers.jobs import FairJobs
from handlers.layout.catalogue_blocks import (
    DAYS_ACTION,
    DAYS_BLOCK,
    SEND_ACTION,
    SEND_BLOCK,
    TARGET_ACTION,
    TARGET_BLOCK,
)
from reports.braze import BrazeClient
from tests.harness import CAMPAIGN, SEND, BotUnderTest


def wait_until(what: str, condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout} s")
        time.sleep(0.05)


def test_one_key_runs_at_most_per_key_jobs_and_never_holds_up_another() -> None:
    pool = FairJobs(active=4, per_key=2, name="fair-test")
    gate = threading.Event()
    try:
        mine = [pool.submit_keyed("U1", gate.wait, 30) for _ in range(3)]
        assert pool.stats() == (2, 1)  # the third waits for one of the first two
        assert pool.submit_keyed("U2", lambda: "done").result(timeout=10) == "done"
        wait_until("the other key's job to end", lambda: pool.stats() == (2, 1))
        gate.set()
        assert [f.result(timeout=10) for f in mine] == [True, True, True]
    finally:
        gate.set()
        pool.shutdown(wait=True, timeout=10)


@pytest.fixture
def patient_braze(bot: BotUnderTest) -> Iterator[None]:
    """Reports wait on a hung Braze for a minute (not the suite's 4 s), so a stuck job stays stuck for as
    long as the test looks at the pool."""
    deps, fast = bot.runtime.deps, bot.runtime.deps.braze
    deps.braze = BrazeClient(bot.braze.url, BRAZE_KEY, backoff_initial=0.01, backoff_max=0.05, deadline_seconds=60)
    try:
        yield
    finally:
        bot.braze.reset()  # lets the hung answers go
        bot.idle(timeout=60)
        deps.braze.close()
        deps.braze = fast


def submit_modal(bot: BotUnderTest, user: str, target: str) -> None:
    """Open the report form with ``/sendstats`` and submit it for ``target`` (``kind:id``), as Slack does."""
    assert bot.command("", user_id=user, trigger_id="13345224609.738474920.8088930838d88f008e0").status_code == 200
    bot.slack.wait_for("views.open")
    values = {
        TARGET_BLOCK: {TARGET_ACTION: {"type": "external_select", "selected_option": {"value": target}}},
        SEND_BLOCK: {SEND_ACTION: {"type": "plain_text_input", "value": None}},
        DAYS_BLOCK: {DAYS_ACTION: {"type": "number_input", "value": "7"}},
    }
    payload = view_submission_payload(bot.slack.opened_views[-1], values, user_id=user)
    assert post_signed(f"{bot.url}/slack/events", block_action_body(payload), SIGNING_SECRET, FORM).status_code == 200


@pytest.mark.slow  # Braze hangs until the test lets it go
def test_a_users_campaign_canvas_and_modal_reports_queue_behind_their_own_like_send_reports(
    bot: BotUnderTest, patient_braze: None
) -> None:
    jobs = bot.runtime.deps.jobs
    assert isinstance(jobs, FairJobs) and jobs.stats() == (0, 0)
    bot.braze.add_campaign("cmp-hung", "Hung campaign", days_ago=10)
    bot.braze.add_canvas("cv-hung", "Hung Canvas", days_ago=10)
    for path in ("/campaigns/data_series", "/canvas/data_series"):
        bot.braze.misbehave("hang", path=path)

    def hung() -> list[object]:
        return [r for r in list(bot.braze.requests) if r.path in ("/campaigns/data_series", "/canvas/data_series")]

    bot.command("campaign cmp-hung 7", user_id="U_BUSY")  # a campaign report, by slash command
    mention = {"type": "app_mention", "user": "U_BUSY", "text": "<@UBOT> canvas cv-hung 7", "channel": "C_PUBLIC"}
    bot.event({**mention, "ts": "1764400000.000100"})  # a Canvas report, by mention
    wait_until("two reports stuck on Braze", lambda: len(hung()) == 2)
    submit_modal(bot, "U_BUSY", "campaign:cmp-hung")  # a third, from the form
    bot.command(f"{CAMPAIGN} {SEND} 7", user_id="U_BUSY")  # and a send report
    wait_until("U_BUSY's later reports to be queued", lambda: jobs.stats() == (2, 2))

    bot.command(f"{CAMPAIGN} {SEND} 7", user_id="U_OTHER")  # someone else is not held up
    bot.slack.wait_for("files.completeUploadExternal", timeout=30)
    wait_until("U_OTHER's report to end", lambda: jobs.stats() == (2, 2))
    assert len(hung()) == 2  # U_BUSY's form report never reached Braze: it waits behind their own two

    bot.braze.reset()  # Braze answers again: the stuck reports retry, and U_BUSY's queued ones run
    bot.idle(timeout=60)
    assert jobs.stats() == (0, 0)
    assert len(bot.slack.calls_to("files.completeUploadExternal")) == 5  # every report got through in the end
