"""Edges of the kinds that the broader kind tests leave open: what an operator reads in the log when
Braze refuses a kind's details, each kind's chart of Braze's documented example, a send's Braze calls
with a given end, its first digest day, and a Canvas report's last day on a server outside UTC.

The Braze client stand-in records every call and answers with Braze's own documented examples
(``fakes.braze_examples``), as test_registry's does."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from fakes.braze_examples import load
from reports.braze import BrazeError
from reports.kinds import Kind, Target
from reports.kinds.base import Plan, ReportKind
from reports.kinds.campaign import CAMPAIGN
from reports.kinds.canvas import CANVAS
from reports.kinds.send import SEND
from reports.models import ChannelRow, ChartData, DayPoint, Series, metrics_of

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
SEND_T = Target(Kind.SEND, "cmp-1", "snd-1")
CAMPAIGN_T = Target(Kind.CAMPAIGN, "cmp-1")
CANVAS_T = Target(Kind.CANVAS, "cv-1")
REFUSED = BrazeError("no permission", status=403)
ANSWERS: dict[str, Callable[[], Any]] = {
    "data_series_raw": lambda: json.dumps(load("sends_data_series.json")).encode(),
    "canvas_series_payload": lambda: load("canvas_data_series.json"),
    "canvas_list_pages": lambda: iter(()),
}


class Client:
    """A Braze client stand-in: every call recorded as (name, args, kwargs); the answer is Braze's
    documented example for that call, or the error ``fail`` names for it."""

    def __init__(self, fail: dict[str, BrazeError] | None = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.fail = fail or {}

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            if name in self.fail:
                raise self.fail[name]
            return ANSWERS[name]()

        return call


class Names:
    """The name cache stand-in: records who asked for which ID."""

    def __init__(self) -> None:
        self.asked: list[tuple[Kind, str]] = []

    def get(self, kind: Kind, object_id: str) -> str | None:
        self.asked.append((kind, object_id))
        return f"name of {object_id}"


class Workers:
    """Runs the worker functions in-thread."""

    def run(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    def render(self, data: Any) -> bytes:
        return b""


# -- what the log says when Braze refuses a kind's details ---------------------------------------------


def test_a_refused_details_call_is_logged_with_the_kind_the_id_and_the_status(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="reports.kinds.base")
    refused = Client(fail={"campaign_details": REFUSED})
    CAMPAIGN.status(refused, Names(), CAMPAIGN_T, lambda: None)  # type: ignore[arg-type]
    assert [r.getMessage() for r in caplog.records] == [
        "no details for campaign cmp-1 (403); quiet days alone end its digests"
    ]


def test_subscribing_without_the_archived_check_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="reports.kinds.base")
    refused = Client(fail={"canvas_details": REFUSED})
    today = date(2026, 3, 18)
    plan = CANVAS.check_subscription(refused, Workers(), Names(), CANVAS_T, today=today, now=NOW)  # type: ignore[arg-type]
    assert plan == Plan(today - timedelta(days=1), None, None)
    assert [r.getMessage() for r in caplog.records] == [
        "no details for canvas cv-1 (403): subscribing without the archived check"
    ]


# -- each kind's chart of Braze's documented example -------------------------------------------------


def chart_of(kind: ReportKind, target: Target, example: str, title: str) -> ChartData:
    """The chart of the example's day and the empty day before it."""
    series = kind.parse(load(example), target)
    day = series.days[0].day
    return kind.chart(series, kind.summarise(series, start=day - timedelta(days=1), end=day), title=title)


def test_a_sends_chart_is_its_channels_over_their_engagement_with_its_window_marked() -> None:
    # sends_data_series.json, 2014-12-10, ios_push: sent 1000, direct_opens 48, conversions 20; the day
    # before has no data (a gap), so 2014-12-10 is the send day and Braze keeps it 14 days more.
    chart = chart_of(SEND, SEND_T, "sends_data_series.json", "Spring · send snd-1")
    assert chart.title == "Spring · send snd-1"
    assert chart.days == (date(2014, 12, 9), date(2014, 12, 10))
    assert chart.top_title == "Volume" and chart.bottom_title == "Engagement"
    assert [(s.label, s.values) for s in chart.top] == [("Push sent", (None, 1000))]
    assert [(s.label, s.values) for s in chart.bottom] == [
        ("Push direct opens", (None, 48)),
        ("Conversions", (None, 20)),
    ]
    assert chart.window_end == date(2014, 12, 24)


def test_a_canvas_chart_draws_entries_over_conversions() -> None:
    # canvas_data_series.json, 2023-01-10: total_stats entries 1500, conversions 24; one variant alike.
    chart = chart_of(CANVAS, CANVAS_T, "canvas_data_series.json", "Onboarding")
    assert chart.title == "Onboarding"
    assert chart.days == (date(2023, 1, 9), date(2023, 1, 10))
    assert [(s.label, s.values) for s in chart.top] == [
        ("All entries", (None, 1500)),
        ("Variant 1", (None, 1500)),
    ]
    assert [(s.label, s.values) for s in chart.bottom] == [
        ("All conversions", (None, 24)),
        ("Variant 1", (None, 24)),
    ]


def test_a_campaign_chart_carries_its_title() -> None:
    chart = chart_of(CAMPAIGN, CAMPAIGN_T, "campaigns_data_series.json", "Summer launch")
    assert chart.title == "Summer launch"
    assert chart.days[-1] == date(2020, 6, 28)


# -- a send: Braze calls with a given end, its first digest day, its report's target -------------------


def test_a_send_report_until_a_given_day_asks_braze_to_end_there() -> None:
    braze = Client()
    end = datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC)
    SEND.fetch(braze, SEND_T, length=7, ending_at=end, now=NOW)  # type: ignore[arg-type]
    assert braze.calls == [("data_series_raw", ("cmp-1", "snd-1"), {"length": 7, "ending_at": end})]


def test_the_day_after_a_sends_first_day_its_digest_fetches_that_one_day() -> None:
    first = date(2026, 3, 1)
    assert SEND.digest_range(first, first + timedelta(days=1)) == (1, first)


def test_a_send_report_view_targets_the_send() -> None:
    series = SEND.parse(load("sends_data_series.json"), SEND_T)
    summary = SEND.summarise(series, start=date(2014, 12, 10), end=date(2014, 12, 10))
    assert SEND.report_view(summary, title="Spring").target == Target(Kind.SEND, "cmp-1", "snd-1")


def test_a_send_subscription_asks_the_name_cache_for_the_send() -> None:
    # The cache (reports.pipeline.CampaignNames) answers a send with its campaign's name (name_key).
    braze, names = Client(), Names()
    plan = SEND.check_subscription(braze, Workers(), names, SEND_T, today=date(2014, 12, 12), now=NOW)  # type: ignore[arg-type]
    assert plan == Plan(date(2014, 12, 10), date(2014, 12, 24), "name of cmp-1")
    assert names.asked == [(Kind.SEND, "cmp-1")]


def sent_from(first: date, days: int) -> Series:
    rows = [
        DayPoint(first + timedelta(days=n), (ChannelRow("email", "A", "va", metrics_of({"sent": 10})),))
        for n in range(days)
    ]
    return Series("cmp-1", "snd-1", tuple(rows))


def test_a_send_report_ending_now_knows_the_sends_first_day_once_it_spans_brazes_retention() -> None:
    # 20 days with data on each, ending now: more than Braze keeps (the send day plus 14), so the first
    # day is the send's own. Ending on a given day, older data may exist before the range.
    first = date(2026, 3, 1)
    series, end = sent_from(first, 20), first + timedelta(days=19)
    assert SEND.summarise(series, start=first, end=end).first_day == first
    assert SEND.summarise(series, start=first, end=end, until_given=False).first_day == first
    assert SEND.summarise(series, start=first, end=end, until_given=True).first_day is None


# -- build_digest without word on archival ------------------------------------------------------------


def test_a_campaign_digest_built_without_word_on_archival_is_not_ended_by_it() -> None:
    day = date(2026, 3, 17)
    series = Series("cmp-1", "", (DayPoint(day, (ChannelRow("email", "A", "va", metrics_of({"sent": 5})),)),))
    digest = CAMPAIGN.build_digest(series, target=CAMPAIGN_T, first_day=day, digest_date=day + timedelta(days=1))
    assert digest.end_reason is None and not digest.final


# -- Canvas lists and series ---------------------------------------------------------------------------


def test_a_canvas_list_asks_only_for_canvases_edited_since() -> None:
    braze, since = Client(), datetime(2026, 1, 1, tzinfo=UTC)
    list(CANVAS.list_pages(braze, edited_after=since))  # type: ignore[arg-type]
    assert braze.calls == [("canvas_list_pages", (), {"edited_after": since})]


@pytest.fixture
def server_far_east() -> Iterator[None]:
    """The server's own zone is UTC+14 (Kiribati), where NOW (12:00 UTC) is already the next day."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.mark.usefixtures("server_far_east")
def test_a_canvas_report_ending_now_asks_for_todays_utc_date_whatever_the_servers_zone() -> None:
    braze = Client()
    CANVAS.fetch(braze, CANVAS_T, length=7, ending_at=None, now=NOW)  # type: ignore[arg-type]
    ((_, _, kwargs),) = braze.calls
    # The Canvas client asks for ``ending_at``'s date in its own zone: UTC, never the server's.
    assert kwargs["ending_at"].date() == date(2026, 3, 18)
