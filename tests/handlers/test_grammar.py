"""The ``/sendstats`` grammar: every valid form and every way to get it wrong."""

from __future__ import annotations

from datetime import date, time

import pytest

from handlers.grammar import (
    REPORT_EXAMPLE,
    REPORT_USAGE,
    SUBSCRIBE_EXAMPLE,
    SUBSCRIBE_USAGE,
    UNSUBSCRIBE_USAGE,
    HelpRequest,
    ListRequest,
    ReportRequest,
    SubscribeRequest,
    UnsubscribeRequest,
    UsageError,
    parse,
    valid_id,
)
from reports.kinds import Kind, Target


def send_report(campaign_id: str, send_id: str, days: int = 14, until: date | None = None) -> ReportRequest:
    """A send's report request (a ``ReportRequest`` of a send target)."""
    return ReportRequest(Target(Kind.SEND, campaign_id, send_id), days, until)


def send_subscription(
    campaign_id: str, send_id: str, at: time | None = None, timezone: str | None = None
) -> SubscribeRequest:
    return SubscribeRequest(Target(Kind.SEND, campaign_id, send_id), at, timezone)


TODAY = date(2024, 3, 31)
ID64 = "c" * 64
ID65 = "c" * 65


def p(text: str):
    return parse(text, today=TODAY)


def error(text: str) -> UsageError:
    result = p(text)
    assert isinstance(result, UsageError), result
    return result


# -- help ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "   ", "\t\n", "help", "HELP", "Help", "-h", "--help", "?", "  help  ", "help me"]
)
def test_help_variants(text: str) -> None:
    assert p(text) == HelpRequest()


# -- report --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cmp-1 send-1", send_report("cmp-1", "send-1", 14, None)),
        ("cmp-1 send-1 7", send_report("cmp-1", "send-1", 7, None)),
        ("cmp-1 send-1 1", send_report("cmp-1", "send-1", 1, None)),
        ("cmp-1 send-1 100", send_report("cmp-1", "send-1", 100, None)),
        ("cmp-1 send-1 007", send_report("cmp-1", "send-1", 7, None)),
        ("cmp-1 send-1 until 2024-03-15", send_report("cmp-1", "send-1", 14, date(2024, 3, 15))),
        ("cmp-1 send-1 30 until 2024-03-15", send_report("cmp-1", "send-1", 30, date(2024, 3, 15))),
        ("cmp-1 send-1 30 UNTIL 2024-03-15", send_report("cmp-1", "send-1", 30, date(2024, 3, 15))),
        ("cmp-1 send-1 Until 2024-03-31", send_report("cmp-1", "send-1", 14, TODAY)),  # today is allowed
        (
            "9ef1c2d0-f1a5-4b2e-8c3d-5e6f7a8b9c0d spring_launch.v2",
            send_report("9ef1c2d0-f1a5-4b2e-8c3d-5e6f7a8b9c0d", "spring_launch.v2", 14, None),
        ),
        ("  cmp-1   send-1\t7  ", send_report("cmp-1", "send-1", 7, None)),
        ("\ncmp-1\nsend-1\n", send_report("cmp-1", "send-1", 14, None)),
        ("CMP-1 Send-1", send_report("CMP-1", "Send-1", 14, None)),  # IDs keep their case
        ("cmp-1 until", send_report("cmp-1", "until", 14, None)),  # "until" is a fine send ID
    ],
)
def test_report_forms(text: str, expected: ReportRequest) -> None:
    assert p(text) == expected


def test_ids_of_exactly_64_characters_are_accepted() -> None:
    assert p(f"{ID64} {ID64}") == send_report(ID64, ID64)
    assert p(f"subscribe {ID64} {ID64}") == send_subscription(ID64, ID64)
    assert p(f"unsubscribe {ID64} {ID64}") == UnsubscribeRequest(Target(Kind.SEND, ID64, ID64))


@pytest.mark.parametrize(
    ("text", "what"),
    [(f"{ID65} send-1", "campaign ID"), (f"cmp-1 {ID65}", "send ID")],
)
def test_ids_of_65_characters_are_rejected(text: str, what: str) -> None:
    e = error(text)
    assert e.problem == f"The {what} is 65 characters long; Braze IDs have at most 64."
    assert (e.usage, e.example) == (REPORT_USAGE, REPORT_EXAMPLE)


@pytest.mark.parametrize(
    "bad_id",
    [
        "cämpaign",
        "кампания",
        "send\u200b1",
        "キャンペーン",
        "emoji🎉",
        "<!channel>",
        "<@U123>",
        "a&b",
        "a|b",
        "a*b",
        "a`b",
        "<https://evil.example|click>",
    ],
)
def test_ids_must_be_printable_ascii_without_slack_markup(bad_id: str) -> None:
    e = error(f"{bad_id} send-1")
    assert e.problem.startswith("The campaign ID “")
    assert "is not a Braze ID" in e.problem
    assert "<" not in e.problem and ">" not in e.problem  # the echo is escaped
    e = error(f"cmp-1 {bad_id}")
    assert e.problem.startswith("The send ID “")


def test_the_echoed_id_is_escaped_for_slack() -> None:
    e = error("<!channel> send-1")
    assert "“&lt;!channel&gt;”" in e.problem


def test_report_needs_two_ids() -> None:
    e = error("cmp-1")
    assert e.problem == "A report needs both a campaign ID and a send ID."
    assert e.usage == REPORT_USAGE


@pytest.mark.parametrize("days", ["0", "101", "1000", "-1", "+5", "7.5", "seven", "1e2", "0x10"])
def test_days_out_of_range_or_not_a_number(days: str) -> None:
    e = error(f"cmp-1 send-1 {days}")
    assert e.problem == f"“{days}” is not a number of days; use a whole number from 1 to 100."


def test_long_junk_is_quoted_shortened_and_escaped() -> None:
    junk = "<!here>" + "x" * 60
    e = error(f"cmp-1 send-1 {junk}")
    assert "&lt;!here&gt;" in e.problem
    assert "<!here>" not in e.problem
    assert "x" * 41 not in e.problem  # quoted words are cut at 40 characters
    assert "…”" in e.problem


def test_until_without_a_date() -> None:
    for text in ("cmp-1 send-1 until", "cmp-1 send-1 7 until"):
        assert error(text).problem == "`until` needs a date, e.g. `until 2026-03-31`."


@pytest.mark.parametrize(
    "value", ["2024/03/15", "15.03.2024", "2024-3-15", "yesterday", "20240315", "2024-03-15T00:00"]
)
def test_until_date_in_the_wrong_format(value: str) -> None:
    assert error(f"cmp-1 send-1 until {value}").problem == f"“{value}” is not a date; write it as YYYY-MM-DD."


@pytest.mark.parametrize("value", ["2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10"])
def test_until_date_that_does_not_exist(value: str) -> None:
    assert error(f"cmp-1 send-1 until {value}").problem == f"“{value}” is not a real date."


def test_until_in_the_future() -> None:
    e = error("cmp-1 send-1 until 2024-04-01")
    assert e.problem == "2024-04-01 is in the future; `until` must be today or earlier."


@pytest.mark.parametrize(
    ("text", "leftover"),
    [
        ("cmp-1 send-1 7 8", "8"),
        ("cmp-1 send-1 7 until 2024-03-15 extra words", "extra words"),
        ("cmp-1 send-1 until 2024-03-15 7", "7"),
    ],
)
def test_trailing_words_are_named(text: str, leftover: str) -> None:
    assert error(text).problem == f"I don't understand “{leftover}” at the end."


def test_usage_error_text_has_problem_usage_example_and_help_pointer() -> None:
    e = error("cmp-1")
    assert e.text.splitlines() == [
        "A report needs both a campaign ID and a send ID.",
        f"Usage: {REPORT_USAGE}",
        f"For example: {REPORT_EXAMPLE}",
        "See `/sendstats help` for every command.",
    ]


# -- subscribe -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("subscribe cmp-1 send-1", send_subscription("cmp-1", "send-1", None, None)),
        ("subscribe cmp-1 send-1 at 08:30", send_subscription("cmp-1", "send-1", time(8, 30), None)),
        ("subscribe cmp-1 send-1 at 8:05", send_subscription("cmp-1", "send-1", time(8, 5), None)),
        ("subscribe cmp-1 send-1 at 00:00", send_subscription("cmp-1", "send-1", time(0, 0), None)),
        ("subscribe cmp-1 send-1 at 23:59", send_subscription("cmp-1", "send-1", time(23, 59), None)),
        (
            "subscribe cmp-1 send-1 at 08:30 Europe/Berlin",
            send_subscription("cmp-1", "send-1", time(8, 30), "Europe/Berlin"),
        ),
        ("subscribe cmp-1 send-1 America/New_York", send_subscription("cmp-1", "send-1", None, "America/New_York")),
        ("SUBSCRIBE cmp-1 send-1 AT 09:00 UTC", send_subscription("cmp-1", "send-1", time(9, 0), "UTC")),
        ("  Subscribe   cmp-1  send-1  At  9:00  ", send_subscription("cmp-1", "send-1", time(9, 0), None)),
    ],
)
def test_subscribe_forms(text: str, expected: SubscribeRequest) -> None:
    assert p(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("subscribe", "`subscribe` needs a campaign ID and a send ID."),
        ("subscribe cmp-1", "`subscribe` needs a campaign ID and a send ID."),
        ("subscribe cmp-1 send-1 at", "`at` needs a time such as 09:00."),
        ("subscribe cmp-1 send-1 at 24:00", "“24:00” is not a time of day; use 24-hour HH:MM."),
        ("subscribe cmp-1 send-1 at 12:60", "“12:60” is not a time of day; use 24-hour HH:MM."),
        ("subscribe cmp-1 send-1 at noon", "“noon” is not a time of day; use 24-hour HH:MM."),
        ("subscribe cmp-1 send-1 at 9", "“9” is not a time of day; use 24-hour HH:MM."),
        ("subscribe cmp-1 send-1 at 9:5", "“9:5” is not a time of day; use 24-hour HH:MM."),
        ("subscribe cmp-1 send-1 at 123:00", "“123:00” is not a time of day; use 24-hour HH:MM."),
        (
            "subscribe cmp-1 send-1 Mars/Olympus_Mons",
            "“Mars/Olympus_Mons” is not a time zone I know; use an IANA name such as Europe/Berlin.",
        ),
        (
            "subscribe cmp-1 send-1 at 08:00 ../../etc/passwd",
            "“../../etc/passwd” is not a time zone I know; use an IANA name such as Europe/Berlin.",
        ),
        ("subscribe cmp-1 send-1 at 08:00 UTC daily", "I don't understand “daily” at the end."),
        (f"subscribe {ID65} send-1", "The campaign ID is 65 characters long; Braze IDs have at most 64."),
        (f"subscribe cmp-1 {ID65}", "The send ID is 65 characters long; Braze IDs have at most 64."),
    ],
)
def test_subscribe_errors(text: str, problem: str) -> None:
    e = error(text)
    assert e.problem == problem
    assert (e.usage, e.example) == (SUBSCRIBE_USAGE, SUBSCRIBE_EXAMPLE)


def test_subscribe_rejects_non_ascii_ids() -> None:
    e = error("subscribe cämp send-1")
    assert "is not a Braze ID" in e.problem
    assert e.usage == SUBSCRIBE_USAGE


# -- unsubscribe ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("unsubscribe cmp-1 send-1", UnsubscribeRequest(Target(Kind.SEND, "cmp-1", "send-1"))),
        ("UNSUBSCRIBE cmp-1 send-1", UnsubscribeRequest(Target(Kind.SEND, "cmp-1", "send-1"))),
        ("unsubscribe 3", UnsubscribeRequest(subscription_id=3)),
        ("unsubscribe 0042", UnsubscribeRequest(subscription_id=42)),
        ("unsubscribe 999999999", UnsubscribeRequest(subscription_id=999_999_999)),
        ("  unsubscribe   7  ", UnsubscribeRequest(subscription_id=7)),
    ],
)
def test_unsubscribe_forms(text: str, expected: UnsubscribeRequest) -> None:
    assert p(text) == expected


@pytest.mark.parametrize("text", ["unsubscribe", "unsubscribe a b c", "unsubscribe 1234567890", "unsubscribe only-one"])
def test_unsubscribe_needs_two_ids_or_a_short_number(text: str) -> None:
    e = error(text)
    assert e.problem == "`unsubscribe` needs a campaign ID and a send ID, or an id from `list`."
    assert e.usage == UNSUBSCRIBE_USAGE
    assert e.example == "`/sendstats unsubscribe 3`"


def test_unsubscribe_checks_ids() -> None:
    e = error(f"unsubscribe {ID65} send-1")
    assert e.problem == "The campaign ID is 65 characters long; Braze IDs have at most 64."
    assert e.usage == UNSUBSCRIBE_USAGE
    assert "is not a Braze ID" in error("unsubscribe cmp-1 sénd").problem


def test_unsubscribe_with_a_superscript_digit_is_a_usage_error_not_a_crash() -> None:
    """``str.isdigit("²")`` is true but ``int("²")`` raises; the grammar must never get that far."""
    assert error("unsubscribe ²").problem == "`unsubscribe` needs a campaign ID and a send ID, or an id from `list`."


# -- list ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["list", "LIST", "  List  "])
def test_list(text: str) -> None:
    assert p(text) == ListRequest()


def test_list_takes_no_arguments() -> None:
    e = error("list everything")
    assert e.problem == "`list` takes no arguments."
    assert e.usage == "`/sendstats list`"


# -- never an exception --------------------------------------------------------------------------------


NOT_AN_ID = (
    "is not a Braze ID: IDs are plain ASCII letters, digits and punctuation such as - _ . "
    "(no spaces, mentions or links)."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x00", UsageError("A report needs both a campaign ID and a send ID.")),
        ("cmp\x00 send", UsageError(f"The campaign ID “cmp\x00” {NOT_AN_ID}")),
        ("\u202ecmp send", UsageError(f"The campaign ID “\u202ecmp” {NOT_AN_ID}")),
        ("a b c d e f g h i j", UsageError("“c” is not a number of days; use a whole number from 1 to 100.")),
        (
            "subscribe a b at 08:00 Europe/Berlin x y",
            UsageError("I don't understand “x y” at the end.", SUBSCRIBE_USAGE, SUBSCRIBE_EXAMPLE),
        ),
        ("until 2024-01-01", send_report("until", "2024-01-01")),  # both are fine IDs
        ("7 7 7", send_report("7", "7", 7)),
        (
            "cmp send 99999999999999999999",
            UsageError("“99999999999999999999” is not a number of days; use a whole number from 1 to 100."),
        ),
        (
            "subscribe a b at 99999999999:00",
            UsageError("“99999999999:00” is not a time of day; use 24-hour HH:MM.", SUBSCRIBE_USAGE, SUBSCRIBE_EXAMPLE),
        ),
    ],
    # Plain ids: mutmut runs tests again by node id, and one holding an escaped control character or a
    # usage line's brackets is not found again.
    ids=lambda value: "".join(c if c.isalnum() else "_" for c in value)[:30] if isinstance(value, str) else "",
)
def test_odd_input_gives_the_right_request_or_usage_error(text: str, expected: object) -> None:
    assert p(text) == expected


# -- usage errors name the right command ---------------------------------------------------------------

UNSUBSCRIBE_EXAMPLE = "`/sendstats unsubscribe 3`"


@pytest.mark.parametrize(
    ("command", "usage", "example"),
    [
        ("", REPORT_USAGE, REPORT_EXAMPLE),
        ("subscribe ", SUBSCRIBE_USAGE, SUBSCRIBE_EXAMPLE),
        ("unsubscribe ", UNSUBSCRIBE_USAGE, UNSUBSCRIBE_EXAMPLE),
    ],
)
@pytest.mark.parametrize(
    ("ids", "problem"),
    [
        ("cämp send-1", f"The campaign ID “cämp” {NOT_AN_ID}"),
        ("cmp-1 sénd", f"The send ID “sénd” {NOT_AN_ID}"),
        (f"{ID65} send-1", "The campaign ID is 65 characters long; Braze IDs have at most 64."),
        (f"cmp-1 {ID65}", "The send ID is 65 characters long; Braze IDs have at most 64."),
    ],
)
def test_a_bad_id_shows_the_usage_and_example_of_its_own_command(
    command: str, usage: str, example: str, ids: str, problem: str
) -> None:
    e = error(command + ids)
    assert (e.problem, e.usage, e.example) == (problem, usage, example)
    assert e.text == (f"{problem}\nUsage: {usage}\nFor example: {example}\nSee `/sendstats help` for every command.")
    assert "None" not in e.text


def test_list_with_arguments_shows_the_list_usage() -> None:
    e = error("list everything")
    assert e.text == (
        "`list` takes no arguments.\nUsage: `/sendstats list`\nFor example: `/sendstats list`\n"
        "See `/sendstats help` for every command."
    )


# -- quoting -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "shown"),
    [("x" * 39, "x" * 39), ("x" * 40, "x" * 40), ("x" * 41, "x" * 40 + "…"), ("x" * 60, "x" * 40 + "…")],
    ids=lambda v: str(len(v)),
)
def test_echoed_words_are_cut_after_40_characters(word: str, shown: str) -> None:
    assert error(f"cmp-1 send-1 7 {word}").problem == f"I don't understand “{shown}” at the end."
    assert (
        error(f"cmp-1 send-1 {word}").problem == f"“{shown}” is not a number of days; use a whole number from 1 to 100."
    )


# -- ASCII digits only ---------------------------------------------------------------------------------


def test_digits_from_other_scripts_are_not_numbers() -> None:
    """``\\d`` matches "٣" (Arabic-Indic three) unless the pattern is ASCII-only, and int("٣") is 3."""
    assert error("cmp-1 send-1 ٣").problem == "“٣” is not a number of days; use a whole number from 1 to 100."
    assert error("cmp-1 send-1 until ٢٠٢٤-٠٣-١٥").problem == "“٢٠٢٤-٠٣-١٥” is not a date; write it as YYYY-MM-DD."
    assert error("subscribe cmp-1 send-1 at ٠٨:٣٠").problem == "“٠٨:٣٠” is not a time of day; use 24-hour HH:MM."
    assert error("unsubscribe ٣").problem == ("`unsubscribe` needs a campaign ID and a send ID, or an id from `list`.")


# -- valid_id (button payloads are checked with it too) -------------------------------------------------


@pytest.mark.parametrize(
    "word", ["a", "!", "~", "cmp-1", "spring_launch.v2", "9ef1c2d0-f1a5", "a" * 64, "!#$%'()+,-./:;=?@[]^_{}~"]
)
def test_valid_ids(word: str) -> None:
    assert valid_id(word)


@pytest.mark.parametrize(
    "word",
    ["", "a b", " a", "a\tb", "a" * 65, "a\x7f", "a\x00", "é", "a<b", "a>b", "a&b", "a`b", "a*b", "a|b", "٣"],
    ids=repr,
)
def test_invalid_ids(word: str) -> None:
    assert not valid_id(word)


# -- the examples shown in usage errors work as written --------------------------------------------------


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        (REPORT_EXAMPLE, send_report("9ef1c2d0-campaign", "spring-launch", 7)),
        (SUBSCRIBE_EXAMPLE, send_subscription("9ef1c2d0-campaign", "spring-launch", time(8, 30), "Europe/Berlin")),
        ("`/sendstats unsubscribe 3`", UnsubscribeRequest(subscription_id=3)),
        ("`/sendstats list`", ListRequest()),
    ],
)
def test_every_example_is_a_command_that_works(example: str, expected: object) -> None:
    assert example.startswith("`/sendstats ") and example.endswith("`")
    assert p(example.removeprefix("`/sendstats ").removesuffix("`")) == expected
