"""Edge cases of reports/comparison.py: which variation is Braze's control group, how counts add up over
rows and days, why a control is the control, how many rates a message leaves out, and the chart's rate."""

from __future__ import annotations

from datetime import date, timedelta

from reports.comparison import (
    RateComparison,
    chart_data,
    compare_sets,
    comparison_view,
    rate_view,
    row_sets,
    variant_set,
)
from reports.models import ChannelRow, DayPoint, Metrics, Series

DAY = date(2026, 3, 2)


def row(channel: str, variation: str, **metrics: int) -> ChannelRow:
    return ChannelRow(channel, variation, None, Metrics.of(**metrics))


def series_of(*days: tuple[ChannelRow, ...]) -> Series:
    return Series("cmp", "", tuple(DayPoint(DAY + timedelta(days=i), rows) for i, rows in enumerate(days)))


def control_of(*rows: ChannelRow) -> tuple[str, str]:
    """The control of the conversion rate and why it is the control."""
    [conversion, *_] = compare_sets(row_sets(series_of(rows), start=DAY, end=DAY))
    view = rate_view(conversion)
    return view.control, view.control_why


# -- Braze's control group: people held back (enrolled) and nothing sent ---------------------------------


def test_a_variation_that_reports_nothing_sent_and_nobody_enrolled_is_not_a_control_group() -> None:
    assert control_of(
        row("email", "A", conversions=50, unique_recipients=1000, sent=1000),
        row("email", "B", conversions=60, unique_recipients=1000),
    ) == ("A", "the first variation")


def test_a_variation_enrolled_and_sent_is_not_held_back_even_without_impressions() -> None:
    assert control_of(
        row("email", "A", conversions=50, unique_recipients=1000, enrolled=1000, sent=1000),
        row("email", "Held out", conversions=20, unique_recipients=900, enrolled=900),
    ) == ("Held out", "Braze's control group")


def test_an_in_app_variation_enrolled_with_impressions_is_not_held_back() -> None:
    assert control_of(
        row("trigger_in_app_message", "A", conversions=50, unique_recipients=1000, enrolled=1000, impressions=800),
        row("trigger_in_app_message", "Held out", conversions=20, unique_recipients=900, enrolled=900),
    ) == ("Held out", "Braze's control group")


def test_a_variation_named_control_says_so_whatever_its_case_and_spaces() -> None:
    assert control_of(
        row("email", "A", conversions=50, unique_recipients=1000, sent=1000),
        row("email", " CONTROL ", conversions=20, unique_recipients=900, sent=900),
    ) == (" CONTROL ", "a variation named Control")


# -- counts over rows and days ---------------------------------------------------------------------------


def test_channel_counts_add_up_over_days_and_over_the_rows_of_one_family() -> None:
    series = series_of(
        (
            row("email", "A", delivered=1000, unique_opens=200),
            row("email", "B", delivered=900, unique_opens=250),
            row("ios_push", "A", sent=300, direct_opens=30),
            row("android_push", "A", sent=200, direct_opens=10),
            row("ios_push", "B", sent=310, direct_opens=40),
        ),
        (
            row("email", "A", delivered=500, unique_opens=100),
            row("email", "B", delivered=400, unique_opens=120),
            row("ios_push", "B", sent=100, direct_opens=5),
        ),
    )
    sets = row_sets(series, start=DAY, end=DAY + timedelta(days=1))
    assert [(s.rate.key, s.rate.label, s.rate.unit) for s in sets] == [
        ("email:unique_opens", "Email unique open rate", "delivered emails"),
        ("push:direct_opens", "Push direct open rate", "pushes sent"),
    ]
    assert [[(a.name, a.successes, a.trials) for a in s.arms] for s in sets] == [
        [("A", 300, 1500), ("B", 370, 1300)],
        [("A", 40, 500), ("B", 45, 410)],
    ]


def test_every_rate_has_its_own_key() -> None:
    series = series_of(
        (
            row("email", "A", conversions=5, unique_recipients=100, delivered=90, unique_opens=20, unique_clicks=4),
            row("email", "B", conversions=6, unique_recipients=100, delivered=95, unique_opens=25, unique_clicks=5),
            row("content_cards", "A", unique_impressions=80, unique_clicks=8),
            row("content_cards", "B", unique_impressions=70, unique_clicks=9),
        )
    )
    assert [(s.rate.key, s.rate.verb) for s in row_sets(series, start=DAY, end=DAY)] == [
        ("conversion", "converts"),
        ("email:unique_opens", "has an email unique open rate of"),
        ("email:unique_clicks", "has an email unique click rate of"),
        ("content_cards:unique_clicks", "has a content cards unique click rate of"),
    ]


def canvas(*days: tuple[tuple[str, str, int, int], ...]) -> Series:
    """Days of Canvas variants: (API id, name, entries, conversions)."""
    return Series(
        "cv",
        "",
        tuple(
            DayPoint(
                DAY + timedelta(days=i),
                tuple(
                    ChannelRow("", name, api_id, Metrics.of(entries=n, conversions=x)) for api_id, name, n, x in rows
                ),
            )
            for i, rows in enumerate(days)
        ),
    )


def test_a_canvas_variant_renamed_between_days_stays_one_variant_under_its_first_name() -> None:
    series = canvas(
        (("v-1", "Control", 1000, 40), ("v-2", "Discount", 1000, 50)),
        (("v-1", "Control", 800, 30), ("v-2", "Discount 10%", 700, 35)),
    )
    [variants] = variant_set(series, start=DAY, end=DAY + timedelta(days=1))
    assert [(a.name, a.successes, a.trials) for a in variants.arms] == [("Control", 70, 1800), ("Discount", 85, 1700)]
    assert (variants.rate.label, variants.rate.unit) == ("Conversion rate", "entries")


def test_a_canvas_variant_without_conversions_is_left_out() -> None:
    rows = (
        ChannelRow("", "Control", "v-1", Metrics.of(entries=1000, conversions=40)),
        ChannelRow("", "New path", "v-3", Metrics.of(entries=500)),
        ChannelRow("", "Discount", "v-2", Metrics.of(entries=900, conversions=45)),
    )
    [variants] = variant_set(Series("cv", "", (DayPoint(DAY, rows),)), start=DAY, end=DAY)
    assert [(a.name, a.successes, a.trials) for a in variants.arms] == [("Control", 40, 1000), ("Discount", 45, 900)]


# -- the view and the chart ------------------------------------------------------------------------------


def many_rates() -> tuple[RateComparison, ...]:
    """Five rates compared: conversions, email opens and clicks, push direct opens, in-app clicks."""
    return compare_sets(
        row_sets(
            series_of(
                (
                    row("email", "A", conversions=300, unique_recipients=10_000, delivered=9000, unique_opens=900),
                    row("email", "B", conversions=600, unique_recipients=10_000, delivered=9000, unique_opens=905),
                    row("email", "C", conversions=305, unique_recipients=10_000, delivered=9000, unique_opens=910),
                    row("ios_push", "A", sent=1000, direct_opens=50),
                    row("ios_push", "B", sent=1000, direct_opens=55),
                    row("email", "A", unique_clicks=90, delivered=0),
                    row("email", "B", unique_clicks=95, delivered=0),
                    row("in_app_message", "A", impressions=500, clicks=50),
                    row("in_app_message", "B", impressions=500, clicks=45),
                )
            ),
            start=DAY,
            end=DAY,
        )
    )


def test_the_first_variation_is_the_control_and_decisive_results_are_marked() -> None:
    [conversion, *_] = many_rates()
    view = rate_view(conversion)
    assert (view.label, view.control, view.control_why) == ("Conversion rate", "A", "the first variation")
    assert view.decisive == (True, False)  # B: 6.0% against 3.0%; C: 3.05% against 3.0%
    assert view.sentences[0].startswith("B converts 6.0% ")
    assert view.sentences[1].startswith("No winner yet: C converts 3.0% ")


def test_a_message_shows_four_rates_and_counts_the_rest_where_they_are_compared() -> None:
    compared = many_rates()
    assert [c.rate.label for c in compared] == [
        "Conversion rate",
        "Email unique open rate",
        "Email unique click rate",
        "Push direct open rate",
        "In-app message click rate",
    ]
    report = comparison_view(compared)
    assert report is not None
    assert [r.label for r in report.rates] == [c.rate.label for c in compared[:4]]
    assert (report.more, report.elsewhere) == (1, None)
    digest = comparison_view(compared, limit=1, elsewhere="the full report")
    assert digest is not None
    assert ([r.label for r in digest.rates], digest.more, digest.elsewhere) == (
        ["Conversion rate"],
        4,
        "the full report",
    )
    everything = comparison_view(compared, limit=10, elsewhere="the full report")
    assert everything is not None and (len(everything.rates), everything.more) == (5, 0)


def test_the_chart_shows_the_primary_rate_under_the_title() -> None:
    compared = many_rates()
    data = chart_data(compared, title="Spring sale")
    assert data is not None
    assert (data.title, data.rate_label) == ("Spring sale", "Conversion rate")
    assert [(r.name, r.control, r.decisive) for r in data.rows] == [
        ("A", True, False),
        ("B", False, True),
        ("C", False, False),
    ]
    assert chart_data((), title="Spring sale") is None
