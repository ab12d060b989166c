"""The verdict of a campaign's and a Canvas's report and digest: the few numbers read first, in the words
and styles the layout rounds them by, and the one change that matters (whichever of the kind's counts
moved most against a sound base, named with its own style: a count, or dollars)."""

from __future__ import annotations

from datetime import date, timedelta

from handlers.layout.blocks import shift_words, verdict_words
from reports.kinds import Kind, Target
from reports.kinds.campaign import CAMPAIGN
from reports.kinds.canvas import CANVAS
from reports.models import ChannelRow, DayPoint, Metrics, Series, metrics_of
from reports.verdict import halves
from reports.views import Measure, Shift, Verdict

D0 = date(2026, 3, 1)


def d(n: int) -> date:
    return D0 + timedelta(days=n)


def canvas_day(n: int, entries: int, conversions: int, revenue: float) -> DayPoint:
    return DayPoint(d(n), level=Metrics.of(entries=entries, conversions=conversions, revenue=revenue))


def canvas_digest_verdict(before: DayPoint, today: DayPoint) -> Verdict:
    series = Series("cv", "", (before, today), "Journey")
    digest = CANVAS.build_digest(series, target=Target(Kind.CANVAS, "cv"), first_day=d(0), digest_date=d(2))
    return CANVAS.digest_verdict(digest)


# -- a Canvas ----------------------------------------------------------------------------------------


def test_a_canvas_report_verdict_reads_entries_conversion_rate_conversions_and_revenue() -> None:
    # two weeks: the last 7 days are compared with the 7 before; entries move most (210 → 490)
    series = Series("cv", "", tuple(canvas_day(i, 30 if i < 7 else 70, 20, 50.0) for i in range(14)), "Journey")
    summary = CANVAS.summarise(series, start=d(0), end=d(13))
    recent, earlier = halves(d(0), d(13))  # type: ignore[misc]
    weeks = (
        CANVAS.summarise(series, start=recent[0], end=recent[1]),
        CANVAS.summarise(series, start=earlier[0], end=earlier[1]),
    )
    verdict = CANVAS.report_verdict(summary, weeks)
    assert verdict == Verdict(
        (
            Measure(700, "entries"),
            Measure(280 / 700, "converted", "rate"),
            Measure(280, "conversions"),
            Measure(700.0, "revenue", "usd", inside=True),
        ),
        Shift("entries", 490.0, 210.0, "in the last 7 days against the 7 before", "count"),
    )
    assert verdict_words(verdict) == "700 entries · 40% converted · 280 conversions ($700)"
    assert shift_words(verdict.shift) == "Entries ▲ 133% in the last 7 days against the 7 before (210 → 490)"  # type: ignore[arg-type]


def test_a_canvas_report_without_two_weeks_has_no_change_and_a_rate_below_ten_percent_keeps_a_decimal() -> None:
    series = Series("cv", "", (canvas_day(0, 800, 30, 12.5),), "Journey")
    verdict = CANVAS.report_verdict(CANVAS.summarise(series, start=d(0), end=d(0)), None)
    assert verdict == Verdict(
        (
            Measure(800, "entries"),
            Measure(30 / 800, "converted", "rate"),
            Measure(30, "conversions"),
            Measure(12.5, "revenue", "usd", inside=True),
        ),
    )
    assert verdict_words(verdict) == "800 entries · 3.8% converted · 30 conversions ($12.50)"


def test_a_canvas_digest_verdict_gives_counts_only_and_the_entries_change() -> None:
    verdict = canvas_digest_verdict(canvas_day(0, 100, 40, 100.0), canvas_day(1, 150, 44, 110.0))
    assert verdict == Verdict(
        (Measure(150, "entries"), Measure(44, "conversions"), Measure(110.0, "revenue", "usd", inside=True)),
        Shift("entries", 150.0, 100.0, "against Mar 1", "count"),
        "Mar 2",
    )
    assert verdict_words(verdict) == "Mar 2: 150 entries · 44 conversions ($110)"  # no rate in a day's verdict
    assert shift_words(verdict.shift) == "Entries ▲ 50% against Mar 1 (100 → 150)"  # type: ignore[arg-type]


def test_a_canvas_digest_verdict_names_a_conversions_change() -> None:
    verdict = canvas_digest_verdict(canvas_day(0, 100, 40, 100.0), canvas_day(1, 110, 80, 110.0))
    assert verdict.shift == Shift("conversions", 80.0, 40.0, "against Mar 1", "count")
    assert shift_words(verdict.shift) == "Conversions ▲ 100% against Mar 1 (40 → 80)"


def test_a_canvas_digest_verdict_names_a_revenue_change_in_dollars() -> None:
    verdict = canvas_digest_verdict(canvas_day(0, 100, 40, 100.0), canvas_day(1, 110, 44, 300.0))
    assert verdict.shift == Shift("revenue", 300.0, 100.0, "against Mar 1", "usd")
    assert shift_words(verdict.shift) == "Revenue ▲ 200% against Mar 1 ($100 → $300)"


# -- a campaign --------------------------------------------------------------------------------------


def campaign_day(n: int, sent: int, conversions: int, revenue: float) -> DayPoint:
    rows = (ChannelRow("email", "A", None, metrics_of({"sent": sent})),)
    return DayPoint(d(n), rows, metrics_of({"conversions": conversions, "revenue": revenue}))


def campaign_digest_verdict(before: DayPoint, today: DayPoint) -> Verdict:
    series = Series("cmp", "", (before, today))
    digest = CAMPAIGN.build_digest(series, target=Target(Kind.CAMPAIGN, "cmp"), first_day=d(0), digest_date=d(2))
    return CAMPAIGN.digest_verdict(digest)


def test_a_campaign_digest_verdict_reads_sent_conversions_and_revenue_and_the_sent_change() -> None:
    verdict = campaign_digest_verdict(campaign_day(0, 100, 40, 100.0), campaign_day(1, 150, 44, 110.0))
    assert verdict == Verdict(
        (Measure(150, "sent"), Measure(44, "conversions"), Measure(110.0, "revenue", "usd", inside=True)),
        Shift("sent", 150.0, 100.0, "against Mar 1", "count"),
        "Mar 2",
    )
    assert verdict_words(verdict) == "Mar 2: 150 sent · 44 conversions ($110)"
    assert shift_words(verdict.shift) == "Sent ▲ 50% against Mar 1 (100 → 150)"  # type: ignore[arg-type]


def test_a_campaign_digest_verdict_names_a_conversions_change() -> None:
    verdict = campaign_digest_verdict(campaign_day(0, 100, 40, 100.0), campaign_day(1, 110, 20, 110.0))
    assert verdict.shift == Shift("conversions", 20.0, 40.0, "against Mar 1", "count")
    assert shift_words(verdict.shift) == "Conversions ▼ 50% against Mar 1 (40 → 20)"


def test_a_campaign_digest_verdict_names_a_revenue_change_in_dollars() -> None:
    verdict = campaign_digest_verdict(campaign_day(0, 100, 40, 100.0), campaign_day(1, 110, 44, 25.0))
    assert verdict.shift == Shift("revenue", 25.0, 100.0, "against Mar 1", "usd")
    assert shift_words(verdict.shift) == "Revenue ▼ 75% against Mar 1 ($100 → $25.00)"
