"""The grammar of ``find``, ``subscribe campaign|canvas`` and ``unsubscribe campaign|canvas``."""

from __future__ import annotations

from datetime import date, time

import pytest

from handlers.grammar import (
    FIND_USAGE,
    KIND_SUBSCRIBE_USAGE,
    FindRequest,
    SubscribeRequest,
    UnsubscribeRequest,
    UsageError,
    parse,
)
from reports.kinds import Kind, Target


def kind_subscription(
    kind: str, object_id: str, at: time | None = None, timezone: str | None = None
) -> SubscribeRequest:
    return SubscribeRequest(Target(Kind(kind), object_id), at, timezone)


TODAY = date(2026, 11, 29)


def p(text: str):
    return parse(text, today=TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("find spring sale", FindRequest("spring sale")),
        ("FIND   Été  promo ", FindRequest("Été promo")),
        ("find 50% <off>", FindRequest("50% <off>")),
        ("subscribe campaign cmp-1", kind_subscription("campaign", "cmp-1")),
        ("subscribe Canvas cv-1 at 07:30", kind_subscription("canvas", "cv-1", time(7, 30))),
        (
            "subscribe canvas cv-1 at 7:30 Europe/Berlin",
            kind_subscription("canvas", "cv-1", time(7, 30), "Europe/Berlin"),
        ),
        ("subscribe campaign cmp-1 Asia/Tokyo", kind_subscription("campaign", "cmp-1", None, "Asia/Tokyo")),
        ("subscribe cmp-1 send-1", SubscribeRequest(Target(Kind.SEND, "cmp-1", "send-1"))),  # sends keep their grammar
        ("unsubscribe canvas cv-1", UnsubscribeRequest(Target(Kind.CANVAS, "cv-1"))),
        ("unsubscribe Campaign cmp-1", UnsubscribeRequest(Target(Kind.CAMPAIGN, "cmp-1"))),
        ("unsubscribe cmp-1 send-1", UnsubscribeRequest(Target(Kind.SEND, "cmp-1", "send-1"))),
    ],
)
def test_valid_forms(text: str, expected: object) -> None:
    assert p(text) == expected


@pytest.mark.parametrize(
    ("text", "problem", "usage"),
    [
        ("find", "needs a word", FIND_USAGE),
        ("find " + "x" * 201, "too long", FIND_USAGE),
        ("subscribe campaign", "needs a campaign ID", KIND_SUBSCRIBE_USAGE),
        ("subscribe canvas <@U1>", "not a Braze ID", KIND_SUBSCRIBE_USAGE),
        ("subscribe canvas cv-1 at 25:00", "not a time of day", KIND_SUBSCRIBE_USAGE),
        ("subscribe campaign cmp-1 Mars/Olympus", "not a time zone", KIND_SUBSCRIBE_USAGE),
        ("subscribe campaign cmp-1 at 09:00 UTC extra", "don't understand", KIND_SUBSCRIBE_USAGE),
    ],
)
def test_mistakes_say_what_is_wrong_with_usage(text: str, problem: str, usage: str) -> None:
    result = p(text)
    assert isinstance(result, UsageError), result
    assert problem in result.text and usage in result.text
