"""The reference code's warm-up schedule (Vaswani et al.), scaled by lr_mul."""

from __future__ import annotations


def learning_rate(step: int, *, d_model: int, lr_mul: float, warmup: int) -> float:
    """lr = lr_mul · d_model^-0.5 · min(step^-0.5, step · warmup^-1.5), step ≥ 1."""
    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    return lr_mul * d_model**-0.5 * min(step**-0.5, step * warmup**-1.5)
