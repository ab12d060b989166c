"""Grammar cases the wider tests pass by: what a mention reads as a question (and the short help it gets),
the alert usage for every kind, alert rules at their edges, a search of exactly the longest length, and time
zones refused by their shape even when a file of that name exists."""

from __future__ import annotations

import struct
import zoneinfo
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from handlers.grammar import (
    ALERT_EXAMPLE,
    AlertRequest,
    FindRequest,
    UsageError,
    alert_usage,
    known_zone,
    misread,
    parse,
    short_help,
)
from reports.kinds import Kind, Target
from reports.kinds.registry import kind_of

TODAY = date(2026, 3, 20)
CAMPAIGN_USAGE = "`/sendstats alert campaign CAMPAIGN_ID METRIC > VALUE`"
ID_PROBLEM = (
    "is not a Braze ID: IDs are plain ASCII letters, digits and punctuation such as - _ . "
    "(no spaces, mentions or links)."
)


# -- a mention that is a question, not a command -----------------------------------------------------------


def test_questions_are_misread_commands() -> None:
    assert misread("what is this")
    assert misread("Hello?")
    assert misread("is")  # a single word without digits, "-" or "_" is no ID
    assert misread("Xmas sale?")


def test_commands_and_ids_are_not_questions() -> None:
    for text in ("help me", "HELP", "? please", "subscribe x", "unsubscribe 3", "find spring", "List all"):
        assert not misread(text), text
    for text in ("alert campaign", "Alerts here"):  # a malformed alert gets the alert usage, not the short help
        assert not misread(text), text
    for text in ("campaign what", "Canvas now"):  # a report kind's own word
        assert not misread(text), text
    for text in ("3bbc4555 what", "spring_launch please", "cmp-1 x", "-h", "--help", "a1"):  # like an ID
        assert not misread(text), text


def test_nothing_is_not_a_question() -> None:
    assert not misread("")
    assert not misread("   ")


def test_the_short_help_in_four_lines() -> None:
    assert short_help() == (
        "I report Braze numbers. Ask me like this:\n"
        "• `@sendstats CAMPAIGN_ID SEND_ID [days]`, `@sendstats campaign ID [days]` or `@sendstats canvas ID [days]`\n"
        "• `@sendstats find WORDS OF THE NAME` to look up an ID\n"
        "`/sendstats help` lists every command."
    )
    assert short_help("/sendstats").splitlines()[2] == "• `/sendstats find WORDS OF THE NAME` to look up an ID"


# -- alerts ----------------------------------------------------------------------------------------------


def test_the_alert_usage_names_every_kind() -> None:
    assert alert_usage() == (
        "`/sendstats alert send CAMPAIGN_ID SEND_ID METRIC > VALUE` or "
        + CAMPAIGN_USAGE
        + " or `/sendstats alert canvas CANVAS_ID METRIC > VALUE`"
    )
    assert alert_usage(kind_of(Kind.CANVAS)) == "`/sendstats alert canvas CANVAS_ID METRIC > VALUE`"


def campaign_error(problem: str) -> UsageError:
    return UsageError(problem, CAMPAIGN_USAGE, ALERT_EXAMPLE)


def test_an_alert_with_its_ids_but_no_rule_asks_for_the_rule() -> None:
    assert parse("alert campaign cmp-1", today=TODAY) == campaign_error(
        "After the campaign, write the rule: a metric, `&gt;` or `&lt;`, and a value, e.g. `delivery_rate &gt; 5%`. "
        "Metrics of a campaign: `delivery_rate`, `open_rate`, `click_rate`, `bounce_rate`, `unsubscribe_rate`, "
        "`spam_rate`, `conversion_rate`, `sent`."
    )


def test_an_alert_on_a_bad_id_shows_the_alert_usage() -> None:
    assert parse("alert campaign c*1 bounce_rate > 2%", today=TODAY) == campaign_error(
        f"The campaign ID “c*1” {ID_PROBLEM}"
    )
    send = parse("alert send c s|1 sent < 5", today=TODAY)
    assert send == UsageError(f"The send ID “s|1” {ID_PROBLEM}", alert_usage(kind_of(Kind.SEND)), ALERT_EXAMPLE)


def test_a_rate_with_a_thousands_comma_is_over_100_percent() -> None:
    for value in ("1,000%", "1,000", "12,345,678%"):
        assert parse(f"alert campaign c open_rate > {value}", today=TODAY) == campaign_error(
            "Open rate is a percentage: use a value from 0% to 100%."
        ), value


def test_a_rate_with_a_decimal_comma_of_four_digits() -> None:
    assert parse("alert campaign c open_rate > 2,2500%", today=TODAY) == AlertRequest(
        Target(Kind.CAMPAIGN, "c"), "open_rate", ">", pytest.approx(0.0225)
    )


# -- find --------------------------------------------------------------------------------------------------


def test_a_search_of_200_characters_is_not_too_long() -> None:
    query = "spring " * 28 + "sale"  # 200 characters
    assert len(query) == 200
    assert parse(f"find {query}", today=TODAY) == FindRequest(query)


# -- time zones ------------------------------------------------------------------------------------------


def tzif_utc() -> bytes:
    """A minimal TZif (version 1) file: one zone type, UTC."""
    header = b"TZif" + bytes(16) + struct.pack(">6l", 0, 0, 0, 0, 1, 4)
    return header + struct.pack(">lbb", 0, 0, 0) + b"UTC\x00"


@pytest.fixture
def zone_files(tmp_path: Path) -> Iterator[Path]:
    """A time zone folder searched before the system's, so a test can make any name a readable zone file."""
    saved = zoneinfo.TZPATH
    zoneinfo.reset_tzpath(to=[str(tmp_path), *saved])
    try:
        yield tmp_path
    finally:
        zoneinfo.reset_tzpath(to=saved)


def test_zone_names_of_the_wrong_shape_are_refused_even_if_a_file_has_that_name(zone_files: Path) -> None:
    for name in ("Zz/Ok_zone", "x" * 64, "x" * 65, "9zone", "Zz/x/y/z"):
        (zone_files / name).parent.mkdir(parents=True, exist_ok=True)
        (zone_files / name).write_bytes(tzif_utc())
    assert known_zone("Zz/Ok_zone")  # the file is read: these names are zones
    assert known_zone("x" * 64)  # at most 64 characters
    assert not known_zone("x" * 65)
    assert not known_zone("9zone")  # a zone's name starts with a letter
    assert not known_zone("Zz/x/y/z")  # at most three parts
