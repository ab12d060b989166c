"""The ``/sendstats`` grammar: text in, a typed request or a usage error out.

Everything is validated here, before Braze is called, so a typo costs the user one ephemeral line
that says what was wrong and shows a correct example, never an exception and never silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.layout.text import escape
from reports.summary import RETENTION_DAYS

MAX_ID_LENGTH = 64
DEFAULT_DAYS = RETENTION_DAYS  # the whole window Braze keeps
MAX_DAYS = 100
_ID = re.compile(r"[!-~]{1,64}")  # printable ASCII without spaces: Braze's rule for send IDs
_FORBIDDEN_IN_ID = set("<>&`*|")
_DAYS = re.compile(r"\d{1,3}", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TIME = re.compile(r"(\d{1,2}):(\d{2})", re.ASCII)
_NUMBER = re.compile(r"\d{1,9}", re.ASCII)
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}", re.ASCII)
MAX_ZONE_LENGTH = 64
#: Braze has no analytics older than this; earlier ``until`` dates are typos (and would overflow).
EARLIEST_DAY = date(2000, 1, 1)

REPORT_USAGE = "`/sendstats <campaign_id> <send_id> [days] [until YYYY-MM-DD]`"
REPORT_EXAMPLE = "`/sendstats 9ef1c2d0-campaign spring-launch 7`"
SUBSCRIBE_USAGE = "`/sendstats subscribe <campaign_id> <send_id> [at HH:MM] [time zone]`"
SUBSCRIBE_EXAMPLE = "`/sendstats subscribe 9ef1c2d0-campaign spring-launch at 08:30 Europe/Berlin`"
UNSUBSCRIBE_USAGE = "`/sendstats unsubscribe <campaign_id> <send_id>` or `/sendstats unsubscribe <id from list>`"
KIND_SUBSCRIBE_USAGE = "`/sendstats subscribe campaign|canvas <id> [at HH:MM] [time zone]`"
KIND_SUBSCRIBE_EXAMPLE = "`/sendstats subscribe canvas 0ad1e1a4-canvas at 08:30 Europe/Berlin`"
KIND_DEFAULT_DAYS = 30
FIND_USAGE = "`/sendstats find <words in the name>`"
FIND_EXAMPLE = "`/sendstats find spring sale`"
CAMPAIGN_USAGE = "`/sendstats campaign <campaign_id> [days] [until YYYY-MM-DD]`"
CAMPAIGN_EXAMPLE = "`/sendstats campaign 3bbc4555-8fa0-4c9b-a5c0-4505edf3e064 30`"
CANVAS_USAGE = "`/sendstats canvas <canvas_id> [days] [until YYYY-MM-DD]`"
CANVAS_EXAMPLE = "`/sendstats canvas 0ad1e1a4-canvas 60 until 2026-03-31`"
#: usage and example per report kind (``campaign``, ``canvas``).
KIND_USAGE: dict[str, tuple[str, str]] = {
    "campaign": (CAMPAIGN_USAGE, CAMPAIGN_EXAMPLE),
    "canvas": (CANVAS_USAGE, CANVAS_EXAMPLE),
}


@dataclass(frozen=True, slots=True)
class HelpRequest:
    pass


@dataclass(frozen=True, slots=True)
class ReportRequest:
    campaign_id: str
    send_id: str
    days: int = DEFAULT_DAYS
    #: Last day of the range (Braze's ``ending_at`` is the end of this day, UTC); None means now.
    until: date | None = None


@dataclass(frozen=True, slots=True)
class KindReportRequest:
    """A campaign or Canvas report (``kind`` is ``"campaign"`` or ``"canvas"``)."""

    kind: str
    object_id: str
    days: int = KIND_DEFAULT_DAYS
    #: Last day of the range (end of this day, UTC); None means now.
    until: date | None = None


@dataclass(frozen=True, slots=True)
class FindRequest:
    """Campaigns and Canvases whose name holds every word (searched in the catalogue, never in Braze)."""

    query: str


@dataclass(frozen=True, slots=True)
class SubscribeRequest:
    campaign_id: str
    send_id: str
    at: time | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class KindSubscribeRequest:
    """A daily digest of a whole campaign or Canvas (``kind`` is ``"campaign"`` or ``"canvas"``)."""

    kind: str
    object_id: str
    at: time | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class UnsubscribeRequest:
    """By the subscription's id from ``list``, or by its target ``(kind, object_id, send_id)``."""

    kind: str | None = None
    object_id: str | None = None
    send_id: str | None = None
    subscription_id: int | None = None


@dataclass(frozen=True, slots=True)
class ListRequest:
    pass


@dataclass(frozen=True, slots=True)
class UsageError:
    """What was wrong, in words for the user, plus the usage line and an example."""

    problem: str
    usage: str = REPORT_USAGE
    example: str = REPORT_EXAMPLE

    @property
    def text(self) -> str:
        return (
            f"{self.problem}\nUsage: {self.usage}\nFor example: {self.example}\n"
            "See `/sendstats help` for every command."
        )


Request = (
    HelpRequest
    | ReportRequest
    | KindReportRequest
    | FindRequest
    | SubscribeRequest
    | KindSubscribeRequest
    | UnsubscribeRequest
    | ListRequest
)


def _quote(word: str, limit: int = 40) -> str:
    shown = word if len(word) <= limit else word[:limit] + "…"
    return f"“{escape(shown)}”"


def valid_id(word: str) -> bool:
    """Braze's rule for IDs (printable ASCII, at most 64), minus what Slack would treat as markup."""
    return bool(_ID.fullmatch(word)) and not _FORBIDDEN_IN_ID & set(word)


def _check_id(word: str, what: str, usage: str, example: str) -> UsageError | None:
    if len(word) > MAX_ID_LENGTH:
        return UsageError(f"The {what} is {len(word)} characters long; Braze IDs have at most 64.", usage, example)
    if not valid_id(word):
        return UsageError(
            f"The {what} {_quote(word)} is not a Braze ID: IDs are plain ASCII letters, digits and "
            "punctuation such as - _ . (no spaces, mentions or links).",
            usage,
            example,
        )
    return None


def known_zone(zone: str) -> bool:
    """Whether ``zone`` is an IANA time zone. ``ZoneInfo`` reads a file named after it, so a region like
    ``Europe`` (a directory) or a 300-character word raises ``OSError``, not ``ZoneInfoNotFoundError``;
    the shape is checked first so no user text becomes a path."""
    if len(zone) > MAX_ZONE_LENGTH or not _ZONE.fullmatch(zone) or ".." in zone:
        return False
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _parse_date(word: str, today: date) -> date | UsageError:
    if not _DATE.fullmatch(word):
        return UsageError(f"{_quote(word)} is not a date; write it as YYYY-MM-DD.")
    try:
        day = date.fromisoformat(word)
    except ValueError:
        return UsageError(f"{_quote(word)} is not a real date.")
    if day > today:
        return UsageError(f"{word} is in the future; `until` must be today or earlier.")
    return day


def _parse_report(words: list[str], today: date) -> ReportRequest | UsageError:
    if len(words) < 2:
        return UsageError("A report needs both a campaign ID and a send ID.")
    campaign_id, send_id, rest = words[0], words[1], words[2:]
    for word, what in ((campaign_id, "campaign ID"), (send_id, "send ID")):
        if error := _check_id(word, what, REPORT_USAGE, REPORT_EXAMPLE):
            return error
    span = _parse_span(rest, today, DEFAULT_DAYS)
    if isinstance(span, UsageError):
        return span
    return ReportRequest(campaign_id, send_id, *span)


def _parse_span(rest: list[str], today: date, default_days: int) -> tuple[int, date | None] | UsageError:
    """``[days] [until YYYY-MM-DD]`` (the same for every report kind)."""
    days, until = default_days, None
    if rest and rest[0].lower() != "until":
        word = rest.pop(0)
        if not _DAYS.fullmatch(word) or not 1 <= int(word) <= MAX_DAYS:
            return UsageError(f"{_quote(word)} is not a number of days; use a whole number from 1 to {MAX_DAYS}.")
        days = int(word)
    if rest and rest[0].lower() == "until":
        if len(rest) < 2:
            return UsageError("`until` needs a date, e.g. `until 2026-03-31`.")
        parsed = _parse_date(rest[1], today)
        if isinstance(parsed, UsageError):
            return parsed
        until, rest = parsed, rest[2:]
        if until.toordinal() - (days - 1) < EARLIEST_DAY.toordinal():
            return UsageError(
                f"{until.isoformat()} with {days} days reaches back before {EARLIEST_DAY.year}; "
                "Braze has no analytics that old. Check the date."
            )
    if rest:
        return UsageError(f"I don't understand {_quote(' '.join(rest))} at the end.")
    return days, until


def parse_kind_report(kind: str, words: list[str], today: date) -> KindReportRequest | UsageError:
    """``campaign <campaign_id> [days] [until YYYY-MM-DD]`` or the same for ``canvas``."""
    usage, example = KIND_USAGE[kind]
    what = "campaign ID" if kind == "campaign" else "Canvas ID"
    if not words:
        return UsageError(f"`{kind}` needs a {what}.", usage, example)
    if error := _check_id(words[0], what, usage, example):
        return error
    span = _parse_span(words[1:], today, KIND_DEFAULT_DAYS)
    if isinstance(span, UsageError):
        return UsageError(span.problem, usage, example)
    return KindReportRequest(kind, words[0], *span)


def _parse_subscribe(words: list[str]) -> SubscribeRequest | KindSubscribeRequest | UsageError:
    kind = words[0].lower() if words and words[0].lower() in KIND_USAGE else None
    if kind is not None:
        usage, example = KIND_SUBSCRIBE_USAGE, KIND_SUBSCRIBE_EXAMPLE
        what = "campaign ID" if kind == "campaign" else "Canvas ID"
        if len(words) < 2:
            return UsageError(f"`subscribe {kind}` needs a {what}.", usage, example)
        if error := _check_id(words[1], what, usage, example):
            return error
    else:
        usage, example = SUBSCRIBE_USAGE, SUBSCRIBE_EXAMPLE
        if len(words) < 2:
            return UsageError("`subscribe` needs a campaign ID and a send ID.", usage, example)
        for word, what in ((words[0], "campaign ID"), (words[1], "send ID")):
            if error := _check_id(word, what, usage, example):
                return error
    rest, at, zone = words[2:], None, None
    if rest and rest[0].lower() == "at":
        if len(rest) < 2:
            return UsageError("`at` needs a time such as 09:00.", usage, example)
        match = _TIME.fullmatch(rest[1])
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            return UsageError(f"{_quote(rest[1])} is not a time of day; use 24-hour HH:MM.", usage, example)
        at, rest = time(int(match[1]), int(match[2])), rest[2:]
    if rest:
        zone = rest.pop(0)
        if not known_zone(zone):
            return UsageError(
                f"{_quote(zone)} is not a time zone I know; use an IANA name such as Europe/Berlin.",
                usage,
                example,
            )
    if rest:
        return UsageError(f"I don't understand {_quote(' '.join(rest))} at the end.", usage, example)
    if kind is not None:
        return KindSubscribeRequest(kind, words[1], at, zone)
    return SubscribeRequest(words[0], words[1], at, zone)


def _parse_unsubscribe(words: list[str]) -> UnsubscribeRequest | UsageError:
    example = "`/sendstats unsubscribe 3`"
    if len(words) == 1 and _NUMBER.fullmatch(words[0]):
        return UnsubscribeRequest(subscription_id=int(words[0]))
    if len(words) != 2:
        return UsageError(
            "`unsubscribe` needs a campaign ID and a send ID, or an id from `list`.",
            UNSUBSCRIBE_USAGE,
            example,
        )
    if words[0].lower() in KIND_USAGE:  # unsubscribe campaign|canvas <id>
        if error := _check_id(words[1], "ID", UNSUBSCRIBE_USAGE, example):
            return error
        return UnsubscribeRequest(kind=words[0].lower(), object_id=words[1], send_id="")
    for word, what in ((words[0], "campaign ID"), (words[1], "send ID")):
        if error := _check_id(word, what, UNSUBSCRIBE_USAGE, example):
            return error
    return UnsubscribeRequest(kind="send", object_id=words[0], send_id=words[1])


def parse(text: str, *, today: date) -> Request | UsageError:
    """Parse the text after ``/sendstats`` (or after the bot's @mention)."""
    words = text.split()
    if not words or words[0].lower() in ("help", "-h", "--help", "?"):
        return HelpRequest()
    head = words[0].lower()
    if head == "subscribe":
        return _parse_subscribe(words[1:])
    if head == "unsubscribe":
        return _parse_unsubscribe(words[1:])
    if head in KIND_USAGE:
        return parse_kind_report(head, words[1:], today)
    if head == "find":
        query = " ".join(words[1:])
        if not query:
            return UsageError("`find` needs a word or two of the name.", FIND_USAGE, FIND_EXAMPLE)
        if len(query) > 200:
            return UsageError("That search is too long; a few words of the name are enough.", FIND_USAGE, FIND_EXAMPLE)
        return FindRequest(query)
    if head == "list":
        return (
            ListRequest()
            if len(words) == 1
            else UsageError("`list` takes no arguments.", "`/sendstats list`", "`/sendstats list`")
        )
    return _parse_report(words, today)
