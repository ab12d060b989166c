"""Variations compared through the kinds (reports/comparison.py): which counts make each rate, the
control, and the sentences a report and a digest show.

Expected numbers come from statsmodels (Wilson intervals, the pooled z-test, Holm), used only here as
the reference, and the sentences are written out in the tests from those numbers, so a wrong count, a
wrong control, a missing correction or a winner called on noise all fail.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from fakes.braze_examples import load
from reports.comparison import compare_sets, comparison_view, row_sets, variant_set
from reports.kinds import Kind, Target
from reports.kinds.registry import kind_of
from reports.models import ChannelRow, DayPoint, Metrics, Series

DAY = date(2026, 3, 2)


def pct(x: float, decimals: int = 1) -> str:
    return f"{x * 100:.{decimals}f}"


def row(channel: str, variation: str, **metrics: int) -> ChannelRow:
    return ChannelRow(channel, variation, None, Metrics.of(**metrics))


def series_of(*days: tuple[ChannelRow, ...]) -> Series:
    return Series("cmp", "", tuple(DayPoint(DAY + timedelta(days=i), rows) for i, rows in enumerate(days)))


def sentences(kind: Kind, series: Series) -> dict[str, tuple[str, ...]]:
    compared = kind_of(kind).compared(series, start=DAY, end=DAY + timedelta(days=30))
    view = comparison_view(compared, limit=10)
    return {} if view is None else {r.label: r.sentences for r in view.rates}


# -- known values, worked with statsmodels ----------------------------------------------------------------


def expected_sentence(name: str, x: int, n: int, control: str, cx: int, cn: int, *, tests: int = 1) -> str:
    """The sentence for a significant result, from statsmodels' numbers (one decimal: rates ≥ 1%)."""
    low, high = proportion_confint(x, n, method="wilson")
    clow, chigh = proportion_confint(cx, cn, method="wilson")
    _, p = proportions_ztest([x, cx], [n, cn])
    adjusted = min(1.0, p * tests)
    lift = (x / n - cx / cn) / (cx / cn)
    confidence = min(math.floor((1 - adjusted) * 100), 99)
    return (
        f"{name} converts {pct(x / n)}% ({pct(low)}–{pct(high)}) against {pct(cx / cn)}% ({pct(clow)}–{pct(chigh)}) "
        f"for {control}: {lift:+.0%}, {confidence}% confidence."
    )


def test_the_issues_example_reads_as_the_issue_writes_it() -> None:
    """Control 3.2% of 20,000 against Variant B 4.1% of 20,000: the issue's "+28%, 99% confidence"."""
    series = series_of(
        (
            row("email", "Control", conversions=640, unique_recipients=20_000),
            row("email", "Variant B", conversions=820, unique_recipients=20_000),
        )
    )
    [said] = sentences(Kind.CAMPAIGN, series)["Conversion rate"]
    assert said == expected_sentence("Variant B", 820, 20_000, "Control", 640, 20_000)
    assert said == "Variant B converts 4.1% (3.8–4.4) against 3.2% (3.0–3.5) for Control: +28%, 99% confidence."


def test_the_control_named_control_is_found_wherever_it_stands_and_holm_covers_every_variant() -> None:
    """Three variants against "Control" (listed last): each p-value is Holm-adjusted over the three."""
    counts = {
        "Variant A": (300, 10_000),
        "Variant B": (352, 10_000),
        "Variant C": (410, 10_000),
        "Control": (300, 10_000),
    }
    series = series_of(
        tuple(row("ios_push", name, conversions=x, unique_recipients=n) for name, (x, n) in counts.items())
    )
    said = sentences(Kind.SEND, series)["Conversion rate"]
    cx, cn = counts["Control"]
    raw = [proportions_ztest([x, cx], [n, cn])[1] if x != cx else 1.0 for x, n in list(counts.values())[:3]]
    reject, adjusted, _, _ = multipletests(raw, alpha=0.05, method="holm")
    assert list(reject) == [False, False, True]  # only C beats the control once corrected
    assert said[2].startswith("Variant C converts 4.1% (3.7–4.5) against 3.0% (2.7–3.4) for Control: +37%, ")
    assert said[2].endswith(f"{min(math.floor((1 - adjusted[2]) * 100), 99)}% confidence.")
    assert said[1].startswith("No winner yet: Variant B converts 3.5% (3.2–3.9) against 3.0% (2.7–3.4) for Control;")
    assert raw[1] < 0.05 < adjusted[1]  # B alone would pass at 5%; corrected for three it does not
    assert said[0] == (
        "No winner yet: Variant A converts 3.0% (2.7–3.4) against 3.0% (2.7–3.4) for Control; with no difference "
        "so far, the sample size needed is not estimable."
    )


def test_no_winner_says_how_many_more_recipients_would_tell() -> None:
    series = series_of(
        (
            row("email", "Control", conversions=30, unique_recipients=1_000),
            row("email", "Variant B", conversions=36, unique_recipients=1_000),
        )
    )
    [said] = sentences(Kind.CAMPAIGN, series)["Conversion rate"]
    # n = (1.96·√(2·0.033·0.967) + 0.8416·√(0.03·0.97 + 0.036·0.964))² ÷ 0.006² = 13,913.6 → 13,914 per arm;
    # 12,914 more than the 1,000 each has: "about 13,000".
    assert said == (
        "No winner yet: Variant B converts 3.6% (2.6–4.9) against 3.0% (2.1–4.3) for Control; this would need "
        "about 13,000 more recipients per variant to tell a +20% lift at 80% power."
    )


def test_braze_documented_multivariate_answer_compares_variants_with_the_control_group() -> None:
    """Braze's documented multivariate example: two variants and "Control" (held back: ``enrolled``)."""
    kind = kind_of(Kind.CAMPAIGN)
    series = kind.parse(load("campaigns_data_series_multivariate.json"), Target(Kind.CAMPAIGN, "cmp"))
    [conversion] = [
        s
        for s in kind.variant_sets(series, start=date(2020, 6, 28), end=date(2020, 6, 28))
        if s.rate.key == "conversion"
    ]
    assert [(a.name, a.successes, a.trials, a.control_group) for a in conversion.arms] == [
        ("Variant 1", 18, 1100, False),
        ("Variant 2", 10, 1060, False),
        ("Control", 3, 240, True),
    ]
    view = comparison_view(compare_sets([conversion]))
    assert view is not None and view.rates[0].control == "Control"
    assert all(s.startswith("No winner yet") for s in view.rates[0].sentences)  # 3 of 240: far too few


def test_a_control_group_not_named_control_is_still_the_control() -> None:
    series = series_of(
        (
            row("email", "Variant 1", conversions=50, unique_recipients=1000, sent=1000),
            row("email", "Held out", conversions=20, unique_recipients=900, enrolled=950),
        )
    )
    [conversion] = compare_sets(row_sets(series, start=DAY, end=DAY))
    assert conversion.result.arms[conversion.result.control_index].arm.name == "Held out"
    assert comparison_view([conversion]).rates[0].control_why == "Braze's control group"  # type: ignore[union-attr]


def test_a_repeated_campaign_level_figure_counts_once_and_split_figures_add_up() -> None:
    repeated = series_of(
        (
            row("email", "A", conversions=40, unique_recipients=1000, sent=700),
            row("ios_push", "A", conversions=40, unique_recipients=1000, sent=300),
            row("email", "B", conversions=60, unique_recipients=1000, sent=650),
            row("ios_push", "B", conversions=60, unique_recipients=1000, sent=350),
        )
    )
    split = series_of(
        (
            row("email", "A", conversions=25, unique_recipients=700),
            row("ios_push", "A", conversions=15, unique_recipients=300),
            row("email", "B", conversions=45, unique_recipients=650),
            row("ios_push", "B", conversions=15, unique_recipients=350),
        )
    )
    for series in (repeated, split):
        [conversion] = [s for s in row_sets(series, start=DAY, end=DAY) if s.rate.key == "conversion"]
        assert [(a.successes, a.trials) for a in conversion.arms] == [(40, 1000), (60, 1000)]


def test_each_channel_is_compared_on_its_own_open_and_click_rates_and_never_on_total_opens() -> None:
    series = series_of(
        (
            row("email", "A", sent=1000, delivered=980, unique_opens=200, unique_clicks=40, opens=450),
            row("email", "B", sent=1000, delivered=975, unique_opens=260, unique_clicks=39, opens=500),
            row("android_push", "A", sent=500, direct_opens=40, total_opens=900),
            row("android_push", "B", sent=500, direct_opens=45, total_opens=950),
        ),
    )
    said = sentences(Kind.CAMPAIGN, series)
    assert list(said) == ["Email unique open rate", "Email unique click rate", "Push direct open rate"]
    assert said["Email unique open rate"][0].startswith("B has an email unique open rate of 26.7% ")
    assert "delivered emails per variant" in said["Email unique click rate"][0]  # not significant: more needed
    assert said["Push direct open rate"][0].startswith("No winner yet: B has a push direct open rate of 9.0% ")


def test_days_outside_the_range_are_left_out() -> None:
    series = series_of(
        (
            row("email", "A", conversions=10, unique_recipients=100),
            row("email", "B", conversions=20, unique_recipients=100),
        ),
        (
            row("email", "A", conversions=1, unique_recipients=100),
            row("email", "B", conversions=1, unique_recipients=100),
        ),
    )
    [first] = row_sets(series, start=DAY, end=DAY)
    [both] = row_sets(series, start=DAY, end=DAY + timedelta(days=1))
    assert [(a.successes, a.trials) for a in first.arms] == [(10, 100), (20, 100)]
    assert [(a.successes, a.trials) for a in both.arms] == [(11, 200), (21, 200)]


def test_canvas_variants_convert_per_entry_and_one_variant_is_nothing_to_compare() -> None:
    def variants(*named: tuple[str, int, int]) -> Series:
        rows = tuple(ChannelRow("", name, f"id-{name}", Metrics.of(entries=n, conversions=x)) for name, n, x in named)
        return Series("cv", "", (DayPoint(DAY, rows),))

    said = sentences(Kind.CANVAS, variants(("Control", 5000, 200), ("Discount", 5000, 290)))
    assert said["Conversion rate"] == (expected_sentence("Discount", 290, 5000, "Control", 200, 5000),)
    assert variant_set(variants(("Only path", 5000, 200)), start=DAY, end=DAY) == ()
    assert sentences(Kind.CANVAS, variants(("Only path", 5000, 200))) == {}


def test_a_single_variation_or_none_compares_nothing() -> None:
    one = series_of((row("email", "Only", conversions=10, unique_recipients=100, unique_opens=5, delivered=90),))
    assert row_sets(one, start=DAY, end=DAY) == ()
    assert comparison_view(()) is None


# -- properties ----------------------------------------------------------------------------------------

arm_counts = st.integers(min_value=1, max_value=50_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


def holm_by_definition(p: list[float]) -> list[float]:
    """Holm (1979): the i-th smallest of m p-values is rejected at level α when every smaller one is and
    p₍ᵢ₎ ≤ α ÷ (m − i + 1); its adjusted value is the running maximum of (m − i + 1)·p₍ᵢ₎, capped at 1.
    (statsmodels' ``multipletests`` agrees, tests/reports/test_stats.py; it is too slow for 150 examples.)"""
    order = sorted(range(len(p)), key=p.__getitem__)
    adjusted, running = [0.0] * len(p), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        adjusted[i] = running
    return adjusted


@settings(max_examples=150, deadline=None)
@given(st.lists(arm_counts, min_size=2, max_size=5))
def test_a_winner_is_named_only_below_5_percent_after_holm_over_statsmodels_p_values(
    counts: list[tuple[int, int]],
) -> None:
    names = [f"V{i}" for i in range(len(counts))]
    series = series_of(
        tuple(
            row("email", name, conversions=x, unique_recipients=n) for name, (x, n) in zip(names, counts, strict=True)
        )
    )
    said = sentences(Kind.CAMPAIGN, series)["Conversion rate"]
    (cx, cn), others = counts[0], counts[1:]  # no variation is named Control: the first is the control
    raw = []
    for x, n in others:
        pooled = (x + cx) / (n + cn)
        raw.append(1.0 if pooled in (0.0, 1.0) else proportions_ztest([x, cx], [n, cn])[1])
    adjusted = holm_by_definition(raw)
    assert len(said) == len(others)
    for sentence, name, p in zip(said, names[1:], adjusted, strict=True):
        assert f"for {names[0]}" in sentence and name in sentence
        if p >= 0.05 + 1e-9:
            assert sentence.startswith("No winner yet"), sentence
        if "confidence" in sentence:
            assert p < 0.05 + 1e-9


@settings(max_examples=100, deadline=None)
@given(st.lists(arm_counts, min_size=2, max_size=4), st.integers(min_value=1, max_value=3))
def test_repeating_a_figure_on_every_channel_row_never_changes_the_comparison(
    counts: list[tuple[int, int]], channels: int
) -> None:
    once = series_of(
        tuple(row("email", f"V{i}", conversions=x, unique_recipients=n) for i, (x, n) in enumerate(counts))
    )
    names = ("email", "ios_push", "android_push")[:channels]
    repeated = series_of(
        tuple(row(c, f"V{i}", conversions=x, unique_recipients=n) for i, (x, n) in enumerate(counts) for c in names)
    )
    assert sentences(Kind.CAMPAIGN, once) == sentences(Kind.CAMPAIGN, repeated)


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_answers_variant_sets(kind: Kind) -> None:
    """One capability through the registry: every kind says which rates its variations are compared on."""
    assert kind_of(kind).variant_sets(Series("x"), start=DAY, end=DAY) == ()
