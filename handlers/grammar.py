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
from reports.daily import QUIET_DAYS_TO_END
from reports.kinds import Kind, Target
from reports.kinds.base import ReportKind
from reports.kinds.metrics import METRICS, metric
from reports.kinds.registry import BARE, COMMANDS, REGISTRY, by_command
from reports.summary import RETENTION_DAYS
from reports.views import either

MAX_ID_LENGTH = 64
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


def _words(kind: ReportKind) -> str:
    return f"{kind.command} " if kind.command else ""


def report_usage(kind: ReportKind) -> str:
    """``/sendstats campaign CAMPAIGN_ID [days] [until YYYY-MM-DD]``, from what the kind names. Placeholders
    are written in capitals, never in ``<…>``: Slack reads ``<…>`` as a link or mention, even in code."""
    ids = " ".join(field.placeholder for field in kind.ids)
    return f"`/sendstats {_words(kind)}{ids} [days] [until YYYY-MM-DD]`"


def report_example(kind: ReportKind) -> str:
    return f"`/sendstats {_words(kind)}{kind.example}`"


REPORT_USAGE = report_usage(BARE)
REPORT_EXAMPLE = report_example(BARE)
DEFAULT_DAYS = BARE.default_days
SUBSCRIBE_USAGE = f"`/sendstats subscribe {' '.join(f.placeholder for f in BARE.ids)} [at HH:MM] [time zone]`"
SUBSCRIBE_EXAMPLE = "`/sendstats subscribe 9ef1c2d0-campaign spring-launch at 08:30 Europe/Berlin`"
UNSUBSCRIBE_USAGE = "`/sendstats unsubscribe CAMPAIGN_ID SEND_ID` or `/sendstats unsubscribe NUMBER` (from `list`)"
#: Every kind with a word of its own: ``campaign|canvas``.
KIND_WORDS = "|".join(COMMANDS)
KIND_SUBSCRIBE_USAGE = f"`/sendstats subscribe {KIND_WORDS} ID [at HH:MM] [time zone]`"
KIND_SUBSCRIBE_EXAMPLE = "`/sendstats subscribe canvas 0ad1e1a4-canvas at 08:30 Europe/Berlin`"
FIND_USAGE = "`/sendstats find WORDS OF THE NAME`"


def _upper_ids(kind: ReportKind) -> str:
    """``CAMPAIGN_ID SEND_ID``: placeholders Slack cannot take for markup (every kind writes them in capitals,
    never in ``<…>``, which Slack eats)."""
    return " ".join(field.placeholder for field in kind.ids)


def alert_usage(kind: ReportKind | None = None) -> str:
    """``/sendstats alert campaign CAMPAIGN_ID METRIC > VALUE``, for one kind or for every kind."""
    kinds = [kind] if kind is not None else list(REGISTRY.values())
    return " or ".join(f"`/sendstats alert {k.kind.value} {_upper_ids(k)} METRIC > VALUE`" for k in kinds)


ALERT_USAGE = alert_usage()
ALERT_EXAMPLE = "`/sendstats alert campaign cmp-1 bounce_rate > 2%`"
ALERT_REMOVE_USAGE = "`/sendstats alert remove ALERT_ID` (the number `/sendstats alerts` shows)"
#: ``bounce_rate > 2%``, ``bounce_rate>2%``, ``sent < 1,000``; Slack may send ``>`` and ``<`` escaped.
_RULE = re.compile(r"([A-Za-z_\-]{1,40})\s*(>|<)\s*(\S{1,30})", re.ASCII)
_VALUE = re.compile(r"(\d{1,12}(?:[.,]\d{1,6})?|\d{1,3}(?:,\d{3}){1,4})(%?)", re.ASCII)
FIND_EXAMPLE = "`/sendstats find spring sale`"


@dataclass(frozen=True, slots=True)
class HelpRequest:
    pass


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """A report of any kind: a send (``/sendstats <campaign_id> <send_id>``), a campaign, a Canvas."""

    target: Target
    days: int
    #: Last day of the range (Braze's ``ending_at`` is the end of this day, UTC); None means now.
    until: date | None = None


@dataclass(frozen=True, slots=True)
class FindRequest:
    """Campaigns and Canvases whose name holds every word (searched in the catalogue, never in Braze)."""

    query: str


@dataclass(frozen=True, slots=True)
class SubscribeRequest:
    """A daily digest of a send, a whole campaign or a Canvas."""

    target: Target
    at: time | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class UnsubscribeRequest:
    """By target (a send's IDs, or ``campaign|canvas <id>``), or by the number ``list`` shows."""

    target: Target | None = None
    subscription_id: int | None = None


@dataclass(frozen=True, slots=True)
class ListRequest:
    pass


@dataclass(frozen=True, slots=True)
class AlertRequest:
    """Watch ``metric op threshold`` on a target (thresholds of rates are fractions: 2% is 0.02)."""

    target: Target
    metric: str
    op: str
    threshold: float


@dataclass(frozen=True, slots=True)
class AlertsRequest:
    """This channel's alerts."""


@dataclass(frozen=True, slots=True)
class AlertRemoveRequest:
    alert_id: int


@dataclass(frozen=True, slots=True)
class UsageError:
    """What was wrong, in words for the user, plus the usage line and an example."""

    problem: str
    usage: str = REPORT_USAGE
    example: str = REPORT_EXAMPLE

    @property
    def text(self) -> str:
        return (  # the problem escapes what the user typed; usage lines have ``<`` and ``>`` of their own
            f"{self.problem}\nUsage: {escape(self.usage)}\nFor example: {escape(self.example)}\n"
            "See `/sendstats help` for every command."
        )


Request = (
    HelpRequest
    | ReportRequest
    | FindRequest
    | SubscribeRequest
    | UnsubscribeRequest
    | ListRequest
    | AlertRequest
    | AlertsRequest
    | AlertRemoveRequest
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
    if len(zone) > MAX_ZONE_LENGTH or not _ZONE.fullmatch(zone):  # the shape has no ".": no "..", no escape
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


def _parse_span(rest: list[str], today: date, default_days: int, max_days: int) -> tuple[int, date | None] | UsageError:
    """``[days] [until YYYY-MM-DD]`` (the same for every report kind)."""
    days, until = default_days, None
    rest = list(rest)
    if rest and rest[0].lower() != "until":
        word = rest.pop(0)
        if not _DAYS.fullmatch(word) or not 1 <= int(word) <= max_days:
            return UsageError(f"{_quote(word)} is not a number of days; use a whole number from 1 to {max_days}.")
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


def _needs(kind: ReportKind, verb: str = "") -> str:
    """What a command without its IDs lacks: "`campaign` needs a campaign ID." and the like."""
    names = " and a ".join(field.name for field in kind.ids)
    said = " ".join(word for word in (verb, kind.command) if word)
    return f"`{said}` needs a {names}." if said else f"A report needs both a {names}."


def _check_ids(kind: ReportKind, words: list[str], usage: str, example: str) -> UsageError | None:
    for word, field in zip(words, kind.ids, strict=True):  # pragma: no mutate: callers pass exactly that many words
        if error := _check_id(word, field.name, usage, example):
            return error
    return None


def _parse_report(kind: ReportKind, words: list[str], today: date) -> ReportRequest | UsageError:
    """``[campaign|canvas] <ids> [days] [until YYYY-MM-DD]``: the same for every report kind."""
    usage, example = report_usage(kind), report_example(kind)
    count = len(kind.ids)
    if len(words) < count:
        return UsageError(_needs(kind), usage, example)
    if error := _check_ids(kind, words[:count], usage, example):
        return error
    span = _parse_span(words[count:], today, kind.default_days, kind.max_days)
    if isinstance(span, UsageError):
        return UsageError(span.problem, usage, example)
    return ReportRequest(kind.target(words[:count]), *span)


def _parse_subscribe(words: list[str]) -> SubscribeRequest | UsageError:
    kind = by_command(words[0]) if words else None
    if kind is not None:
        usage, example, ids = KIND_SUBSCRIBE_USAGE, KIND_SUBSCRIBE_EXAMPLE, words[1:]
    else:
        kind, usage, example, ids = BARE, SUBSCRIBE_USAGE, SUBSCRIBE_EXAMPLE, words
    count = len(kind.ids)
    if len(ids) < count:
        return UsageError(_needs(kind, "subscribe"), usage, example)
    if error := _check_ids(kind, ids[:count], usage, example):
        return error
    rest, at, zone = ids[count:], None, None
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
    return SubscribeRequest(kind.target(ids[:count]), at, zone)


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
    if (kind := by_command(words[0])) is not None:  # unsubscribe campaign|canvas <id>
        if error := _check_id(words[1], "ID", UNSUBSCRIBE_USAGE, example):
            return error
        return UnsubscribeRequest(kind.target(words[1:]))
    if error := _check_ids(BARE, words, UNSUBSCRIBE_USAGE, example):
        return error
    return UnsubscribeRequest(BARE.target(words))


def _parse_alert(words: list[str]) -> AlertRequest | AlertRemoveRequest | UsageError:
    """``alert send|campaign|canvas IDS METRIC >|< VALUE``, or ``alert remove ALERT_ID``."""
    if words and words[0].lower() == "remove":
        if len(words) == 2 and _NUMBER.fullmatch(words[1]):
            return AlertRemoveRequest(int(words[1]))
        example = "`/sendstats alert remove 3`"
        return UsageError("`alert remove` needs the number of an alert.", ALERT_REMOVE_USAGE, example)
    kind: ReportKind | None = None
    if words and words[0].lower() in {k.value for k in Kind}:
        kind, words = REGISTRY[Kind(words[0].lower())], words[1:]
    if kind is None:
        said = f"{_quote(words[0])} is not something I can watch." if words else "`alert` needs something to watch."
        kinds = either([f"`{k.value}`" for k in Kind])
        return UsageError(f"{said} Start with {kinds}, then its IDs.", ALERT_USAGE, ALERT_EXAMPLE)
    usage = alert_usage(kind)
    count = len(kind.ids)
    if len(words) < count:
        return UsageError(_needs(kind, "alert"), usage, ALERT_EXAMPLE)
    if error := _check_ids(kind, words[:count], usage, ALERT_EXAMPLE):
        return error
    metrics = ", ".join(f"`{name}`" for name in kind.metrics)
    rest = " ".join(words[count:]).replace("&gt;", ">").replace("&lt;", "<")
    rule = _RULE.fullmatch(rest)
    if rule is None:
        return UsageError(
            # Slack reads < and > as markup, even in code: sent as &lt; and &gt;
            f"After the {kind.words.noun}, write the rule: a metric, `&gt;` or `&lt;`, and a value, e.g. "
            f"`{kind.metrics[0]} &gt; 5%`. Metrics of a {kind.words.noun}: {metrics}.",
            usage,
            ALERT_EXAMPLE,
        )
    name, op, value = rule.groups()
    found = metric(name)
    if found is None or found.name not in kind.metrics:
        what = "is not a metric I know" if found is None else f"is not something a {kind.words.noun} reports"
        return UsageError(f"{_quote(name)} {what}. Metrics of a {kind.words.noun}: {metrics}.", usage, ALERT_EXAMPLE)
    number = _VALUE.fullmatch(value)
    if number is None:
        return UsageError(
            f"{_quote(value)} is not a number; write it as `2%` or `2.5%` (or `1000` for sent).", usage, ALERT_EXAMPLE
        )
    digits, percent = number.groups()
    if found.is_rate:
        # 2,5% written with a decimal comma (1,000 has a thousands comma; _VALUE never lets "," and "." meet)
        if len(digits.split(",")[-1]) != 3:
            digits = digits.replace(",", ".")
        amount = float(digits.replace(",", ""))
        if amount > 100:
            return UsageError(f"{found.label} is a percentage: use a value from 0% to 100%.", usage, ALERT_EXAMPLE)
        return AlertRequest(kind.target(words[:count]), found.name, op, amount / 100)
    if percent or "." in digits:
        return UsageError(
            f"`{found.name}` is a count: write a whole number such as `1000`, without %.", usage, ALERT_EXAMPLE
        )
    return AlertRequest(kind.target(words[:count]), found.name, op, float(digits.replace(",", "")))


def report_forms(command: str = "/sendstats") -> str:
    """Every report command in short: ```/sendstats CAMPAIGN_ID SEND_ID [days]``, ``/sendstats campaign ID
    [days]`` or …``."""
    ids = " ".join(field.placeholder for field in BARE.ids)
    return either([f"`{command} {ids} [days]`", *(f"`{command} {word} ID [days]`" for word in COMMANDS)])


def short_help(command: str = "@sendstats") -> str:
    """What to answer a question the bot can't read (``@sendstats what is this``): what it does, in four lines."""
    return (
        "I report Braze numbers. Ask me like this:\n"
        f"• {report_forms(command)}\n"
        f"• `{command} find WORDS OF THE NAME` to look up an ID\n"
        "`/sendstats help` lists every command."
    )


def misread(text: str) -> bool:
    """The text is a question, not a command: its first word is neither a command nor like an ID (IDs
    carry digits, ``-`` or ``_``: ``3bbc4555-8fa0-…``, ``spring_launch``)."""
    words = text.split()
    if not words:
        return False
    head = words[0]  # digits, "-" and "_" have no case: only the command words are compared in lower case
    # "-h" and "--help" need no listing: their "-" reads as an ID's
    words_of_commands = ("help", "?", "subscribe", "unsubscribe", "find", "list", "alert", "alerts")
    known = head.lower() in words_of_commands or by_command(head)
    return not known and not any(c.isdigit() or c in "-_" for c in head)


def help_text() -> str:
    """What every command does, for ``/sendstats help`` and App Home (a bare ``/sendstats`` opens the form)."""
    listed = [k for k in REGISTRY.values() if k.list_permission]
    reports = "".join(
        f"• {report_usage(k)}\n  {k.help} `days` is 1–{k.max_days} (default {k.default_days}{k.default_days_why}); "
        "`until` ends the range on that day (UTC).\n"
        for k in REGISTRY.values()
    )
    whole = either([k.words.noun for k in COMMANDS.values()])
    owners = either([f"{k.words.noun}'s" for k in listed])
    return escape(  # `>` and `<` of the alert rules, as Slack wants them: &gt; and &lt;
        f"*sendstats* brings Braze analytics ({', '.join(k.words.plural for k in REGISTRY.values())}) into Slack.\n\n"
        f"• `/sendstats` alone\n  Opens a form: search any {either([k.words.noun for k in listed])} by name, add a "
        "send ID if you want one send, pick the days; the report is posted in this channel.\n"
        f"• {FIND_USAGE}\n  The best 10 {either([k.words.plural for k in listed], ' and ')} whose name holds every "
        "word (any case, accents optional), with their IDs and Report and Subscribe buttons.\n"
        f"{reports}"
        f"• {SUBSCRIBE_USAGE}\n  A digest in this channel every day while Braze keeps the send's data "
        f"({RETENTION_DAYS} days after the send). Default time 09:00 in your Slack time zone.\n"
        f"• {KIND_SUBSCRIBE_USAGE}\n  A daily digest of a whole {whole}. No end date: it ends by itself "
        f"when Braze reports it archived, or after {QUIET_DAYS_TO_END} days in a row with nothing sent or entered.\n"
        f"• {UNSUBSCRIBE_USAGE}\n  Stop a digest.\n"
        "• `/sendstats list`\n  This channel's digests.\n"
        f"• {ALERT_USAGE}\n  Watch a metric ({', '.join(f'`{m}`' for m in METRICS)}; a Canvas has "
        "`conversion_rate`) with `>` or `<` a value, e.g. `bounce_rate > 2%` or `sent < 1000`. Checked every hour "
        "on today's data so far and on each complete day: one post here when it starts, a reply in its thread "
        "when it is back to normal.\n"
        "• `/sendstats alerts`\n  This channel's alerts and where they stand.\n"
        f"• {ALERT_REMOVE_USAGE}\n  Stop an alert.\n"
        f"• {report_forms('@sendstats')} in a thread\n  The report, in that thread "
        "(Slack does not allow slash commands in threads).\n\n"
        f"Find the IDs in Braze: the {owners} API identifier (on its "
        "page in the dashboard) and the `send_id` your API call used."
    )


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
    if head == "alert":
        return _parse_alert(words[1:])
    if head == "alerts":
        if len(words) == 1:
            return AlertsRequest()
        return UsageError("`alerts` takes no arguments.", "`/sendstats alerts`", "`/sendstats alerts`")
    if (kind := by_command(head)) is not None:
        return _parse_report(kind, words[1:], today)
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
    return _parse_report(BARE, words, today)
