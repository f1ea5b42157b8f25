"""Paired comparisons over seeds: the interval and the verdict every claim line prints.

Arms that share a seed (same data, same w0 family) are compared pairwise: the
Student-t interval of the per-seed differences removes the seed-to-seed spread
that both arms share. A verdict is only "agrees" or "disagrees" when that
interval excludes zero *and* the mean difference is larger than a minimum effect
stated with the claim; anything else is "inconclusive".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

AGREES, DISAGREES, INCONCLUSIVE = "agrees", "disagrees", "inconclusive"
NOT_TESTED = "not tested"


@dataclass(frozen=True)
class PairedDifference:
    """Mean of ``a − b`` over paired seeds, with its two-sided confidence interval."""

    n: int
    mean_a: float
    mean_b: float
    mean_diff: float
    low: float
    high: float
    confidence: float = 0.95

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def text(self, digits: int = 3, unit: str = "") -> str:
        """``n=3: 0.512 vs 0.498, Δ +0.014 [−0.002, +0.030]`` (95 % CI of the difference)."""

        def fmt(value: float, sign: bool = False) -> str:
            if not math.isfinite(value):
                return "n/a"
            return f"{value:+.{digits}g}{unit}" if sign else f"{value:.{digits}g}{unit}"

        interval = (
            f"[{fmt(self.low, True)}, {fmt(self.high, True)}]"
            if math.isfinite(self.low)
            else "[no interval: n < 2]"
        )
        return (
            f"n={self.n}: {fmt(self.mean_a)} vs {fmt(self.mean_b)}, "
            f"Δ {fmt(self.mean_diff, True)} {interval}"
        )


def paired_difference(
    a: Sequence[float], b: Sequence[float], confidence: float = 0.95
) -> PairedDifference:
    """The paired Student-t interval of mean(a − b); a[i] and b[i] share seed i.

    With one pair there is no spread to estimate, so the interval is NaN (and
    every verdict on it inconclusive). Non-finite pairs (a diverged run) are
    not silently dropped: the caller decides, so they raise here.
    """
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_arr.shape != b_arr.shape or a_arr.ndim != 1:
        raise ValueError(f"paired samples need equal 1-D lengths, got {a_arr.shape}, {b_arr.shape}")
    if a_arr.size == 0:
        raise ValueError("paired samples are empty")
    if not (np.isfinite(a_arr).all() and np.isfinite(b_arr).all()):
        raise ValueError("paired samples hold non-finite values")
    diff = a_arr - b_arr
    n = diff.size
    mean = float(diff.mean())
    if n < 2:
        low = high = math.nan
    else:
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * diff.std(ddof=1) / math.sqrt(n))
        low, high = mean - half, mean + half
    return PairedDifference(
        n=n,
        mean_a=float(a_arr.mean()),
        mean_b=float(b_arr.mean()),
        mean_diff=mean,
        low=low,
        high=high,
        confidence=confidence,
    )


def directional_verdict(diff: PairedDifference, expected_sign: int, min_effect: float) -> str:
    """agrees / disagrees with a claim that ``a − b`` has ``expected_sign`` (+1 or −1).

    Only when the interval excludes zero and ``|mean difference| ≥ min_effect``;
    otherwise inconclusive.
    """
    if expected_sign not in (1, -1):
        raise ValueError(f"expected_sign must be +1 or -1, got {expected_sign}")
    if not diff.excludes_zero or abs(diff.mean_diff) < min_effect:
        return INCONCLUSIVE
    return AGREES if math.copysign(1, diff.mean_diff) == expected_sign else DISAGREES


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and its Student-t interval (NaN bounds for fewer than two values)."""
    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean()) if arr.size else math.nan
    if arr.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, arr.size - 1) * arr.std(ddof=1))
    half /= math.sqrt(arr.size)
    return mean, mean - half, mean + half
