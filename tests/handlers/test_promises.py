"""Acked requests as promises (``handlers.promises``): answered once, or released at a shutdown and their
requesters told privately to run them again; never both. The process-level proof, SIGTERM mid-burst,
is ``tests/bot/test_deploy.py``."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

import pytest

from handlers.flows.reporting import Origin, run_report, tell
from handlers.flows.stopping import tell_unfinished
from handlers.grammar import ReportRequest, SubscribeRequest, parse
from handlers.promises import (
    FORGOTTEN_AFTER,
    PRESS_AGAIN,
    Promises,
    command_text,
    mention_again,
    promised,
    run_again,
)
from reports.kinds import Kind, Target
from tests.harness import CAMPAIGN, SEND, BotUnderTest, message_text

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    "request_",
    [
        ReportRequest(Target(Kind.SEND, "cmp-1", "send-1"), 7),
        ReportRequest(Target(Kind.SEND, "cmp-1", "send-1"), 30, until=date(2026, 3, 1)),
        ReportRequest(Target(Kind.CAMPAIGN, "cmp-2"), 30),
        ReportRequest(Target(Kind.CANVAS, "cv-1"), 60, until=date(2026, 2, 28)),
        SubscribeRequest(Target(Kind.SEND, "cmp-1", "send-1")),
        SubscribeRequest(Target(Kind.SEND, "cmp-1", "send-1"), at=time(8, 30), timezone="Europe/Berlin"),
        SubscribeRequest(Target(Kind.CANVAS, "cv-1"), at=time(7, 5)),
        SubscribeRequest(Target(Kind.CAMPAIGN, "cmp-2"), timezone="America/New_York"),
    ],
)
def test_the_command_to_run_again_reads_back_as_the_same_request(request_: object) -> None:
    text = command_text(request_)  # type: ignore[arg-type]
    assert text.startswith("/sendstats ")
    assert parse(text.removeprefix("/sendstats "), today=TODAY) == request_


def test_again_texts() -> None:
    assert run_again("/sendstats list") == "run `/sendstats list` again"
    assert mention_again("/sendstats cmp send 7") == "mention me again: `@sendstats cmp send 7`"
    assert PRESS_AGAIN == "press the button again"


def test_a_promise_is_answered_once_or_released_never_both() -> None:
    promises = Promises()
    answered, cut_off = promises.make("origin-a", "run a again"), promises.make("origin-b", "run b again")
    assert answered.answer() and answered.answer()  # a second message for the same request is fine
    assert promises.open_count() == 1
    assert [p.again for p in promises.release_open()] == ["run b again"]
    assert not cut_off.answer() and not cut_off.answer()  # its work comes back later: it stays silent
    assert promises.release_open() == [] and promises.open_count() == 0


def test_a_promise_forgotten_by_a_bug_is_dropped_not_told_hours_later() -> None:
    now = [0.0]
    promises = Promises(clock=lambda: now[0])
    old = promises.make("origin", "run old again")
    now[0] = FORGOTTEN_AFTER + 1
    fresh = promises.make("origin", "run fresh again")
    assert [p.again for p in promises.release_open()] == ["run fresh again"]
    assert old.answer() and not fresh.answer()


def test_a_shutdown_tells_each_open_requester_privately_once_and_their_work_then_stays_silent(
    bot: BotUnderTest,
) -> None:
    deps = bot.runtime.deps
    url = bot.slack.new_response_url()
    command = Origin("C_PUBLIC", "U_CMD", response_url=url)
    mention = Origin("C_PUBLIC", "U_MENTION", thread_ts="1700000000.000100")
    request = ReportRequest(Target(Kind.SEND, CAMPAIGN, SEND), 7)
    command = promised(deps.promises, command, run_again(command_text(request)))
    mention = promised(deps.promises, mention, mention_again(command_text(request)))
    answered = promised(deps.promises, Origin("C_PUBLIC", "U_DONE", response_url=bot.slack.new_response_url()), "x")
    assert answered.promise is not None and answered.promise.answer()

    assert tell_unfinished(deps, timeout=10) == 2
    [told] = bot.slack.responses[url]
    assert told["text"] == f"⚠️ I was restarting: run `/sendstats {CAMPAIGN} {SEND} 7` again."
    [ephemeral] = [e for e in bot.slack.ephemerals if e["user"] == "U_MENTION"]
    assert ephemeral["text"] == f"⚠️ I was restarting: mention me again: `@sendstats {CAMPAIGN} {SEND} 7`."
    assert ephemeral["thread_ts"] == "1700000000.000100"

    run_report(deps, request, command)  # the work finishes after all: nothing more reaches anyone
    tell(deps, replace(mention, thread_ts=None), "⚠️ Braze said no")
    bot.idle()
    assert bot.slack.messages_in("C_PUBLIC") == []
    assert len(bot.slack.responses[url]) == 1 and len(bot.slack.ephemerals) == 1
    assert tell_unfinished(deps, timeout=10) == 0  # told once: a second stop has nothing to tell


def test_a_report_answers_its_promise_so_a_shutdown_after_it_tells_nobody(bot: BotUnderTest) -> None:
    deps = bot.runtime.deps
    url = bot.slack.new_response_url()
    origin = promised(deps.promises, Origin("C_PUBLIC", "U1", response_url=url), "run it again")
    run_report(deps, ReportRequest(Target(Kind.SEND, CAMPAIGN, SEND), 7), origin)
    bot.idle()
    assert tell_unfinished(deps, timeout=10) == 0
    assert [m for m in bot.slack.messages_in("C_PUBLIC") if "Spring Sale" in message_text(m)]
    assert bot.slack.responses[url] == []
