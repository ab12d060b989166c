"""The kind registry: one entry per kind, each answering the same interface (its words, what a command
names, its Braze calls, its subscription rules).

A stand-in client records which Braze call each kind makes, with what, and answers with Braze's own
documented examples (``fakes.braze_examples``); the end-to-end tests drive the same kinds over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from fakes.braze_examples import load
from reports.braze import BrazeError, BrazeNoData
from reports.daily import QUIET_DAYS_TO_END, RECENT_DAYS
from reports.kinds import IdField, Kind, Target, Words
from reports.kinds.base import MAX_DAYS, OpenEndedKind, Plan, Refusal, Status, ending_at
from reports.kinds.campaign import CAMPAIGN
from reports.kinds.canvas import CANVAS
from reports.kinds.registry import BARE, COMMANDS, LISTED, REGISTRY, by_command, kind_of
from reports.kinds.send import NO_DATA, SEND, data_days
from reports.listing import parse_campaign_details, parse_canvas_details
from reports.models import Labels
from reports.views import Code

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
SEND_T = Target(Kind.SEND, "cmp-1", "snd-1")
CAMPAIGN_T = Target(Kind.CAMPAIGN, "cmp-1")
CANVAS_T = Target(Kind.CANVAS, "cv-1")
#: A campaign's or Canvas's subscription's ``ends_on`` (``digests.records.OPEN_END``).
OPEN_ENDS = date(9999, 12, 31)


class Client:
    """A Braze client stand-in: every call recorded; answers are Braze's documented examples, or the
    error ``fail`` names for that call."""

    def __init__(self, fail: dict[str, BrazeError] | None = None, archived: bool = False) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.fail = fail or {}
        self.archived = archived

    def _call(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))
        if name in self.fail:
            raise self.fail[name]

    def data_series_raw(self, campaign_id: str, send_id: str, **kwargs: Any) -> bytes:
        self._call("data_series_raw", campaign_id, send_id, **kwargs)
        return json.dumps(load("sends_data_series.json")).encode()

    def campaign_series_payload(self, campaign_id: str, **kwargs: Any) -> dict[str, Any]:
        self._call("campaign_series_payload", campaign_id, **kwargs)
        return load("campaigns_data_series.json")

    def canvas_series_payload(self, canvas_id: str, **kwargs: Any) -> dict[str, Any]:
        self._call("canvas_series_payload", canvas_id, **kwargs)
        return load("canvas_data_series.json")

    def campaign_name(self, campaign_id: str) -> str | None:
        self._call("campaign_name", campaign_id)
        return "Campaign name"

    def canvas_name(self, canvas_id: str) -> str | None:
        self._call("canvas_name", canvas_id)
        return "Canvas name"

    def campaign_details(self, campaign_id: str) -> Any:
        self._call("campaign_details", campaign_id)
        return parse_campaign_details({**load("campaign_details.json"), "archived": self.archived}, campaign_id)

    def canvas_details(self, canvas_id: str) -> Any:
        self._call("canvas_details", canvas_id)
        return parse_canvas_details({**load("canvas_details.json"), "archived": self.archived}, canvas_id)

    def campaign_list_pages(self, **kwargs: Any) -> Iterator[Any]:
        self._call("campaign_list_pages", **kwargs)
        return iter(())

    def canvas_list_pages(self, **kwargs: Any) -> Iterator[Any]:
        self._call("canvas_list_pages", **kwargs)
        return iter(())


class Names:
    def __init__(self) -> None:
        self.asked: list[tuple[Kind, str]] = []

    def get(self, kind: Kind, object_id: str) -> str | None:
        return self.labels(kind, object_id).name

    def labels(self, kind: Kind, object_id: str) -> Labels:
        self.asked.append((kind, object_id))
        return Labels(f"name of {object_id}", (("var-1", "Variant 1"),), ("Makes purchase: subscription",))


class Workers:
    """Runs the worker functions in-thread (they must be module-level, picklable calls)."""

    def run(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    def render(self, data: Any) -> bytes:
        return b""


def no_count() -> None:
    raise AssertionError("this kind's status calls no Braze endpoint of its own")


# -- the registry -------------------------------------------------------------------------------------


def test_every_kind_is_registered_once_under_its_own_word() -> None:
    assert list(REGISTRY) == [Kind.SEND, Kind.CAMPAIGN, Kind.CANVAS]
    assert all(kind.kind is k for k, kind in REGISTRY.items())
    assert kind_of("canvas") is CANVAS and kind_of(Kind.SEND) is SEND
    with pytest.raises(ValueError):
        kind_of("journey")
    assert COMMANDS == {"campaign": CAMPAIGN, "canvas": CANVAS}
    assert by_command("CANVAS") is CANVAS and by_command("send") is None and by_command("cmp-1") is None
    assert BARE is SEND
    assert LISTED == (CAMPAIGN, CANVAS)
    assert [k.list_permission for k in LISTED] == ["campaigns.list", "canvas.list"]
    assert SEND.list_permission is None


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (SEND, Words("send", "Send", "sends", "📨")),
        (CAMPAIGN, Words("campaign", "Campaign", "campaigns", "📣")),
        (CANVAS, Words("Canvas", "Canvas", "Canvases", "🧭")),  # Braze's product name keeps its capital
    ],
)
def test_every_word_of_a_kind_comes_from_its_entry(kind: Any, words: Words) -> None:
    assert kind.words == words


def test_what_a_command_names() -> None:
    assert SEND.command is None
    assert SEND.ids == (IdField("CAMPAIGN_ID", "campaign ID"), IdField("SEND_ID", "send ID"))
    assert CAMPAIGN.ids == (IdField("CAMPAIGN_ID", "campaign ID"),)
    assert CANVAS.ids == (IdField("CANVAS_ID", "Canvas ID"),)
    assert (SEND.default_days, CAMPAIGN.default_days, CANVAS.default_days) == (14, 30, 30)
    assert {kind.max_days for kind in REGISTRY.values()} == {MAX_DAYS} == {100}
    assert (SEND.rerun_days, CAMPAIGN.rerun_days, CANVAS.rerun_days) == ((7, 14, 30), (7, 30, 90), (7, 30, 90))
    assert SEND.has_send_id and not CAMPAIGN.has_send_id and not CANVAS.has_send_id
    assert CAMPAIGN.has_sends and not CANVAS.has_sends and not SEND.has_sends
    assert SEND.target(["c", "s"]) == Target(Kind.SEND, "c", "s")
    assert CANVAS.target(["cv"]) == Target(Kind.CANVAS, "cv", "")
    assert [SEND.args(SEND_T), CAMPAIGN.args(CAMPAIGN_T), CANVAS.args(CANVAS_T)] == [
        "cmp-1 snd-1",
        "campaign cmp-1",
        "canvas cv-1",
    ]


def test_targets_name_their_most_specific_id() -> None:
    assert (SEND_T.ident, SEND_T.ids) == ("snd-1", ("cmp-1", "snd-1"))
    assert (CANVAS_T.ident, CANVAS_T.ids) == ("cv-1", ("cv-1",))
    assert SEND.short_reference(SEND_T) == ("send ", Code("snd-1"))
    assert SEND.reference(SEND_T) == ("send ", Code("snd-1"), " (campaign ", Code("cmp-1"), ")")
    assert CANVAS.reference(CANVAS_T) == CANVAS.short_reference(CANVAS_T) == ("Canvas ", Code("cv-1"))


def test_titles() -> None:
    assert SEND.title(None, SEND_T) == "Campaign cmp-1"  # a send is called by its campaign
    assert CAMPAIGN.title(None, CAMPAIGN_T) == "Campaign cmp-1"
    assert CANVAS.title(None, CANVAS_T) == "Canvas cv-1"
    assert CANVAS.title("Journey", CANVAS_T) == "Journey"
    assert SEND.chart_title("Spring", SEND_T) == "Spring · send snd-1"
    assert CAMPAIGN.chart_title("Spring", CAMPAIGN_T) == "Spring"
    # What each chart shows, as its screen-reader sentence says it (``handlers.layout.alt_text``).
    assert [kind.chart_series for kind in (SEND, CAMPAIGN, CANVAS)] == [
        "volume and engagement by channel",
        "volume and engagement by channel",
        "entries and conversions",
    ]


# -- Braze calls --------------------------------------------------------------------------------------


def test_each_kind_reads_its_own_endpoint() -> None:
    braze = Client()
    end = datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC)
    SEND.fetch(braze, SEND_T, length=7, ending_at=None, now=NOW)  # type: ignore[arg-type]
    CAMPAIGN.fetch(braze, CAMPAIGN_T, length=30, ending_at=end, now=NOW)  # type: ignore[arg-type]
    CANVAS.fetch(braze, CANVAS_T, length=60, ending_at=None, now=NOW)  # type: ignore[arg-type]
    CANVAS.fetch(braze, CANVAS_T, length=2, ending_at=end, now=NOW)  # type: ignore[arg-type]
    assert braze.calls == [
        ("data_series_raw", ("cmp-1", "snd-1"), {"length": 7, "ending_at": None}),  # None: up to now
        ("campaign_series_payload", ("cmp-1",), {"length": 30, "ending_at": end}),
        ("canvas_series_payload", ("cv-1",), {"length": 60, "ending_at": NOW}),  # Braze needs an end here
        ("canvas_series_payload", ("cv-1",), {"length": 2, "ending_at": end}),
    ]


def test_names_and_whose_name_a_report_shows() -> None:
    braze = Client()
    assert SEND.lookup_name(braze, "cmp-1") == "Campaign name"  # type: ignore[arg-type]
    assert CAMPAIGN.lookup_name(braze, "cmp-1") == "Campaign name"  # type: ignore[arg-type]
    assert CANVAS.lookup_name(braze, "cv-1") == "Canvas name"  # type: ignore[arg-type]
    assert [c[:2] for c in braze.calls] == [("campaign_name", ("cmp-1",)), ("campaign_name", ("cmp-1",)),
                                            ("canvas_name", ("cv-1",))]
    assert (SEND.name_key, CAMPAIGN.name_key, CANVAS.name_key) == (Kind.CAMPAIGN, Kind.CAMPAIGN, Kind.CANVAS)
    canvas = load("canvas_data_series.json")
    assert CANVAS.name_in(canvas) == "Multi-Channel Engagement"
    assert CANVAS.name_in({"data": {"name": "  "}}) is None and CANVAS.name_in("junk") is None
    assert CANVAS.name_in({"data": "junk"}) is None
    assert SEND.name_in(canvas) is None and CAMPAIGN.name_in(canvas) is None


def test_status_a_digest_needs() -> None:
    names = Names()
    status = SEND.status(Client(), names, SEND_T, no_count)  # type: ignore[arg-type]
    assert status == Status("name of cmp-1", labels=names.labels(Kind.SEND, "cmp-1"))
    assert status.labels.events == ("Makes purchase: subscription",)
    assert names.asked == [(Kind.SEND, "cmp-1")] * 2
    counted: list[int] = []
    braze = Client(archived=True)
    status = CAMPAIGN.status(braze, names, CAMPAIGN_T, lambda: counted.append(1))  # type: ignore[arg-type]
    assert (status.name, status.archived) == ("Summer launch — every channel", True) and counted == [1]
    assert status.labels.events[0] == "Makes specific purchase: Feline Body Armor"  # the same one call
    assert braze.calls[0][:2] == ("campaign_details", ("cmp-1",))
    refused = Client(fail={"canvas_details": BrazeError("no permission", status=403)})
    assert CANVAS.status(refused, names, CANVAS_T, lambda: counted.append(1)) == Status()  # type: ignore[arg-type]
    assert counted == [1, 1]  # the failed call counted too


def test_no_data_says_which_ids() -> None:
    assert "campaign `cmp-1`, send `snd-1`" in SEND.no_data(SEND_T).user_message
    assert "Braze has no data for Canvas `cv-1`" in CANVAS.no_data(CANVAS_T).user_message
    assert "Braze has no data for campaign `cmp-1`" in CAMPAIGN.no_data(CAMPAIGN_T).user_message


def test_lists_each_kind_reads() -> None:
    braze = Client()
    since = datetime(2026, 1, 1, tzinfo=UTC)
    list(CAMPAIGN.list_pages(braze, edited_after=since))  # type: ignore[arg-type]
    list(CANVAS.list_pages(braze))  # type: ignore[arg-type]
    assert braze.calls == [
        ("campaign_list_pages", (), {"edited_after": since}),
        ("canvas_list_pages", (), {"edited_after": None}),
    ]
    with pytest.raises(NotImplementedError, match="sends"):
        SEND.list_pages(braze)  # type: ignore[arg-type]


# -- parse, and what each kind calls a busy day -------------------------------------------------------


def test_each_kind_parses_brazes_documented_example() -> None:
    send = SEND.parse(load("sends_data_series.json"), SEND_T)
    assert (send.object_id, send.send_id, [d.day for d in send.days]) == ("cmp-1", "snd-1", [date(2014, 12, 10)])
    assert data_days(json.dumps(load("sends_data_series.json")).encode(), SEND_T) == [date(2014, 12, 10)]
    campaign = CAMPAIGN.parse(load("campaigns_data_series.json"), CAMPAIGN_T)
    assert campaign.object_id == "cmp-1" and campaign.days and all(d.has_data for d in campaign.days)
    canvas = CANVAS.parse(load("canvas_data_series.json"), CANVAS_T)
    assert (canvas.object_id, canvas.name) == ("cv-1", "Multi-Channel Engagement")
    assert all(CANVAS.active(d) for d in canvas.days)
    assert all(CAMPAIGN.active(d) for d in campaign.days)
    assert all(SEND.active(d) for d in send.days)


# -- digests and subscriptions ----------------------------------------------------------------------


def test_digest_ranges() -> None:
    assert SEND.digest_range(date(2026, 3, 1), date(2026, 3, 5)) == (4, date(2026, 3, 4))
    assert SEND.digest_range(date(2026, 3, 5), date(2026, 3, 5)) is None  # no complete day yet: no call
    for kind in (CAMPAIGN, CANVAS):
        assert kind.digest_range(date(2020, 1, 1), date(2026, 3, 5)) == (RECENT_DAYS, date(2026, 3, 4))
    assert isinstance(CAMPAIGN, OpenEndedKind) and isinstance(CANVAS, OpenEndedKind)
    assert ending_at(date(2026, 3, 4)) == datetime(2026, 3, 4, 23, 59, 59, tzinfo=UTC)


def test_a_send_subscription_runs_to_the_end_of_its_window() -> None:
    braze, names = Client(), Names()
    plan = SEND.check_subscription(braze, Workers(), names, SEND_T, today=date(2014, 12, 12), now=NOW)  # type: ignore[arg-type]
    assert plan == Plan(date(2014, 12, 10), date(2014, 12, 24), "name of cmp-1")
    assert braze.calls == [("data_series_raw", ("cmp-1", "snd-1"), {"length": 100})]  # every window of 100 days
    late = SEND.check_subscription(braze, Workers(), names, SEND_T, today=date(2014, 12, 25), now=NOW)  # type: ignore[arg-type]
    assert late == Refusal(NO_DATA)
    assert SEND.check_subscription(braze, Workers(), names, SEND_T, today=date(2014, 12, 24), now=NOW) == plan  # type: ignore[arg-type]
    for error, said in ((BrazeNoData("none"), NO_DATA), (BrazeError("Braze is down"), "Braze is down")):
        failing = Client(fail={"data_series_raw": error})
        refused = SEND.check_subscription(failing, Workers(), names, SEND_T, today=date(2014, 12, 12), now=NOW)  # type: ignore[arg-type]
        assert refused == Refusal(said)
    assert SEND.end_rule(date(2014, 12, 24), upcoming=NOW) == (
        "Last digest: Wednesday, Dec 24, when Braze's 14-day analytics window for this send closes; the "
        "subscription ends by itself then."
    )
    assert SEND.end_rule(date(2014, 12, 24), upcoming=None).endswith(
        "then. (The window closes before the next digest time, so no digest will be posted.)"
    )
    assert SEND.ends_text(date(2014, 12, 24)) == "ends Dec 24" and SEND.cadence == ""


@pytest.mark.parametrize("kind", [CAMPAIGN, CANVAS], ids=["campaign", "canvas"])
def test_a_campaign_or_canvas_subscription_has_no_end_date(kind: Any) -> None:
    target, today = Target(kind.kind, "x-1"), date(2026, 3, 18)
    braze = Client()
    plan = kind.check_subscription(braze, Workers(), Names(), target, today=today, now=NOW)
    assert plan == Plan(today - timedelta(days=1), None, kind.details(Client(), "x-1").name)
    series, details = braze.calls
    assert series[1:] == (("x-1",), {"length": 14, "ending_at": datetime(2026, 3, 17, 23, 59, 59, tzinfo=UTC)})
    assert details[1] == ("x-1",)
    archived = kind.check_subscription(Client(archived=True), Workers(), Names(), target, today=today, now=NOW)
    assert archived == Refusal(f"Braze reports this {kind.words.noun} archived, so there is nothing to digest.")
    quiet = Client(fail={series[0]: BrazeNoData("none")})  # nothing sent lately is fine: quiet days end it later
    assert kind.check_subscription(quiet, Workers(), Names(), target, today=today, now=NOW) == plan
    wrong = Client(fail={series[0]: BrazeError("Braze does not know it")})
    assert kind.check_subscription(wrong, Workers(), Names(), target, today=today, now=NOW) == Refusal(
        "Braze does not know it"
    )
    no_details = Client(fail={details[0]: BrazeError("no permission", status=403)})
    unchecked = kind.check_subscription(no_details, Workers(), Names(), target, today=today, now=NOW)
    assert unchecked == Plan(today - timedelta(days=1), None, None)
    assert kind.end_rule(OPEN_ENDS, upcoming=None) == (
        f"It has no end date: it ends by itself, with a last notice, when Braze reports the {kind.words.noun} "
        f"archived or after {QUIET_DAYS_TO_END} days in a row with {kind.nothing_with}."
    )
    assert kind.ends_text(OPEN_ENDS) == "ends when archived or after 14 quiet days"
    assert kind.cadence == ", the day before against the one before it and the last 14 days"


def test_what_quiet_means_for_each_kind() -> None:
    assert (CAMPAIGN.nothing, CAMPAIGN.nothing_with) == ("nothing was sent", "nothing sent")
    assert (CANVAS.nothing, CANVAS.nothing_with) == ("nobody entered it", "nobody entering")
