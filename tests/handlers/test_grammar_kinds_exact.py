"""``campaign``/``canvas`` reports and ``unsubscribe campaign|canvas`` errors, compared exactly: the problem,
the usage line and the example each mistake shows (issue 12: "For example: None" must fail a test)."""

from __future__ import annotations

from datetime import date, time

import pytest

from handlers.grammar import (
    FindRequest,
    ReportRequest,
    SubscribeRequest,
    UsageError,
    known_zone,
    parse,
)
from reports.kinds import Kind, Target


def kind_report(kind: str, object_id: str, days: int = 30, until: date | None = None) -> ReportRequest:
    """A campaign's or Canvas's report request."""
    return ReportRequest(Target(Kind(kind), object_id), days, until)


def kind_subscription(
    kind: str, object_id: str, at: time | None = None, timezone: str | None = None
) -> SubscribeRequest:
    return SubscribeRequest(Target(Kind(kind), object_id), at, timezone)


TODAY = date(2026, 11, 29)
CAMPAIGN = (
    "`/sendstats campaign CAMPAIGN_ID [days] [until YYYY-MM-DD]`",
    "`/sendstats campaign 3bbc4555-8fa0-4c9b-a5c0-4505edf3e064 30`",
)
CANVAS = (
    "`/sendstats canvas CANVAS_ID [days] [until YYYY-MM-DD]`",
    "`/sendstats canvas 0ad1e1a4-canvas 60 until 2026-03-31`",
)
UNSUBSCRIBE = (
    "`/sendstats unsubscribe CAMPAIGN_ID SEND_ID` or `/sendstats unsubscribe NUMBER` (from `list`)",
    "`/sendstats unsubscribe 3`",
)
NOT_AN_ID = (
    "is not a Braze ID: IDs are plain ASCII letters, digits and punctuation such as - _ . "
    "(no spaces, mentions or links)."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CAMPAIGN cmp-1", kind_report("campaign", "cmp-1", 30, None)),  # 30 days unless told
        ("canvas cv-1 60 until 2026-03-31", kind_report("canvas", "cv-1", 60, date(2026, 3, 31))),
        ("campaign c 100", kind_report("campaign", "c", 100, None)),
    ],
)
def test_kind_reports(text: str, expected: ReportRequest) -> None:
    assert parse(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("campaign", UsageError("`campaign` needs a campaign ID.", *CAMPAIGN)),
        ("canvas", UsageError("`canvas` needs a Canvas ID.", *CANVAS)),
        ("canvas <@U1>", UsageError(f"The Canvas ID “&lt;@U1&gt;” {NOT_AN_ID}", *CANVAS)),
        ("campaign a|b", UsageError(f"The campaign ID “a|b” {NOT_AN_ID}", *CAMPAIGN)),
        (
            "campaign " + "x" * 65,
            UsageError("The campaign ID is 65 characters long; Braze IDs have at most 64.", *CAMPAIGN),
        ),
        (
            "canvas " + "x" * 65,
            UsageError("The Canvas ID is 65 characters long; Braze IDs have at most 64.", *CANVAS),
        ),
        (
            "campaign c 0",
            UsageError("“0” is not a number of days; use a whole number from 1 to 100.", *CAMPAIGN),
        ),
        ("canvas cv 7 extra", UsageError("I don't understand “extra” at the end.", *CANVAS)),
        (
            "campaign c until 2000-01-05",
            UsageError(
                "2000-01-05 with 30 days reaches back before 2000; Braze has no analytics that old. Check the date.",
                *CAMPAIGN,
            ),
        ),
        ("unsubscribe campaign <x>", UsageError(f"The ID “&lt;x&gt;” {NOT_AN_ID}", *UNSUBSCRIBE)),
        (
            "unsubscribe canvas " + "y" * 65,
            UsageError("The ID is 65 characters long; Braze IDs have at most 64.", *UNSUBSCRIBE),
        ),
    ],
)
def test_kind_mistakes_exactly(text: str, expected: UsageError) -> None:
    assert parse(text, today=TODAY) == expected


KIND_SUBSCRIBE = (
    "`/sendstats subscribe campaign|canvas ID [at HH:MM] [time zone]`",
    "`/sendstats subscribe canvas 0ad1e1a4-canvas at 08:30 Europe/Berlin`",
)
FIND = ("`/sendstats find WORDS OF THE NAME`", "`/sendstats find spring sale`")


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        (KIND_SUBSCRIBE[1], kind_subscription("canvas", "0ad1e1a4-canvas", time(8, 30), "Europe/Berlin")),
        (FIND[1], FindRequest("spring sale")),
        (CAMPAIGN[1], kind_report("campaign", "3bbc4555-8fa0-4c9b-a5c0-4505edf3e064", 30)),
        (CANVAS[1], kind_report("canvas", "0ad1e1a4-canvas", 60, date(2026, 3, 31))),
    ],
)
def test_each_example_parses_as_shown(example: str, expected: object) -> None:
    assert parse(example.strip("`").removeprefix("/sendstats "), today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("subscribe canvas", UsageError("`subscribe canvas` needs a Canvas ID.", *KIND_SUBSCRIBE)),
        ("subscribe campaign c at", UsageError("`at` needs a time such as 09:00.", *KIND_SUBSCRIBE)),
        ("find", UsageError("`find` needs a word or two of the name.", *FIND)),
        ("find " + "x" * 201, UsageError("That search is too long; a few words of the name are enough.", *FIND)),
    ],
)
def test_subscribe_kind_and_find_mistakes_exactly(text: str, expected: UsageError) -> None:
    assert parse(text, today=TODAY) == expected


@pytest.mark.parametrize(
    "zone",
    ["America/Argentina/Buenos_Aires", "America/Port-au-Prince", "Etc/GMT+5", "Etc/GMT-14", "UTC", "W-SU", "GMT-0"],
)
def test_real_zones_with_two_slashes_hyphens_and_signs_are_known(zone: str) -> None:
    assert known_zone(zone)
    assert parse(f"subscribe campaign c {zone}", today=TODAY) == kind_subscription("campaign", "c", None, zone)


def test_the_earliest_day_is_2000_01_01() -> None:
    assert parse("campaign c 1 until 2000-01-01", today=TODAY) == kind_report("campaign", "c", 1, date(2000, 1, 1))
    assert parse("campaign c 2 until 2000-01-01", today=TODAY) == UsageError(
        "2000-01-01 with 2 days reaches back before 2000; Braze has no analytics that old. Check the date.", *CAMPAIGN
    )
