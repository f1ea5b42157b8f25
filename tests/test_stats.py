"""Paired intervals and verdicts, checked against values computed by hand."""

import math

import pytest

from prunescape.stats import (
    AGREES,
    DISAGREES,
    INCONCLUSIVE,
    directional_verdict,
    mean_interval,
    paired_difference,
)


def test_paired_interval_by_hand():
    # Differences 1.0, 1.2, 0.8, 1.0: mean 1, sd sqrt(0.08 / 3), t(0.975, 3) = 3.182446.
    diff = paired_difference([2.0, 2.2, 1.8, 3.0], [1.0, 1.0, 1.0, 2.0])
    half = 3.182446 * math.sqrt(0.08 / 3) / 2
    assert diff.n == 4 and diff.mean_a == pytest.approx(2.25) and diff.mean_b == 1.25
    assert diff.mean_diff == pytest.approx(1.0)
    assert (diff.low, diff.high) == pytest.approx((1 - half, 1 + half), rel=1e-6)
    assert diff.excludes_zero


def test_pairing_removes_the_shared_seed_spread():
    """Seeds move both arms together: unpaired the arms overlap, paired they separate."""
    a, b = [10.1, 20.1, 30.1], [10.0, 20.0, 30.0]
    diff = paired_difference(a, b)
    assert diff.low == pytest.approx(0.1) and diff.high == pytest.approx(0.1)
    assert directional_verdict(diff, +1, min_effect=0.05) == AGREES


def test_interval_over_zero_is_inconclusive():
    # Differences 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.302653 → [−0.484, 4.484].
    diff = paired_difference([1.0, 2.0, 3.0], [0.0, 0.0, 0.0])
    assert (diff.low, diff.high) == pytest.approx((2 - 2.484138, 2 + 2.484138), rel=1e-5)
    assert not diff.excludes_zero
    assert directional_verdict(diff, +1, min_effect=0.0) == INCONCLUSIVE


@pytest.mark.parametrize(
    ("expected_sign", "min_effect", "verdict"),
    [(+1, 0.5, AGREES), (-1, 0.5, DISAGREES), (+1, 1.5, INCONCLUSIVE)],
)
def test_verdict_needs_the_interval_and_the_minimum_effect(expected_sign, min_effect, verdict):
    diff = paired_difference([2.0, 2.2, 1.8, 3.0], [1.0, 1.0, 1.0, 2.0])
    assert directional_verdict(diff, expected_sign, min_effect) == verdict


def test_one_seed_gives_no_interval_and_no_verdict():
    diff = paired_difference([0.9], [0.1])
    assert math.isnan(diff.low) and math.isnan(diff.high)
    assert directional_verdict(diff, +1, min_effect=0.0) == INCONCLUSIVE
    assert "no interval" in diff.text()


def test_bad_samples_are_refused():
    with pytest.raises(ValueError, match="equal"):
        paired_difference([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="non-finite"):
        paired_difference([1.0, float("nan")], [1.0, 2.0])


def test_mean_interval_by_hand():
    mean, low, high = mean_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and (low, high) == pytest.approx((2 - 2.484138, 2 + 2.484138), rel=1e-5)
