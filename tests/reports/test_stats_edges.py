"""Wilson's low bound with no successes is exactly 0 for every count and confidence, with no special
case in the code: √(z·z) = z in IEEE arithmetic, so centre and half are the same quotient."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reports.stats import wilson_interval


@given(st.integers(1, 10**12), st.floats(0.01, 0.9999))
def test_no_successes_has_a_low_bound_of_exactly_zero(trials: int, confidence: float) -> None:
    interval = wilson_interval(0, trials, confidence)
    assert interval.low == 0.0
    assert 0.0 < interval.high < 1.0
