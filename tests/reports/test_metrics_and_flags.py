"""The watchable metrics (reports/kinds/metrics.py) read day by day for every kind, and the digest's
anomaly flags through the registry: more than 3 MADs from the trailing 7-day median, in words, never on
fewer than 5 days of history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from handlers.layout.digest_blocks import digest_blocks
from reports.kinds import Kind, Target
from reports.kinds.metrics import METRICS, metric
from reports.kinds.registry import REGISTRY, kind_of
from reports.models import ChannelRow, DayPoint, Metrics, Series

DAY = date(2026, 3, 20)
CAMPAIGN, SEND = "cmp-1", "snd-1"


def email(sent: int, delivered: int, bounces: int, **more: int) -> ChannelRow:
    return ChannelRow("email", "Variant A", None, Metrics.of(sent=sent, delivered=delivered, bounces=bounces, **more))


def push(sent: int, bounces: int) -> ChannelRow:
    return ChannelRow("ios_push", "Variant A", None, Metrics.of(sent=sent, bounces=bounces, total_opens=sent // 10))


def test_a_rate_sums_only_the_rows_that_report_both_of_its_numbers() -> None:
    point = DayPoint(DAY, (email(1000, 950, 50), push(3000, 30), ChannelRow("webhook", "A", None, Metrics.of(sent=99))))
    assert METRICS["delivery_rate"].of_day(point) == pytest.approx(950 / 1000)  # push and webhook say nothing
    assert METRICS["bounce_rate"].of_day(point) == pytest.approx((50 + 30) / (1000 + 3000))
    assert METRICS["sent"].of_day(point) == 1000 + 3000 + 99
    assert METRICS["spam_rate"].of_day(point) is None  # nobody reported spam: no value, never 0%
    assert METRICS["open_rate"].of_day(point) == pytest.approx(300 / 3000)


def test_a_days_parts_are_its_summed_numerator_and_denominator_or_none_when_no_row_reports_them() -> None:
    point = DayPoint(DAY, (email(1000, 950, 50), push(3000, 30), ChannelRow("webhook", "A", None, Metrics.of(sent=99))))
    assert METRICS["bounce_rate"].parts_of_day(point) == (80.0, 4000.0)
    assert METRICS["sent"].parts_of_day(point) == (4099.0, 0.0)  # a count: (count, 0)
    assert METRICS["spam_rate"].parts_of_day(point) is None  # nobody reported spam
    no_sent = DayPoint(DAY, (ChannelRow("email", "A", None, Metrics.of(delivered=90, unique_opens=9)),))
    assert METRICS["sent"].parts_of_day(no_sent) is None
    assert METRICS["sent"].of_day(no_sent) is None  # a count nobody reported is no value, never 0
    assert METRICS["bounce_rate"].parts_of_day(no_sent) is None


def test_conversion_rate_reads_the_days_own_figures_for_sends_campaigns_and_canvases() -> None:
    sent = DayPoint(DAY, (email(100, 90, 1),), level=Metrics.of(conversions=12, unique_recipients=400))
    assert METRICS["conversion_rate"].of_day(sent) == pytest.approx(12 / 400)
    canvas = DayPoint(
        DAY,
        (ChannelRow("", "Control", "v1", Metrics.of(entries=50, conversions=5)),),
        level=Metrics.of(entries=200, conversions=10),
    )
    assert METRICS["conversion_rate"].of_day(canvas) == pytest.approx(10 / 200)
    assert METRICS["conversion_rate"].of_day(DayPoint(DAY)) is None


def test_which_metrics_a_kind_has_comes_from_the_registry() -> None:
    assert kind_of(Kind.CANVAS).metrics == ("conversion_rate",)
    for kind in REGISTRY.values():
        assert set(kind.metrics) <= set(METRICS) and kind.metrics
        assert [m.name for m in kind.watched] == list(kind.metrics)
    assert metric("bounce").name == "bounce_rate" and metric("Bounce-Rate").name == "bounce_rate"
    assert metric("happiness") is None


def send_series(bounces: list[int], sent: int = 1000) -> Series:
    """One day per value, ending on DAY, each with ``sent`` emails of which ``bounces[i]`` bounced."""
    first = DAY - timedelta(days=len(bounces) - 1)
    days = tuple(
        DayPoint(first + timedelta(days=i), (email(sent, sent - b, b),), level=Metrics.of(unique_recipients=sent))
        for i, b in enumerate(bounces)
    )
    return Series(CAMPAIGN, SEND, days)


def flags(series: Series, kind: Kind = Kind.SEND) -> tuple[str, ...]:
    target = Target(kind, CAMPAIGN, SEND if kind is Kind.SEND else "")
    first = series.days[0].day
    return kind_of(kind).build_digest(series, target=target, first_day=first, digest_date=DAY + timedelta(days=1)).flags


def test_a_day_far_from_its_usual_level_is_flagged_in_words() -> None:
    found = flags(send_series([10, 11, 9, 10, 12, 100]))  # 1.0–1.2% for five days, then 10%
    assert "Bounce rate is unusually high: 10.0% against a median of 1.0% over the last 5 days." in found
    # the same day read as delivery: 90% against a median of 99.0%
    assert "Delivery rate is unusually low: 90.0% against a median of 99.0% over the last 5 days." in found


def test_four_days_of_history_are_not_enough_five_are() -> None:
    assert flags(send_series([10, 11, 9, 10, 100])) == ()
    assert flags(send_series([10, 11, 9, 10, 12, 100])) != ()


def test_the_window_is_the_trailing_seven_days() -> None:
    found = flags(send_series([500, 500, 500, 10, 11, 9, 10, 12, 10, 11, 100]))  # the old 50% days fell out
    assert any("over the last 7 days" in flag and "median of 1.0%" in flag for flag in found)


def test_an_ordinary_day_is_not_flagged() -> None:
    assert flags(send_series([10, 11, 9, 10, 12, 11, 10, 11])) == ()


def test_canvas_flags_its_conversion_rate_only() -> None:
    first = DAY - timedelta(days=6)
    conversions = [20, 22, 19, 21, 20, 20, 60]
    days = tuple(
        DayPoint(
            first + timedelta(days=i),
            (ChannelRow("", "Control", "v1", Metrics.of(entries=1000, conversions=c)),),
            level=Metrics.of(entries=1000, conversions=c),
        )
        for i, c in enumerate(conversions)
    )
    found = flags(Series(CAMPAIGN, "", days), Kind.CANVAS)
    assert found == ("Conversion rate is unusually high: 6.0% against a median of 2.0% over the last 6 days.",)


def test_the_digest_shows_one_line_per_flag() -> None:
    series = send_series([10, 11, 9, 10, 12, 100])
    kind = kind_of(Kind.SEND)
    target = Target(Kind.SEND, CAMPAIGN, SEND)
    digest = kind.build_digest(series, target=target, first_day=series.days[0].day, digest_date=DAY + timedelta(days=1))
    blocks = digest_blocks(kind.digest_message(digest, title="Spring"), subscription_id=1, chart_in_thread=False)
    [flagged] = [b for b in blocks if "unusually" in b.get("text", {}).get("text", "")]
    lines = flagged["text"]["text"].split("\n")
    assert len(lines) == len(digest.flags) >= 2 and all(line.startswith("⚠️ ") for line in lines)
