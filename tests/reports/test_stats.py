"""The variant statistics and the anomaly rule (reports/stats.py).

Known values come from three places, each named where it is used: worked examples printed in the
literature (Newcombe 1998's table of Wilson intervals; the aspirin trial's counts from Agresti's
"An Introduction to Categorical Data Analysis", 2nd ed., Table 2.3), values worked by hand from the
formula (the arithmetic is written beside them), and scipy and statsmodels as references (tests only).
"""

from __future__ import annotations

import math
import statistics
from unittest import mock

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, median_abs_deviation, norm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    proportion_confint,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)

from reports.stats import (
    ANOMALY_MIN_DAYS,
    MEAN_AD_TO_MAD,
    Anomaly,
    Arm,
    ArmRate,
    Comparison,
    Interval,
    Verdict,
    ZTest,
    anomaly,
    arm_rate,
    choose_control,
    compare,
    describe,
    describe_anomaly,
    format_about,
    format_confidence,
    format_lift,
    format_rate,
    holm,
    sample_size_per_arm,
    two_sided_z,
    wilson_interval,
    z_test,
)

Z95 = 1.959963984540054  # Φ⁻¹(0.975)

# -- the normal quantile -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("confidence", "z"),
    [(0.95, Z95), (0.99, 2.5758293035489004), (0.90, 1.6448536269514722), (0.5, 0.6744897501960817)],
)
def test_two_sided_z_is_the_normal_quantile_of_the_upper_tail(confidence: float, z: float) -> None:
    assert two_sided_z(confidence) == pytest.approx(z, rel=1e-12)
    assert two_sided_z(confidence) == pytest.approx(norm.ppf(1 - (1 - confidence) / 2), rel=1e-12)


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.5, 1.5])
def test_two_sided_z_refuses_a_level_outside_zero_to_one(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        two_sided_z(confidence)


# -- Wilson's interval ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
        # seven methods", Statistics in Medicine 17:857-872, Table II, method 3 (score, no correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombes_examples(successes: int, trials: int, low: float, high: float) -> None:
    interval = wilson_interval(successes, trials)
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)


def test_wilson_interval_with_no_successes_is_zero_to_z_squared_over_n_plus_z_squared() -> None:
    # With x = 0 the formula reduces to (z²/2 ± z·z/2) ÷ (n + z²): exactly 0, and z² ÷ (n + z²).
    # For n = 20: 3.841459 ÷ 23.841459 = 0.161125.
    interval = wilson_interval(0, 20)
    assert interval.low == 0.0
    assert interval.high == pytest.approx(Z95**2 / (20 + Z95**2), rel=1e-12)
    assert interval.high == pytest.approx(0.161125, abs=1e-6)


def test_wilson_interval_with_all_successes_mirrors_none() -> None:
    # x = n: (n + z²/2 ± z²/2) ÷ (n + z²), so n ÷ (n + z²) and exactly 1. 20 ÷ 23.841459 = 0.838875.
    interval = wilson_interval(20, 20)
    assert interval.high == 1.0
    assert interval.low == pytest.approx(0.838875, abs=1e-6)


def test_wilson_interval_without_trials_is_the_whole_range() -> None:
    assert wilson_interval(0, 0) == Interval(0.0, 1.0)
    assert wilson_interval(0, 0, 0.5) == Interval(0.0, 1.0)


def test_wilson_interval_of_a_half_is_symmetric_about_a_half() -> None:
    # x = 5, n = 10: centre (5 + 1.920729) ÷ 13.841459 = 0.5; half-width 1.959964·√(2.5 + 0.960365)
    # ÷ 13.841459 = 1.959964·1.860206 ÷ 13.841459 = 0.263407.
    interval = wilson_interval(5, 10)
    assert interval.low == pytest.approx(0.5 - 0.263407, abs=1e-6)
    assert interval.high == pytest.approx(0.5 + 0.263407, abs=1e-6)


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.9, 0.99, 0.999])
@pytest.mark.parametrize(("successes", "trials"), [(1, 3), (81, 263), (410, 10_000), (9_999, 10_000), (0, 7), (7, 7)])
def test_wilson_interval_at_any_level_matches_statsmodels(successes: int, trials: int, confidence: float) -> None:
    low, high = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    interval = wilson_interval(successes, trials, confidence)
    assert interval.low == pytest.approx(low, abs=1e-12)
    assert interval.high == pytest.approx(high, abs=1e-12)


@pytest.mark.parametrize(("successes", "trials"), [(11, 10), (-1, 10), (1, 0), (0, -1)])
def test_wilson_interval_refuses_counts_that_are_not_a_proportion(successes: int, trials: int) -> None:
    with pytest.raises(ValueError, match="is not a proportion"):
        wilson_interval(successes, trials)


def test_wilson_interval_refuses_a_bad_level() -> None:
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 2, 1.0)


@given(st.integers(0, 10**9).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))), st.floats(0.5, 0.999))
def test_an_interval_contains_its_estimate_and_lies_within_zero_and_one(counts: tuple[int, int], level: float) -> None:
    successes, trials = counts
    interval = wilson_interval(successes, trials, level)
    estimate = successes / trials if trials else 0.5
    assert 0.0 <= interval.low <= estimate <= interval.high <= 1.0


@given(st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_a_higher_level_gives_a_wider_interval(counts: tuple[int, int]) -> None:
    narrow, wide = wilson_interval(*counts, 0.9), wilson_interval(*counts, 0.99)
    assert wide.low <= narrow.low and narrow.high <= wide.high


# -- the two-proportion z-test -------------------------------------------------------------------------


def test_z_test_on_the_aspirin_trial() -> None:
    # Physicians' Health Study, as in Agresti, An Introduction to Categorical Data Analysis (2nd ed.),
    # Table 2.3: heart attacks 189 of 11,034 on placebo, 104 of 11,037 on aspirin. By hand:
    # p = 293 ÷ 22,071 = 0.0132753; SE = √(0.0132753·0.9867247·(1/11,034 + 1/11,037)) = 0.00154078;
    # z = (0.0171289 − 0.0094229) ÷ 0.00154078 = 5.0014, and z² = 25.01, Pearson's X² for the table.
    test = z_test(189, 11_034, 104, 11_037)
    assert test.z == pytest.approx(5.0014, abs=1e-4)
    assert test.p_value == pytest.approx(5.692e-7, rel=1e-3)
    z, p = proportions_ztest([189, 104], [11_034, 11_037])
    assert (test.z, test.p_value) == (pytest.approx(z, rel=1e-12), pytest.approx(p, rel=1e-9))
    chi2 = chi2_contingency([[189, 11_034 - 189], [104, 11_037 - 104]], correction=False)[0]
    assert test.z**2 == pytest.approx(chi2, rel=1e-12)


def test_z_test_is_negative_when_the_first_rate_is_lower() -> None:
    # 10/100 against 20/100: p = 0.15, SE = √(0.15·0.85·0.02) = 0.0504975, z = −0.1 ÷ 0.0504975.
    test = z_test(10, 100, 20, 100)
    assert test.z == pytest.approx(-1.980295, abs=1e-6)
    assert test.p_value == pytest.approx(0.047670, abs=1e-6)  # 2·(1 − Φ(1.980295))


@pytest.mark.parametrize(
    "counts",
    [
        (0, 0, 5, 10),  # no trials in a
        (5, 10, 0, 0),  # no trials in b
        (0, 0, 0, 0),
        (0, 10, 0, 20),  # pooled rate 0
        (10, 10, 20, 20),  # pooled rate 1
    ],
)
def test_z_test_without_variance_finds_no_difference(counts: tuple[int, int, int, int]) -> None:
    assert z_test(*counts) == ZTest(0.0, 1.0)


@pytest.mark.parametrize("counts", [(11, 10, 1, 10), (1, 10, 11, 10), (-1, 10, 1, 10), (1, 10, -1, 10)])
def test_z_test_refuses_counts_that_are_not_proportions(counts: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError, match="is not a proportion"):
        z_test(*counts)


arms = st.integers(0, 10**7).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@given(arms, arms)
def test_swapping_the_arms_flips_the_sign_of_z(a: tuple[int, int], b: tuple[int, int]) -> None:
    forward, backward = z_test(*a, *b), z_test(*b, *a)
    assert forward.z == -backward.z
    assert forward.p_value == backward.p_value


@given(arms, arms)
def test_z_test_matches_statsmodels(a: tuple[int, int], b: tuple[int, int]) -> None:
    pooled = (a[0] + b[0]) / max(a[1] + b[1], 1)
    assume(a[1] > 0 and b[1] > 0 and 0 < pooled < 1)
    test = z_test(*a, *b)
    z, p = proportions_ztest([a[0], b[0]], [a[1], b[1]])
    assert test.z == pytest.approx(z, rel=1e-9, abs=1e-12)
    assert test.p_value == pytest.approx(p, rel=1e-6, abs=1e-300)


# -- Holm's correction ---------------------------------------------------------------------------------


def test_holm_by_hand() -> None:
    # Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04, raised to 0.06 to stay monotone.
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx((0.03, 0.06, 0.06, 0.02), abs=1e-15)


@pytest.mark.parametrize(
    ("raw", "adjusted"),
    [
        ([], ()),
        ([0.2], (0.2,)),
        ([0.5, 0.6], (1.0, 1.0)),  # 0.5·2 = 1.0, 0.6 raised to 1.0
        ([0.3, 0.2], (0.4, 0.4)),  # 0.2·2 = 0.4, then 0.3·1 raised to 0.4
        ([0.01, 0.01, 0.2], (0.03, 0.03, 0.2)),  # ties stay tied
        ([0.7, 0.0], (0.7, 0.0)),
        ([1.0, 1.0], (1.0, 1.0)),
    ],
)
def test_holm_examples(raw: list[float], adjusted: tuple[float, ...]) -> None:
    assert holm(raw) == pytest.approx(adjusted, abs=1e-15)


@pytest.mark.parametrize("raw", [[1.5], [-0.1], [0.2, math.nan]])
def test_holm_refuses_what_is_not_a_p_value(raw: list[float]) -> None:
    with pytest.raises(ValueError, match=r"p-values must lie in \[0, 1\]"):
        holm(raw)


p_values = st.lists(st.floats(0, 1), min_size=1, max_size=12)


@given(p_values)
def test_holm_never_lowers_caps_at_one_and_keeps_the_order(raw: list[float]) -> None:
    adjusted = holm(raw)
    assert all(p <= q <= 1 for p, q in zip(raw, adjusted, strict=True))
    for i in range(len(raw)):
        for j in range(len(raw)):
            if raw[i] <= raw[j]:
                assert adjusted[i] <= adjusted[j]


@given(p_values)
def test_holm_matches_statsmodels(raw: list[float]) -> None:
    # statsmodels' Holm branch ends in gc.collect(), 0.1-0.4 s in a test process; it changes no result.
    with mock.patch("gc.collect"):
        reference = multipletests(raw, method="holm")[1]
    assert holm(raw) == pytest.approx(tuple(reference), rel=1e-12, abs=1e-300)


# -- the sample size -----------------------------------------------------------------------------------


def test_sample_size_for_five_against_ten_percent() -> None:
    # By hand: p̄ = 0.075; 1.959964·√(2·0.075·0.925) = 0.730070; 0.841621·√(0.05·0.95 + 0.1·0.9) = 0.312081;
    # (1.042151)² ÷ 0.05² = 434.43, so 435 per arm.
    assert sample_size_per_arm(0.05, 0.10) == 435
    assert sample_size_per_arm(0.10, 0.05) == 435
    assert samplesize_proportions_2indep_onetail(0.05, 0.05, 0.8) == pytest.approx(434.43, abs=0.01)


@pytest.mark.parametrize(
    ("p_control", "p_variant", "alpha", "power"),
    [(0.032, 0.041, 0.05, 0.8), (0.2, 0.25, 0.01, 0.9), (0.5, 0.45, 0.05 / 3, 0.8), (0.001, 0.002, 0.1, 0.95)],
)
def test_sample_size_matches_statsmodels(p_control: float, p_variant: float, alpha: float, power: float) -> None:
    reference = samplesize_proportions_2indep_onetail(p_variant - p_control, p_control, power, alpha=alpha)
    assert sample_size_per_arm(p_control, p_variant, alpha=alpha, power=power) == math.ceil(reference)


def test_sample_size_at_half_power_needs_only_the_alpha_term() -> None:
    # z_power = 0: (0.730070)² ÷ 0.0025 = 213.2, so 214.
    assert sample_size_per_arm(0.05, 0.10, power=0.5) == 214


def test_sample_size_of_no_difference_is_not_estimable() -> None:
    assert sample_size_per_arm(0.03, 0.03) is None
    assert sample_size_per_arm(0.0, 0.0) is None


@pytest.mark.parametrize(
    ("p_control", "p_variant", "alpha", "power", "message"),
    [
        (-0.1, 0.1, 0.05, 0.8, "rates must lie"),
        (0.1, 1.1, 0.05, 0.8, "rates must lie"),
        (1.1, 0.1, 0.05, 0.8, "rates must lie"),
        (0.1, -0.1, 0.05, 0.8, "rates must lie"),
        (0.1, 0.2, 0.0, 0.8, "alpha"),
        (0.1, 0.2, 1.0, 0.8, "alpha"),
        (0.1, 0.2, 0.05, 0.49, "power"),
        (0.1, 0.2, 0.05, 1.0, "power"),
        (0.1, 0.1, 0.05, 1.0, "power"),  # checked before equal rates return
    ],
)
def test_sample_size_refuses_bad_input(
    p_control: float, p_variant: float, alpha: float, power: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        sample_size_per_arm(p_control, p_variant, alpha=alpha, power=power)


@given(st.floats(0.001, 0.9), st.floats(0.01, 1.0), st.floats(0.01, 1.0))
def test_the_sample_size_falls_as_the_lift_grows(p_control: float, share_a: float, share_b: float) -> None:
    # Lifts drawn as shares of the largest possible one (the variant's rate reaches 1), so none is filtered out.
    most = 1 / p_control - 1
    small, large = sorted((share_a * most, share_b * most))
    assume(small < large)
    assert sample_size_per_arm(p_control, p_control * (1 + large)) <= sample_size_per_arm(
        p_control, p_control * (1 + small)
    )


@given(st.floats(0.01, 0.999), st.floats(0.01, 0.99), st.floats(0.01, 0.99))
def test_the_sample_size_falls_as_a_drop_grows(p_control: float, drop_a: float, drop_b: float) -> None:
    small, large = sorted((drop_a, drop_b))
    assume(small < large)
    assert sample_size_per_arm(p_control, p_control * (1 - large)) <= sample_size_per_arm(
        p_control, p_control * (1 - small)
    )


# -- the control ---------------------------------------------------------------------------------------


def arm(name: str, successes: int = 1, trials: int = 10, *, control_group: bool = False) -> Arm:
    return Arm(name, successes, trials, control_group)


@pytest.mark.parametrize(
    ("arms", "index"),
    [
        ([arm("A"), arm("Control")], 1),
        ([arm("A"), arm("  CONTROL\t")], 1),  # trimmed, any case
        ([arm("A"), arm("control"), arm("Control")], 1),  # the first of two
        ([arm("A"), arm("B", control_group=True)], 1),  # Braze's control group
        ([arm("A", control_group=True), arm("Control")], 1),  # the name wins over the flag
        ([arm("A"), arm("B", control_group=True), arm("C", control_group=True)], 1),
        ([arm("A"), arm("Control Group"), arm("Controls")], 0),  # only the exact word counts
        ([arm("A"), arm("B")], 0),  # else the first
        ([arm("A")], 0),
    ],
)
def test_choose_control(arms: list[Arm], index: int) -> None:
    assert choose_control(arms) == index


def test_choose_control_needs_an_arm() -> None:
    with pytest.raises(ValueError, match=r"^no arms to choose a control from$"):
        choose_control([])


@pytest.mark.parametrize(("successes", "trials"), [(-1, 10), (1, -1)])
def test_an_arm_refuses_negative_counts(successes: int, trials: int) -> None:
    with pytest.raises(ValueError, match=rf"B: counts cannot be negative \({successes} of {trials}\)"):
        Arm("B", successes, trials)


def test_an_arm_may_have_more_successes_than_trials_but_then_has_no_rate() -> None:
    assert arm_rate(Arm("B", 12, 10)) == ArmRate(Arm("B", 12, 10), None, None)
    assert arm_rate(Arm("B", 0, 0)) == ArmRate(Arm("B", 0, 0), None, None)
    assert arm_rate(Arm("B", 10, 10)) == ArmRate(Arm("B", 10, 10), 1.0, wilson_interval(10, 10))
    assert arm_rate(Arm("B", 1, 4), 0.5) == ArmRate(Arm("B", 1, 4), 0.25, wilson_interval(1, 4, 0.5))


# -- the comparison ------------------------------------------------------------------------------------


def test_a_clear_winner() -> None:
    result = compare([Arm("Control", 320, 10_000), Arm("Variant B", 410, 10_000)])
    assert result.control_index == 0
    assert result.arms == (arm_rate(Arm("Control", 320, 10_000)), arm_rate(Arm("Variant B", 410, 10_000)))
    (b,) = result.comparisons
    # z = (0.041 − 0.032) ÷ √(0.0365·0.9635·0.0002) = 0.009 ÷ 0.00265207 = 3.39356.
    assert b.z == pytest.approx(3.393558, abs=1e-6)
    assert b.p_value == pytest.approx(6.8991e-4, rel=1e-4)
    assert b.adjusted_p == b.p_value  # one comparison: Holm changes nothing
    assert b.lift == pytest.approx(0.28125, rel=1e-12)  # 0.009 ÷ 0.032
    assert b.verdict is Verdict.HIGHER
    assert b.confidence == pytest.approx(1 - b.p_value, rel=1e-12)
    assert b.more_per_arm is None
    assert b.power == 0.8
    assert b.variant == result.arms[1] and b.control == result.arms[0]
    assert describe(b) == "Variant B converts 4.1% (3.7–4.5) against 3.2% (2.9–3.6) for Control: +28%, 99% confidence."


def test_a_clear_loser() -> None:
    result = compare([Arm("Variant B", 320, 10_000), Arm("Control", 410, 10_000)])
    assert result.control_index == 1
    (b,) = result.comparisons
    assert b.verdict is Verdict.LOWER
    assert b.z == pytest.approx(-3.393558, abs=1e-6)
    assert b.lift == pytest.approx(-0.219512, abs=1e-6)  # −0.009 ÷ 0.041
    assert describe(b) == "Variant B converts 3.2% (2.9–3.6) against 4.1% (3.7–4.5) for Control: -22%, 99% confidence."


def test_no_winner_yet_says_how_many_more_recipients_it_would_take() -> None:
    (b,) = compare([Arm("Control", 320, 10_000), Arm("Variant B", 340, 10_000)]).comparisons
    assert b.verdict is Verdict.NOT_SIGNIFICANT
    assert b.z == pytest.approx(0.791671, abs=1e-6)  # 0.002 ÷ √(0.033·0.967·0.0002)
    assert b.p_value == pytest.approx(0.428552, abs=1e-6)
    assert b.lift == pytest.approx(0.0625, rel=1e-12)
    assert b.confidence is None and b.power == 0.8
    # 125,232 per arm for 3.2% against 3.4% (statsmodels: 125,231.6), less the 10,000 each has.
    assert b.more_per_arm == 125_232 - 10_000
    assert describe(b) == (
        "No winner yet: Variant B converts 3.4% (3.1–3.8) against 3.2% (2.9–3.6) for Control; this would need "
        "about 120,000 more recipients per variant to tell a +6.3% lift at 80% power."
    )


def test_holm_takes_a_winner_away_when_three_variations_face_the_control() -> None:
    result = compare(
        [Arm("Control", 300, 10_000), Arm("B", 360, 10_000), Arm("C", 310, 10_000), Arm("D", 305, 10_000)]
    )
    b, c, d = result.comparisons
    assert b.p_value == pytest.approx(0.017548, abs=1e-6)  # alone, a winner at 95% ...
    assert b.adjusted_p == pytest.approx(3 * b.p_value, rel=1e-12)  # ... not among three
    assert (c.adjusted_p, d.adjusted_p) == (1.0, 1.0)
    assert [x.verdict for x in result.comparisons] == [Verdict.NOT_SIGNIFICANT] * 3
    # The sample size is planned at 0.05 ÷ 3, the level of Holm's first step.
    assert b.more_per_arm == sample_size_per_arm(0.03, 0.036, alpha=0.05 / 3) - 10_000 == 8_559
    assert describe(b) == (
        "No winner yet: B converts 3.6% (3.3–4.0) against 3.0% (2.7–3.4) for Control; this would need about "
        "8,600 more recipients per variant to tell a +20% lift at 80% power."
    )


def test_holm_lets_the_strongest_of_three_through() -> None:
    result = compare([Arm("A", 300, 10_000), Arm("B", 420, 10_000), Arm("Control", 300, 10_000), Arm("D", 0, 0)])
    assert result.control_index == 2
    a, b, d = result.comparisons
    assert [x.variant.arm.name for x in result.comparisons] == ["A", "B", "D"]
    assert a.verdict is Verdict.NOT_SIGNIFICANT and a.more_per_arm is None and a.lift == 0.0
    assert b.verdict is Verdict.HIGHER
    assert b.adjusted_p == pytest.approx(2 * b.p_value, rel=1e-12)  # D has no data, so two tests, not three
    assert b.confidence == pytest.approx(1 - 2 * b.p_value, rel=1e-12)
    assert d.verdict is Verdict.NO_DATA
    assert describe(a) == (
        "No winner yet: A converts 3.0% (2.7–3.4) against 3.0% (2.7–3.4) for Control; with no difference so far, "
        "the sample size needed is not estimable."
    )


def test_too_few_conversions_never_make_a_winner() -> None:
    # 5 of 10 against 0 of 10: p = 0.0098 by the z-test, but each arm expects 10·5/20 = 2.5 successes.
    (b,) = compare([Arm("Control", 0, 10), Arm("B", 5, 10)]).comparisons
    assert b.z == pytest.approx(2.581989, abs=1e-6)  # 0.5 ÷ √(0.25·0.75·0.2)
    assert b.p_value == pytest.approx(0.009823, abs=1e-6)
    assert b.verdict is Verdict.TOO_FEW
    assert b.lift is None  # the control's rate is 0
    assert b.confidence is None and b.more_per_arm is None and b.power == 0.8
    (c,) = compare([Arm("Control", 1, 10), Arm("C", 6, 10)], power=0.9).comparisons
    assert (c.verdict, c.lift, c.power) == (Verdict.TOO_FEW, pytest.approx(5.0), 0.9)
    assert describe(b) == (
        "No winner yet: B converts 50.0% (23.7–76.3) against 0.00% (0.00–27.75) for Control; the counts are still "
        "too small for the test to hold."
    )


@pytest.mark.parametrize(
    ("control", "variant", "verdict"),
    [
        ((0, 20), (10, 20), Verdict.HIGHER),  # expected successes 20·10/40 = 5: enough
        ((0, 20), (9, 20), Verdict.TOO_FEW),  # 20·9/40 = 4.5
        ((20, 20), (10, 20), Verdict.LOWER),  # expected failures 20·10/40 = 5
        ((20, 20), (11, 20), Verdict.TOO_FEW),  # 20·9/40 = 4.5
        ((0, 1000), (12, 20), Verdict.TOO_FEW),  # smaller arm: 20·12/1020 = 0.24
        ((0, 20), (500, 1000), Verdict.HIGHER),  # smaller arm: 20·500/1020 = 9.8
    ],
)
def test_each_arm_must_expect_five_successes_and_five_failures(
    control: tuple[int, int], variant: tuple[int, int], verdict: Verdict
) -> None:
    (b,) = compare([Arm("Control", *control), Arm("B", *variant)]).comparisons
    assert b.adjusted_p < 0.001
    assert b.verdict is verdict


def test_the_sample_size_is_never_below_what_five_expected_successes_need() -> None:
    # 1 of 10 against 0 of 10: the formula asks (1.959964·√0.095 + 0.841621·√0.09)² ÷ 0.01 = 73.4, so 74
    # per arm; five successes at the mean rate 0.05 need 100.
    (b,) = compare([Arm("Control", 0, 10), Arm("B", 1, 10)]).comparisons
    assert sample_size_per_arm(0.0, 0.1) == 74
    assert b.verdict is Verdict.NOT_SIGNIFICANT and b.more_per_arm == 100 - 10
    assert describe(b) == (
        "No winner yet: B converts 10.0% (1.8–40.4) against 0.00% (0.00–27.75) for Control; this would need about "
        "90 more recipients per variant to tell this difference at 80% power."
    )
    # ... and of five failures near 1: 10 of 10 against 9 of 10, mean 0.95.
    (c,) = compare([Arm("Control", 10, 10), Arm("B", 9, 10)]).comparisons
    assert sample_size_per_arm(1.0, 0.9) == 74 and c.more_per_arm == 100 - 10


def test_the_smaller_arm_decides_how_many_more() -> None:
    (b,) = compare([Arm("Control", 32, 1_000), Arm("B", 136, 4_000)]).comparisons
    assert b.more_per_arm == sample_size_per_arm(0.032, 0.034) - 1_000


@pytest.mark.parametrize(
    "arms",
    [
        [Arm("Control", 5, 100), Arm("B", 0, 0)],  # no recipients yet
        [Arm("Control", 5, 100), Arm("B", 12, 10)],  # more conversions than recipients
        [Arm("Control", 0, 0), Arm("B", 5, 100)],  # a control without data
    ],
)
def test_arms_without_a_rate_are_not_compared(arms: list[Arm]) -> None:
    (b,) = compare(arms).comparisons
    assert b == Comparison(
        arm_rate(arms[1]), arm_rate(arms[0]), None, None, None, None, Verdict.NO_DATA, None, None, 0.8
    )


def test_no_data_in_words() -> None:
    (b,) = compare([Arm("Control", 1_500, 10_000), Arm("Variant B", 12, 0)]).comparisons
    assert describe(b) == "Variant B can't be compared with Control yet: 12 of 0 recipients against 1,500 of 10,000."
    (b,) = compare([Arm("Control", 0, 0), Arm("Variant B", 1_200, 2_000)]).comparisons
    assert describe(b, unit="entries") == (
        "Variant B can't be compared with Control yet: 1,200 of 2,000 entries against 0 of 0."
    )


def test_alpha_sets_the_intervals_and_the_bar() -> None:
    arms = [Arm("Control", 300, 10_000), Arm("B", 360, 10_000)]  # p = 0.0175
    strict = compare(arms, alpha=0.01, power=0.9)
    assert strict.arms[0].interval == wilson_interval(300, 10_000, 0.99)
    (b,) = strict.comparisons
    assert b.verdict is Verdict.NOT_SIGNIFICANT and b.power == 0.9
    assert b.more_per_arm == sample_size_per_arm(0.03, 0.036, alpha=0.01, power=0.9) - 10_000
    assert describe(b).endswith("to tell a +20% lift at 90% power.")
    assert compare(arms, alpha=0.02).comparisons[0].verdict is Verdict.HIGHER
    assert compare(arms, alpha=0.0175).comparisons[0].verdict is Verdict.NOT_SIGNIFICANT
    assert compare(arms, alpha=0.0176).comparisons[0].verdict is Verdict.HIGHER
    exactly = z_test(360, 10_000, 300, 10_000).p_value
    assert compare(arms, alpha=exactly).comparisons[0].verdict is Verdict.NOT_SIGNIFICANT  # p < alpha, strictly


def test_a_loose_alpha_calls_a_small_z_by_its_sign() -> None:
    # 1,040 against 1,000 of 10,000: z = 0.004 ÷ √(0.102·0.898·0.0002) = 0.934559, p = 0.35 < 0.5.
    (b,) = compare([Arm("Control", 1_000, 10_000), Arm("B", 1_040, 10_000)], alpha=0.5).comparisons
    assert b.z == pytest.approx(0.934559, abs=1e-6)
    assert b.verdict is Verdict.HIGHER


@pytest.mark.parametrize(
    ("arms", "alpha", "power", "message"),
    [
        ([Arm("A", 1, 10)], 0.05, 0.8, r"^a comparison needs two or more arms$"),
        ([], 0.05, 0.8, r"^a comparison needs two or more arms$"),
        ([Arm("A", 1, 10), Arm("B", 1, 10)], 0.0, 0.8, "alpha"),
        ([Arm("A", 1, 10), Arm("B", 1, 10)], 1.0, 0.8, "alpha"),
        ([Arm("A", 1, 10), Arm("B", 1, 10)], 0.05, 0.4, "power"),
        ([Arm("A", 0, 0), Arm("B", 0, 0)], 0.05, 1.0, "power"),  # checked even when nothing is tested
    ],
)
def test_compare_refuses_bad_input(arms: list[Arm], alpha: float, power: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compare(arms, alpha=alpha, power=power)


counts = st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@given(st.lists(counts, min_size=2, max_size=12))
def test_the_verdicts_follow_holm(arm_counts: list[tuple[int, int]]) -> None:
    result = compare([Arm(f"V{i}", *c) for i, c in enumerate(arm_counts)])
    raw = [c.p_value for c in result.comparisons]
    assert [c.adjusted_p for c in result.comparisons] == list(holm(raw))
    for c in result.comparisons:
        decided = c.verdict in (Verdict.HIGHER, Verdict.LOWER)
        assert decided == (c.confidence is not None)
        if decided:
            assert c.adjusted_p < 0.05 and c.confidence > 0.95
            assert (c.verdict is Verdict.HIGHER) == (c.variant.rate > c.control.rate)
        if c.verdict is Verdict.NOT_SIGNIFICANT:
            assert c.adjusted_p >= 0.05
            assert (c.more_per_arm is None) == (c.variant.rate == c.control.rate)


@given(
    st.lists(counts, min_size=2, max_size=6),
    st.sampled_from([0.01, 0.05, 0.1, 0.3]),
    st.sampled_from([0.5, 0.8, 0.95]),
)
def test_the_recipients_still_needed_are_never_negative(
    arm_counts: list[tuple[int, int]], alpha: float, power: float
) -> None:
    result = compare([Arm(f"V{i}", *c) for i, c in enumerate(arm_counts)], alpha=alpha, power=power)
    assert all(c.more_per_arm is None or c.more_per_arm >= 0 for c in result.comparisons)


@given(counts, st.integers(2, 12))
def test_identical_arms_never_make_a_winner(arm_counts: tuple[int, int], how_many: int) -> None:
    result = compare([Arm(f"V{i}", *arm_counts) for i in range(how_many)])
    assert {c.verdict for c in result.comparisons} == {Verdict.NOT_SIGNIFICANT}
    assert {c.more_per_arm for c in result.comparisons} == {None}


# -- numbers and words ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "interval", "text"),
    [
        (0.041, None, "4.1%"),
        (0.041, Interval(0.03728, 0.04507), "4.1% (3.7–4.5)"),
        (0.0042, Interval(0.003, 0.0061), "0.42% (0.30–0.61)"),
        (0.0042, None, "0.42%"),
        (0.00994, None, "0.99%"),
        (0.00995, None, "1.0%"),  # rounds to 1%: one decimal
        (0.0, Interval(0.0, 0.0038), "0.00% (0.00–0.38)"),
        (1.0, Interval(0.9, 1.0), "100.0% (90.0–100.0)"),
    ],
)
def test_format_rate(rate: float, interval: Interval | None, text: str) -> None:
    assert format_rate(rate, interval) == text


@pytest.mark.parametrize(
    ("lift", "text"),
    [
        (0.28125, "+28%"),
        (-0.34, "-34%"),
        (0.063, "+6.3%"),
        (-0.063, "-6.3%"),
        (0.0994, "+9.9%"),
        (0.0995, "+10%"),
        (-0.0994, "-9.9%"),
        (-0.0995, "-10%"),
        (0.0, "0%"),
        (2.5, "+250%"),
    ],
)
def test_format_lift(lift: float, text: str) -> None:
    assert format_lift(lift) == text


@pytest.mark.parametrize(
    ("confidence", "text"),
    [(0.9987, "99%"), (0.96, "96%"), (0.95, "95%"), (0.57, "57%"), (0.959, "95%"), (1 - 1e-15, "99%"), (1.0, "99%")],
)
def test_format_confidence_rounds_down_and_never_says_certain(confidence: float, text: str) -> None:
    assert format_confidence(confidence) == text


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0"), (7, "7"), (87, "87"), (99, "99"), (100, "100"), (435, "440"), (995, "1,000"), (12_345, "12,000"),
     (115_232, "120,000"), (2_446_886, "2,400,000")],
)
def test_format_about(count: int, text: str) -> None:
    assert format_about(count) == text


def comparison(**changes: object) -> Comparison:
    """A hand-built comparison: B at 4.1% (3.7–4.5) against Control at 3.2% (2.9–3.6)."""
    fields: dict[str, object] = {
        "variant": ArmRate(Arm("B", 410, 10_000), 0.041, Interval(0.0373, 0.0451)),
        "control": ArmRate(Arm("Control", 320, 10_000), 0.032, Interval(0.0287, 0.0356)),
        "lift": 0.28125,
        "z": 3.39,
        "p_value": 0.0007,
        "adjusted_p": 0.0007,
        "verdict": Verdict.HIGHER,
        "confidence": 0.9993,
        "more_per_arm": None,
        "power": 0.8,
    }
    return Comparison(**{**fields, **changes})  # type: ignore[arg-type]


BOTH = "B converts 4.1% (3.7–4.5) against 3.2% (2.9–3.6) for Control"


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({}, f"{BOTH}: +28%, 99% confidence."),
        ({"lift": None}, f"{BOTH}: 99% confidence."),
        (
            {"verdict": Verdict.NOT_SIGNIFICANT, "confidence": None, "more_per_arm": 1_234},
            f"No winner yet: {BOTH}; this would need about 1,200 more recipients per variant to tell a +28% lift at "
            "80% power.",
        ),
        (
            {"verdict": Verdict.NOT_SIGNIFICANT, "confidence": None, "more_per_arm": 1_234, "lift": None, "power": 0.9},
            f"No winner yet: {BOTH}; this would need about 1,200 more recipients per variant to tell this difference "
            "at 90% power.",
        ),
        (
            {"verdict": Verdict.NOT_SIGNIFICANT, "confidence": None, "more_per_arm": 0},
            f"No winner yet: {BOTH}; the difference is still within the noise.",
        ),
        (
            {"verdict": Verdict.NOT_SIGNIFICANT, "confidence": None, "more_per_arm": None},
            f"No winner yet: {BOTH}; with no difference so far, the sample size needed is not estimable.",
        ),
        (
            {"verdict": Verdict.TOO_FEW, "confidence": None},
            f"No winner yet: {BOTH}; the counts are still too small for the test to hold.",
        ),
    ],
)
def test_describe(changes: dict[str, object], text: str) -> None:
    assert describe(comparison(**changes)) == text


def test_describe_names_the_rate_and_the_unit() -> None:
    assert describe(comparison(), verb="has an open rate of") == (
        "B has an open rate of 4.1% (3.7–4.5) against 3.2% (2.9–3.6) for Control: +28%, 99% confidence."
    )
    not_yet = comparison(verdict=Verdict.NOT_SIGNIFICANT, confidence=None, more_per_arm=50)
    assert describe(not_yet, unit="entries").endswith("50 more entries per variant to tell a +28% lift at 80% power.")


# -- the anomaly rule ----------------------------------------------------------------------------------


def test_mean_ad_to_mad_is_the_normal_ratio() -> None:
    # For a normal distribution MAD = 0.674490σ and the mean absolute deviation = √(2/π)σ = 0.797885σ.
    ratio = MEAN_AD_TO_MAD
    assert ratio == pytest.approx(norm.ppf(0.75) * math.sqrt(math.pi / 2), rel=1e-12)
    assert ratio == pytest.approx(0.674490 / 0.797885, abs=1e-6)


WEEK = [10, 12, 11, 13, 9, 12, 11]  # median 11; deviations 1 1 0 2 2 1 0, so MAD 1


@pytest.mark.parametrize(
    ("value", "flagged"),
    [(14, False), (14.01, True), (8, False), (7.99, True), (11, False), (40, True), (0, True)],
)
def test_three_mads_from_the_median(value: float, flagged: bool) -> None:
    found = anomaly(WEEK, value)
    assert (found is not None) == flagged
    if found is not None:
        assert (found.median, found.scale, found.days) == (11, 1, 7)
        assert found.above == (value > 11)


def test_only_the_last_seven_days_count() -> None:
    history = [1_000, 1_000, 1_000, *WEEK]  # the three oldest days fall out of the window
    assert anomaly(history, 14) is None
    assert anomaly(history, 14.01) == Anomaly(14.01, 11, 1, 7)


@pytest.mark.parametrize("days", [0, 1, 4])
def test_never_with_fewer_than_five_days(days: int) -> None:
    assert anomaly([100] * days, 1_000_000) is None


def test_five_days_are_enough() -> None:
    assert anomaly([100, 102, 98, 101, 99], 110) == Anomaly(110, 100, 1, 5)  # deviations 0 2 2 1 1: MAD 1
    assert anomaly([100, 102, 98, 101, 99, 100], 103) is None  # six days: median 100, MAD 1


def test_a_mad_of_zero_falls_back_on_the_mean_absolute_deviation() -> None:
    # Four days on 100, so the MAD is 0; the mean absolute deviation is (30 + 30) ÷ 7 = 8.5714, and
    # 0.845348 × 8.571429 = 7.245836 stands in for it: the bar is 3 × 7.245836 = 21.7375 from 100.
    history = [100, 100, 100, 100, 130, 70, 100]
    assert anomaly(history, 121.7) is None
    found = anomaly(history, 121.8)
    assert found is not None and found.scale == pytest.approx(7.245836, abs=1e-6)
    assert anomaly(history, 78.3) is None
    assert anomaly(history, 78.2) is not None


def test_a_flat_history_ignores_a_small_change() -> None:
    # MAD 0, mean deviation 1/7: 0.12 would flag 101; the 1% floor (1.0) sets the bar at 3 from 100.
    history = [100, 100, 100, 101, 100, 100, 100]
    assert anomaly(history, 101) is None
    assert anomaly(history, 103) is None
    assert anomaly(history, 103.01) == Anomaly(103.01, 100, 1.0, 7)


def test_a_jump_from_a_perfectly_flat_history_is_flagged() -> None:
    assert anomaly([100] * 7, 103) is None
    assert anomaly([100] * 7, 96.99) == Anomaly(96.99, 100, 1.0, 7)
    assert anomaly([-100] * 5, -102) is None  # the floor is 1% of the median's size, whatever its sign
    assert anomaly([-100] * 5, -104) is not None


def test_a_history_of_zeros_flags_any_change() -> None:
    assert anomaly([0] * 7, 0) is None
    assert anomaly([0] * 7, 0.0001) == Anomaly(0.0001, 0, 0.0, 7)
    assert anomaly([0.0] * 6, -0.5) is not None


@given(st.lists(st.floats(-1e6, 1e6), max_size=ANOMALY_MIN_DAYS - 1), st.floats(allow_nan=False))
def test_the_anomaly_rule_never_fires_with_fewer_than_five_days(history: list[float], value: float) -> None:
    assert anomaly(history, value) is None


@given(st.lists(st.floats(0, 1e6), min_size=5, max_size=20), st.floats(0, 1e6))
def test_the_anomaly_rule_matches_scipys_mad(history: list[float], value: float) -> None:
    window = history[-7:]
    centre = statistics.median(window)
    mad = median_abs_deviation(window, scale=1.0)
    assume(mad > 0 and abs(abs(value - centre) - 3 * mad) > 1e-6 * max(1.0, mad))
    found = anomaly(history, value)
    assert (found is not None) == (abs(value - centre) > 3 * mad)


def test_describe_anomaly() -> None:
    assert describe_anomaly("Bounce rate", Anomaly(0.042, 0.011, 0.001, 7)) == (
        "Bounce rate is unusually high: 4.2% against a median of 1.1% over the last 7 days."
    )
    assert describe_anomaly("Sent", Anomaly(1_200, 10_400, 300, 5), lambda v: f"{v:,.0f}") == (
        "Sent is unusually low: 1,200 against a median of 10,400 over the last 5 days."
    )
