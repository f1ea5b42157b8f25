"""How fast a training loss decays: a power law with a free floor against an exponential.

The study compares E1's decay with O(1/T) and O(1/T²). We fit
``loss(t) = L∞ + c·t^(−p)`` with the floor L∞ free (fixing it at the lowest
observed loss biases p), and, as the alternative, ``L∞ + c·exp(−λt)``. Both have
three parameters, fitted by bounded least squares from fixed starting values
(deterministic), and are compared by AIC = n·ln(RSS/n) + 2k: the lower wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import curve_fit

POWER, EXPONENTIAL = "power", "exponential"


def power_law(t: np.ndarray, floor: float, scale: float, p: float) -> np.ndarray:
    return floor + scale * t ** (-p)


def exponential(t: np.ndarray, floor: float, scale: float, rate: float) -> np.ndarray:
    return floor + scale * np.exp(-rate * t)


@dataclass(frozen=True)
class RateFit:
    """Both fitted curves of one loss curve; ``p_se`` is the standard error of p."""

    floor: float
    scale: float
    p: float
    p_se: float
    power_aic: float
    exp_floor: float
    exp_scale: float
    exp_rate: float
    exp_aic: float

    @property
    def winner(self) -> str:
        return POWER if self.power_aic <= self.exp_aic else EXPONENTIAL


def _aic(residuals: np.ndarray, params: int) -> float:
    n = residuals.size
    return float(n * math.log(max(float(residuals @ residuals), 1e-300) / n) + 2 * params)


def fit_rate(step: np.ndarray, loss: np.ndarray) -> RateFit:
    """Fit both models to ``loss`` at optimiser steps ``step`` (counted from 1)."""
    t = np.asarray(step, dtype=float)
    y = np.asarray(loss, dtype=float)
    if t.size < 4 or t.min() < 1:
        raise ValueError(f"a rate fit needs at least 4 points at steps >= 1, got {t.size}")
    tail = float(np.mean(y[-max(1, y.size // 10) :]))
    start = max(float(y[0]) - tail / 2, 1e-6)
    power, cov = curve_fit(
        power_law,
        t,
        y,
        p0=(tail / 2, start, 1.0),
        bounds=((0.0, 0.0, 0.0), (np.inf, np.inf, 10.0)),
        method="trf",
        maxfev=20_000,
    )
    exp, _ = curve_fit(
        exponential,
        t,
        y,
        p0=(tail / 2, start, 3.0 / t.max()),
        bounds=((0.0, 0.0, 0.0), (np.inf, np.inf, np.inf)),
        method="trf",
        maxfev=20_000,
    )
    p_var = cov[2, 2]
    return RateFit(
        *map(float, power[:3]),
        p_se=math.sqrt(p_var) if np.isfinite(p_var) and p_var >= 0 else math.nan,
        power_aic=_aic(y - power_law(t, *power), 3),
        exp_floor=float(exp[0]),
        exp_scale=float(exp[1]),
        exp_rate=float(exp[2]),
        exp_aic=_aic(y - exponential(t, *exp), 3),
    )
