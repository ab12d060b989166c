"""Variant statistics and the digest's anomaly rule, as pure functions of counts.

- :func:`wilson_interval`: a confidence interval for one rate (Wilson 1927).
- :func:`z_test`: two rates compared with the pooled two-proportion z-test, two-sided.
- :func:`holm`: Holm's (1979) step-down adjustment when several variations face one control.
- :func:`compare`: every variation against the control (:func:`choose_control`), with a verdict that
  names a winner only when the difference survives Holm's correction; otherwise
  :func:`sample_size_per_arm` says roughly how many more recipients would settle it.
- :func:`describe`: the comparison as one sentence; ``format_*`` are the only number formats it uses,
  for the message layer to share.
- :func:`anomaly`: the digest's rule, a value more than 3 median absolute deviations from the median of
  the trailing 7 days; :func:`describe_anomaly` words it.

Standard library only; scipy and statsmodels serve as references in the tests, never at run time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist, fmean, median

#: A variation with this name (trimmed, any case) is the control.
CONTROL_NAME = "control"
#: Each arm must expect this many successes and this many failures at the two arms' pooled rate
#: before a difference is called: Cochran's (1954) rule for the 2×2 table, below which the z-test's
#: normal approximation is not trusted.
MIN_EXPECTED = 5
#: The digest's anomaly rule: this many median absolute deviations from the median ...
ANOMALY_THRESHOLD = 3.0
#: ... of the trailing days, at most this many of them ...
ANOMALY_WINDOW = 7
#: ... and never on fewer than this many.
ANOMALY_MIN_DAYS = 5
#: When the MAD is 0, the mean absolute deviation times this stands in for it: the ratio of the two
#: for a normal distribution, Φ⁻¹(0.75)·√(π/2) ≈ 0.845 (Iglewicz & Hoaglin 1993's fallback for MAD = 0).
MEAN_AD_TO_MAD = NormalDist().inv_cdf(0.75) * math.sqrt(math.pi / 2)
#: ... but never less than this share of the median, so a flat history is flagged only by a move of
#: more than ANOMALY_THRESHOLD × 1% = 3% of its level (or, from a history of zeros, by any change).
FLAT_TOLERANCE = 0.01

_STANDARD_NORMAL = NormalDist()


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class ZTest:
    """``z`` > 0 when the first rate is the higher one; ``p_value`` is two-sided."""

    z: float
    p_value: float


@dataclass(frozen=True, slots=True)
class Arm:
    """One variation's counts on one rate: conversions and unique recipients (Canvas: entries), say.

    ``control_group`` marks Braze's control group (people held back from the message).
    """

    name: str
    successes: int
    trials: int
    control_group: bool = False

    def __post_init__(self) -> None:
        if self.successes < 0 or self.trials < 0:
            raise ValueError(f"{self.name}: counts cannot be negative ({self.successes} of {self.trials})")


@dataclass(frozen=True, slots=True)
class ArmRate:
    """An arm with its rate and interval; both None when the counts are not a rate (no trials, or more
    successes than trials, which Braze's per-day figures can produce over a short window)."""

    arm: Arm
    rate: float | None
    interval: Interval | None


class Verdict(StrEnum):
    HIGHER = "higher"  # significantly higher than the control: for conversion, open and click rates, a winner
    LOWER = "lower"  # significantly lower than the control
    NOT_SIGNIFICANT = "not significant"  # no winner yet
    TOO_FEW = "too few"  # significant, but too few counts for the z-test to hold (Cochran's rule)
    NO_DATA = "no data"  # this arm or the control has counts that are not a rate


@dataclass(frozen=True, slots=True)
class Comparison:
    """One variation against the control.

    ``lift`` is relative, (variant − control) ÷ control; None when the control's rate is 0.
    ``adjusted_p`` is Holm's, over the comparisons of one :func:`compare`. ``confidence`` is
    1 − ``adjusted_p``, set only with a HIGHER or LOWER verdict. ``more_per_arm`` is set only with
    NOT_SIGNIFICANT: the recipients each arm still needs (None when the rates are equal, so no size
    would tell them apart; never below 0).
    """

    variant: ArmRate
    control: ArmRate
    lift: float | None
    z: float | None
    p_value: float | None
    adjusted_p: float | None
    verdict: Verdict
    confidence: float | None
    more_per_arm: int | None
    power: float


@dataclass(frozen=True, slots=True)
class VariantComparison:
    """All arms in the caller's order (for the chart's error bars), which one is the control, and
    one :class:`Comparison` per other arm, in the same order."""

    arms: tuple[ArmRate, ...]
    control_index: int
    comparisons: tuple[Comparison, ...]


@dataclass(frozen=True, slots=True)
class Anomaly:
    """``scale`` is the MAD of the window, or its stand-in when the MAD is 0 (0 only for a history
    that is exactly flat at 0)."""

    value: float
    median: float
    scale: float
    days: int

    @property
    def above(self) -> bool:
        return self.value > self.median


# -- the statistics ----------------------------------------------------------------------------------


def two_sided_z(confidence: float) -> float:
    """The normal quantile for a two-sided interval: 1.96 for 0.95."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return _STANDARD_NORMAL.inv_cdf(1 - (1 - confidence) / 2)


def _check_counts(successes: int, trials: int) -> None:
    if not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes of {trials} trials is not a proportion")


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> Interval:
    """Wilson's score interval for ``successes`` ÷ ``trials``.

    The bounds are (x + z²/2 ± z·√(x(n − x)/n + z²/4)) ÷ (n + z²). With x = 0 the low bound is
    exactly 0, with x = n the high bound exactly 1, and with no trials at all the interval is (0, 1):
    nothing is known about the rate. Raises ValueError when the counts are not a proportion.
    """
    _check_counts(successes, trials)
    z = two_sided_z(confidence)
    if trials == 0:
        return Interval(0.0, 1.0)
    z2 = z * z
    centre = (successes + z2 / 2) / (trials + z2)
    half = z * math.sqrt(successes * (trials - successes) / trials + z2 / 4) / (trials + z2)
    # With x = 0 this is exactly 0: √(z·z) = z in IEEE arithmetic, so half and centre are the same quotient.
    low = centre - half
    high = 1.0 if successes == trials else centre + half
    return Interval(low, high)


def z_test(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> ZTest:
    """The two-proportion z-test of rate a against rate b with the pooled standard error.

    z = (a − b) ÷ √(p(1 − p)(1/nₐ + 1/n_b)), p the pooled rate; the p-value is two-sided. With no
    variance to measure (an arm without trials, or a pooled rate of exactly 0 or 1, where the two
    rates are necessarily equal) there is no evidence of a difference: z = 0, p = 1.
    """
    _check_counts(successes_a, trials_a)
    _check_counts(successes_b, trials_b)
    if trials_a == 0 or trials_b == 0:
        return ZTest(0.0, 1.0)
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    variance = pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b)
    if variance == 0:
        return ZTest(0.0, 1.0)
    z = (successes_a / trials_a - successes_b / trials_b) / math.sqrt(variance)
    return ZTest(z, math.erfc(abs(z) / math.sqrt(2)))


def holm(p_values: Sequence[float]) -> tuple[float, ...]:
    """Holm's step-down adjusted p-values, in the order given.

    The i-th smallest of m p-values becomes max over j ≤ i of min(1, (m − j + 1)·p₍ⱼ₎): never below
    its raw value, never above 1, and in the same order as the raw ones (ties stay tied).
    """
    if not all(0 <= p <= 1 for p in p_values):
        raise ValueError(f"p-values must lie in [0, 1]: {list(p_values)}")
    m = len(p_values)
    adjusted: dict[int, float] = {}
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=p_values.__getitem__)):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return tuple(adjusted[i] for i in range(m))


def sample_size_per_arm(p_control: float, p_variant: float, *, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Recipients per arm (two equal arms) for a two-sided test at ``alpha`` to detect the difference
    between the two rates with probability ``power``; None when the rates are equal.

    The normal approximation without continuity correction (Fleiss, Levin & Paik 2003, §4.2):
    n = (z₁₋α/₂·√(2p̄(1 − p̄)) + z_power·√(p₁(1 − p₁) + p₂(1 − p₂)))² ÷ (p₁ − p₂)², p̄ = (p₁ + p₂)/2,
    rounded up.
    """
    if not (0 <= p_control <= 1 and 0 <= p_variant <= 1):
        raise ValueError(f"rates must lie in [0, 1]: {p_control}, {p_variant}")
    _check_levels(alpha, power)
    if p_control == p_variant:
        return None
    mean = (p_control + p_variant) / 2
    null_sd = math.sqrt(2 * mean * (1 - mean))
    alternative_sd = math.sqrt(p_control * (1 - p_control) + p_variant * (1 - p_variant))
    root = two_sided_z(1 - alpha) * null_sd + _STANDARD_NORMAL.inv_cdf(power) * alternative_sd
    return math.ceil(root * root / (p_control - p_variant) ** 2)


def _check_levels(alpha: float, power: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha}")
    if not 0.5 <= power < 1:
        raise ValueError(f"power must be at least 0.5 and below 1, not {power}")


def choose_control(arms: Sequence[Arm]) -> int:
    """Index of the control: the first arm called "Control" (trimmed, any case), else the first arm
    marked as Braze's control group, else the first arm."""
    if not arms:
        raise ValueError("no arms to choose a control from")
    for i, arm in enumerate(arms):
        if arm.name.strip().casefold() == CONTROL_NAME:
            return i
    for i, arm in enumerate(arms):
        if arm.control_group:
            return i
    return 0


def arm_rate(arm: Arm, confidence: float = 0.95) -> ArmRate:
    if arm.trials == 0 or arm.successes > arm.trials:
        return ArmRate(arm, None, None)
    return ArmRate(arm, arm.successes / arm.trials, wilson_interval(arm.successes, arm.trials, confidence))


def compare(arms: Sequence[Arm], *, alpha: float = 0.05, power: float = 0.8) -> VariantComparison:
    """Every arm but the control against the control (:func:`choose_control`) on one rate.

    Intervals are Wilson's at 1 − ``alpha``. Each arm is tested with :func:`z_test`, and the p-values
    of the arms that have a rate are adjusted together with :func:`holm`.

    - Adjusted p-value at or above ``alpha``: NOT_SIGNIFICANT, with the recipients each arm still
      needs: :func:`sample_size_per_arm` for the observed rates at ``alpha`` divided by the number of
      comparisons (the level of Holm's first step, so a difference of that size would pass at any
      step), and at least enough for :data:`MIN_EXPECTED` at their mean rate, less the smaller arm.
    - Below ``alpha`` but an arm expects fewer than :data:`MIN_EXPECTED` successes or failures at
      the pooled rate: TOO_FEW.
    - Otherwise HIGHER or LOWER, with ``confidence`` = 1 − adjusted p-value.
    """
    if len(arms) < 2:
        raise ValueError("a comparison needs two or more arms")
    _check_levels(alpha, power)
    control_index = choose_control(arms)
    rates = tuple(arm_rate(arm, 1 - alpha) for arm in arms)
    control = rates[control_index]
    others = [rate for i, rate in enumerate(rates) if i != control_index]
    tests = {
        i: z_test(rate.arm.successes, rate.arm.trials, control.arm.successes, control.arm.trials)
        for i, rate in enumerate(others)
        if rate.rate is not None and control.rate is not None
    }
    adjusted = holm([test.p_value for test in tests.values()])
    adjusted_of = {i: adjusted[k] for k, i in enumerate(tests)}
    comparisons = tuple(
        _judge(rate, control, tests[i], adjusted_of[i], alpha=alpha, tests=len(tests), power=power)
        if i in tests
        else Comparison(rate, control, None, None, None, None, Verdict.NO_DATA, None, None, power)
        for i, rate in enumerate(others)
    )
    return VariantComparison(rates, control_index, comparisons)


def _judge(
    variant: ArmRate, control: ArmRate, test: ZTest, adjusted: float, *, alpha: float, tests: int, power: float
) -> Comparison:
    v, c = variant.arm, control.arm
    # compare() judges only arms whose rate and the control's are both set: no input fails this assert.
    assert variant.rate is not None and control.rate is not None  # pragma: no mutate
    lift = (variant.rate - control.rate) / control.rate if control.rate else None
    successes, trials = v.successes + c.successes, v.trials + c.trials
    fewest = min(v.trials, c.trials)
    if adjusted >= alpha:
        more = _more_per_arm(control.rate, variant.rate, fewest, alpha=alpha / tests, power=power)
        verdict = Verdict.NOT_SIGNIFICANT
        return Comparison(variant, control, lift, test.z, test.p_value, adjusted, verdict, None, more, power)
    # The smallest expected count of the 2×2 table is the smaller arm's at the pooled rate (whole numbers).
    if fewest * min(successes, trials - successes) < MIN_EXPECTED * trials:
        return Comparison(variant, control, lift, test.z, test.p_value, adjusted, Verdict.TOO_FEW, None, None, power)
    # z = 0 means p = 1, never significant: ">" and ">=" cannot differ here.
    higher = test.z > 0  # pragma: no mutate
    verdict = Verdict.HIGHER if higher else Verdict.LOWER
    return Comparison(variant, control, lift, test.z, test.p_value, adjusted, verdict, 1 - adjusted, None, power)


def _more_per_arm(p_control: float, p_variant: float, fewest: int, *, alpha: float, power: float) -> int | None:
    needed = sample_size_per_arm(p_control, p_variant, alpha=alpha, power=power)
    if needed is None:
        return None
    mean = (p_control + p_variant) / 2  # neither 0 nor 1: the rates differ
    enough = math.ceil(MIN_EXPECTED / min(mean, 1 - mean))  # for MIN_EXPECTED at the mean rate
    # Never below 0: a difference that is not significant has |z| ≤ z₁₋α/₂ at this alpha, so
    # fewest ≤ z²·p(1 − p)(1 + fewest/other) ÷ (p₁ − p₂)², p the pooled rate; and 2p̄(1 − p̄) is never
    # below p(1 − p)(1 + fewest/other) (p(1 − p) is concave), so the formula asks at least that many.
    return max(needed, enough) - fewest


# -- words and numbers ---------------------------------------------------------------------------------
# The one place that formats these numbers: rates and intervals, lifts, confidence, sample sizes.


def format_rate(rate: float, interval: Interval | None = None) -> str:
    """"4.1%", or "4.1% (3.8–4.4)" with an interval; two decimals for rates that round below 1%
    ("0.42%"), the interval's as many as its rate's."""
    decimals = 2 if rate < 0.00995 else 1
    text = f"{rate * 100:.{decimals}f}%"
    if interval is None:
        return text
    return f"{text} ({interval.low * 100:.{decimals}f}–{interval.high * 100:.{decimals}f})"


def format_lift(lift: float) -> str:
    """"+28%", "-34%"; one decimal for lifts that round below 10% ("+4.2%"); "0%" for none."""
    if lift == 0:
        return "0%"
    return f"{lift:+.1%}" if abs(lift) < 0.0995 else f"{lift:+.0%}"


def format_confidence(confidence: float) -> str:
    """Whole percent, rounded down and at most 99 so that it never overstates: 0.9987 → "99%".
    (The 1e-9 keeps 0.57, stored as 0.5699999…, at "57%".)"""
    return f"{min(math.floor(confidence * 100 + 1e-9), 99)}%"


def format_about(count: int) -> str:
    """A rough count to two significant figures: 435 → "440", 12,345 → "12,000"."""
    return f"{round(count, 2 - len(str(count))):,}"  # round(87, 0) and round(7, 1) leave them as they are


def describe(comparison: Comparison, *, verb: str = "converts", unit: str = "recipients") -> str:
    """The comparison in one sentence, e.g. "Variant B converts 4.1% (3.8–4.4) against 3.2% (3.0–3.5)
    for Control: +28%, 99% confidence." ``verb`` names the rate ("converts", "has an open rate of"),
    ``unit`` the trials ("recipients", "entries"). Names are not escaped for Slack here.
    """
    variant, control = comparison.variant, comparison.control
    v, c = variant.arm, control.arm
    if variant.rate is None or control.rate is None:
        return (
            f"{v.name} can't be compared with {c.name} yet: {v.successes:,} of {v.trials:,} {unit} "
            f"against {c.successes:,} of {c.trials:,}."
        )
    both = (
        f"{v.name} {verb} {format_rate(variant.rate, variant.interval)} against "
        f"{format_rate(control.rate, control.interval)} for {c.name}"
    )
    lift = None if comparison.lift is None else format_lift(comparison.lift)
    if comparison.confidence is not None:
        shown = "" if lift is None else f"{lift}, "
        return f"{both}: {shown}{format_confidence(comparison.confidence)} confidence."
    if comparison.verdict is Verdict.TOO_FEW:
        return f"No winner yet: {both}; the counts are still too small for the test to hold."
    if comparison.more_per_arm is None:
        return f"No winner yet: {both}; with no difference so far, the sample size needed is not estimable."
    if comparison.more_per_arm == 0:
        return f"No winner yet: {both}; the difference is still within the noise."
    target = "this difference" if lift is None else f"a {lift} lift"
    return (
        f"No winner yet: {both}; this would need about {format_about(comparison.more_per_arm)} more {unit} "
        f"per variant to tell {target} at {comparison.power:.0%} power."
    )


# -- anomalies -----------------------------------------------------------------------------------------


def anomaly(history: Sequence[float], value: float) -> Anomaly | None:
    """The digest's rule: ``value`` is an anomaly when it lies more than :data:`ANOMALY_THRESHOLD`
    median absolute deviations (MAD, unscaled) from the median of the last :data:`ANOMALY_WINDOW`
    values of ``history`` (oldest first, days without data left out by the caller). Never with fewer
    than :data:`ANOMALY_MIN_DAYS` days.

    When the MAD is 0 (at least half of the days sit exactly on the median), it is replaced by
    :data:`MEAN_AD_TO_MAD` × the mean absolute deviation from the median, but never less than
    :data:`FLAT_TOLERANCE` × |median|. So a history flat at 100 flags only a value beyond 97–103,
    and a history of zeros flags any value but 0.
    """
    window = history[-ANOMALY_WINDOW:]
    if len(window) < ANOMALY_MIN_DAYS:
        return None
    centre = median(window)
    deviations = [abs(x - centre) for x in window]
    scale = median(deviations)
    if scale == 0:
        scale = max(MEAN_AD_TO_MAD * fmean(deviations), FLAT_TOLERANCE * abs(centre))
    if abs(value - centre) <= ANOMALY_THRESHOLD * scale:
        return None
    return Anomaly(value, centre, scale, len(window))


def describe_anomaly(label: str, found: Anomaly, fmt: Callable[[float], str] = format_rate) -> str:
    """E.g. "Bounce rate is unusually high: 4.2% against a median of 1.1% over the last 7 days."
    ``fmt`` formats the metric's values (:func:`format_rate` for rates; a count format for counts)."""
    direction = "high" if found.above else "low"
    return (
        f"{label} is unusually {direction}: {fmt(found.value)} against a median of {fmt(found.median)} "
        f"over the last {found.days} days."
    )
