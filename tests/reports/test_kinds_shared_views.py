"""What every kind shares (reports/kinds/base.py), read through the kinds: a report's verdict and its
variant comparison, a digest's variations compared on its primary rate only (the full report compares
the rest), its CSV range, a quiet day's verdict, a count flagged in counts, and the name Braze's details
give; and a send's own words when nothing was sent, and its conversion events by name.

The numbers are small and written out, so each expected sentence can be checked by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from handlers.layout.comparison_blocks import comparison_blocks
from reports.kinds import Kind, Target
from reports.kinds.campaign import CAMPAIGN
from reports.kinds.canvas import CANVAS
from reports.kinds.send import SEND
from reports.models import ChannelRow, DayPoint, Labels, Metrics, Series
from reports.views import Measure, Shift, Strong, Verdict

DAY = date(2026, 3, 20)  # the digest's day (a Friday); its digest is dated the day after
CAMPAIGN_T = Target(Kind.CAMPAIGN, "cmp-1")
SEND_T = Target(Kind.SEND, "cmp-1", "snd-1")


def row(channel: str, variation: str, **metrics: int) -> ChannelRow:
    return ChannelRow(channel, variation, None, Metrics.of(**metrics))


#: Control and Variant B, each 10,000 emails: B opens, clicks and converts more.
TWO_VARIATIONS = (
    row(
        "email",
        "Control",
        sent=10_000,
        delivered=9_000,
        unique_opens=2_000,
        unique_clicks=300,
        conversions=100,
        unique_recipients=10_000,
    ),
    row(
        "email",
        "Variant B",
        sent=10_000,
        delivered=9_000,
        unique_opens=2_600,
        unique_clicks=450,
        conversions=180,
        unique_recipients=10_000,
    ),
)


def campaign_series(*days: tuple[date, tuple[ChannelRow, ...]]) -> Series:
    return Series("cmp-1", "", tuple(DayPoint(d, rows) for d, rows in days))


def two_days() -> Series:
    """The two variations on DAY and on the day before."""
    return campaign_series((DAY - timedelta(days=1), TWO_VARIATIONS), (DAY, TWO_VARIATIONS))


# -- a digest compares the variations on its primary rate; the full report on every rate ------------------


def test_a_digest_compares_every_rate_and_shows_the_primary_one_with_the_rest_left_to_the_report() -> None:
    digest = CAMPAIGN.build_digest(
        two_days(), target=CAMPAIGN_T, first_day=DAY - timedelta(days=1), digest_date=DAY + timedelta(days=1)
    )
    assert [c.rate.label for c in digest.comparisons] == [
        "Conversion rate",
        "Email unique open rate",
        "Email unique click rate",
    ]
    view = CAMPAIGN.digest_message(digest, title="Spring")
    assert view.title == "Spring"
    assert view.comparison is not None
    assert [rate.label for rate in view.comparison.rates] == ["Conversion rate"]
    assert view.comparison.more == 2
    assert view.comparison.elsewhere == "the full report"
    note = comparison_blocks(view.comparison)[-1]["elements"][0]["text"]
    assert note.endswith("Below 95% no winner is named. The full report compares 2 more rates.")
    # the CSV button uploads the digest's last 14 days, through the digest's day
    assert view.data_span == (date(2026, 3, 7), DAY)


def test_a_digest_without_data_in_its_days_compares_nothing_and_offers_no_csv() -> None:
    old = campaign_series((DAY - timedelta(days=20), TWO_VARIATIONS))  # outside the last 14 days
    digest = CAMPAIGN.build_digest(
        old, target=CAMPAIGN_T, first_day=DAY - timedelta(days=20), digest_date=DAY + timedelta(days=1)
    )
    assert digest.comparisons == ()
    view = CAMPAIGN.digest_message(digest, title="Spring")
    assert view.comparison is None
    assert view.data_span is None


def test_a_quiet_days_verdict_says_no_activity_on_that_day() -> None:
    quiet = campaign_series((DAY - timedelta(days=1), TWO_VARIATIONS))
    digest = CAMPAIGN.build_digest(
        quiet, target=CAMPAIGN_T, first_day=DAY - timedelta(days=1), digest_date=DAY + timedelta(days=1)
    )
    assert not digest.has_activity
    assert CAMPAIGN.digest_verdict(digest) == Verdict((), None, "Mar 20", "no activity")


def test_the_full_report_compares_every_rate_under_the_kinds_report() -> None:
    series = two_days()
    summary = CAMPAIGN.summarise(series, start=DAY - timedelta(days=1), end=DAY)
    compared = CAMPAIGN.compared(series, start=DAY - timedelta(days=1), end=DAY)
    view = CAMPAIGN.full_report_view(summary, compared, title="Spring")
    assert view.title == "Spring"
    assert view.text == ("Spring: Sent 40,000 messages: email 40,000; 560 conversions",)
    assert view.comparison is not None
    assert [rate.label for rate in view.comparison.rates] == [
        "Conversion rate",
        "Email unique open rate",
        "Email unique click rate",
    ]
    assert view.comparison.more == 0
    assert view.comparison.elsewhere is None
    assert CAMPAIGN.full_report_view(summary, (), title="Spring").comparison is None


# -- a report's verdict -------------------------------------------------------------------------------------


def test_a_reports_verdict_without_two_weeks_is_its_numbers_alone() -> None:
    summary = CAMPAIGN.summarise(two_days(), start=DAY - timedelta(days=1), end=DAY)
    assert CAMPAIGN.report_verdict(summary, None) == Verdict(
        (Measure(40_000, "sent"), Measure(560, "conversions"), Measure(None, "revenue", "usd", inside=True)), None
    )


def test_a_reports_verdict_names_the_change_of_its_last_week_against_the_week_before() -> None:
    recent = CAMPAIGN.summarise(two_days(), start=DAY - timedelta(days=6), end=DAY)
    earlier_day = (row("email", "Control", sent=5_000, conversions=100, unique_recipients=5_000),)
    earlier = CAMPAIGN.summarise(
        campaign_series((DAY - timedelta(days=8), earlier_day)),
        start=DAY - timedelta(days=13),
        end=DAY - timedelta(days=7),
    )
    verdict = CAMPAIGN.report_verdict(recent, (recent, earlier))
    assert verdict.measures == (
        Measure(40_000, "sent"),
        Measure(560, "conversions"),
        Measure(None, "revenue", "usd", inside=True),
    )
    # sent 40,000 against 5,000 (+700%) moved more than conversions 560 against 100 (+460%)
    assert verdict.shift == Shift("sent", 40_000.0, 5_000.0, "in the last 7 days against the 7 before", "count")


def test_a_canvas_reports_verdict_has_its_conversion_rate() -> None:
    level = Metrics.of(entries=1_000, conversions=20)
    series = Series("cv-1", "", (DayPoint(DAY, (ChannelRow("", "Control", "v1", level),), level=level),))
    summary = CANVAS.summarise(series, start=DAY, end=DAY)
    assert CANVAS.report_verdict(summary, None).measures == (
        Measure(1_000, "entries"),
        Measure(0.02, "converted", "rate"),
        Measure(20, "conversions"),
        Measure(None, "revenue", "usd", inside=True),
    )


# -- a count flagged in counts ----------------------------------------------------------------------------


def test_a_count_far_from_its_usual_level_is_flagged_as_a_count() -> None:
    sent = [1_000, 1_000, 1_000, 1_000, 1_000, 5_000]
    first = DAY - timedelta(days=len(sent) - 1)
    series = Series(
        "cmp-1",
        "snd-1",
        tuple(
            DayPoint(first + timedelta(days=i), (row("email", "Control", sent=n, delivered=n),))
            for i, n in enumerate(sent)
        ),
    )
    digest = SEND.build_digest(series, target=SEND_T, first_day=first, digest_date=DAY + timedelta(days=1))
    assert digest.flags == ("Sent is unusually high: 5,000 against a median of 1,000 over the last 5 days.",)


# -- names from Braze's details ---------------------------------------------------------------------------


class Client:
    """A Braze client stand-in: records every call; answers each with what ``answers`` gives."""

    def __init__(self, answers: dict[str, Callable[..., Any]]) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.answers = answers

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            self.calls.append((name, args))
            return self.answers[name](*args)

        return call


def test_a_canvas_labels_are_its_name_alone() -> None:
    client = Client({"canvas_name": lambda object_id: f"Onboarding ({object_id})"})
    assert CANVAS.lookup_labels(client, "cv-1") == Labels("Onboarding (cv-1)")  # type: ignore[arg-type]
    assert client.calls == [("canvas_name", ("cv-1",))]


def test_a_sends_labels_are_its_campaigns() -> None:
    labels = Labels("Spring", (("v-1", "Control"),), ("Purchase",))
    client = Client({"campaign_labels": lambda object_id: labels})
    assert SEND.lookup_labels(client, "cmp-1") == labels  # type: ignore[arg-type]
    assert client.calls == [("campaign_labels", ("cmp-1",))]


# -- a send's words ---------------------------------------------------------------------------------------


def opened_not_sent() -> Series:
    """A send whose one day reports opens and conversions (events A and B) but no ``sent``."""
    return Series(
        "cmp-1", "snd-1", (DayPoint(DAY, (row("email", "Control", unique_opens=40, conversions=5, conversions1=3),)),)
    )


def test_a_send_report_without_sends_says_so_and_names_its_conversion_events() -> None:
    series = opened_not_sent().named(Labels(events=("Purchase", "Sign-up")))
    view = SEND.report_view(SEND.summarise(series, start=DAY - timedelta(days=1), end=DAY), title="Spring")
    assert view.text == ("Spring · send snd-1: no sends; 5 conversions",)
    assert view.figures_note == ("Conversions · Purchase (A) 5 · Sign-up (B): 3 (by send time –)",)


def test_a_send_digest_without_sends_totals_its_conversions_only() -> None:
    digest = SEND.build_digest(
        opened_not_sent(), target=SEND_T, first_day=DAY - timedelta(days=1), digest_date=DAY + timedelta(days=1)
    )
    view = SEND.digest_view(digest, title="Spring")
    assert view.totals == (Strong("Since the send began"), " (Mar 19 – Mar 20): 5 conversions · –")
