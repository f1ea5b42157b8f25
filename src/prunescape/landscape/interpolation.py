"""Loss along the straight line between two models, and the barrier on it.

The line is (1 − t)·a + t·b = a + t·(b − a) over the parameters (buffers stay the
model's). It interpolates the raw weights: when the two models have different
masks, points inside (0, 1) have the union of both supports, so the line shows
what lies between the two networks, not a path of pruned networks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from torch import nn

from prunescape.landscape.directions import difference_direction
from prunescape.landscape.evaluation import BatchSums
from prunescape.landscape.grid import evaluate_grid

Tensors = Mapping[str, torch.Tensor]

LINE_COLUMNS = ("t", "loss", "ppl", "acc", "loss_sum", "count", "correct")


def line_points(lo: float = -0.2, hi: float = 1.2, per_unit: int = 20) -> np.ndarray:
    """Values k / ``per_unit`` from ``lo`` to ``hi``: 0 and 1 exactly, 29 points by default."""
    if per_unit < 1 or lo >= hi:
        raise ValueError(f"need lo < hi and per_unit >= 1, got {lo}:{hi}, {per_unit}")
    first, last = round(lo * per_unit), round(hi * per_unit)
    return np.arange(first, last + 1) / per_unit


def interpolate(
    model: nn.Module,
    a: Tensors,
    b: Tensors,
    batches: Iterable[Any],
    batch_sums: BatchSums,
    *,
    ts: Sequence[float] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Loss, perplexity and accuracy at a + t·(b − a) for each t (default :func:`line_points`).

    ``a`` and ``b`` are keyed by ``named_parameters()`` names. The step b − a is
    formed in float64, so t = 0 and t = 1 load the two models' weights bit for
    bit. The model runs in eval mode under no_grad and gets its weights and
    training mode back afterwards. ``batches`` must be re-iterable.
    """
    ts = line_points() if ts is None else ts
    step = difference_direction(b, a)
    flat = {name: torch.zeros_like(d) for name, d in step.items()}
    frame = evaluate_grid(model, a, (step, flat), ts, [0.0], batches, batch_sums, progress=progress)
    return frame.drop(columns="y").rename(columns={"x": "t"})[list(LINE_COLUMNS)]


class Barrier(NamedTuple):
    """Height of the loss above the chord between the endpoints, and where it peaks."""

    height: float
    t: float


def loss_barrier(frame: pd.DataFrame, column: str = "loss") -> Barrier:
    """max over t in [0, 1] of loss(t) − [(1 − t)·loss(0) + t·loss(1)].

    The endpoints are part of the maximum and lie on the chord, so the height is
    never negative: 0 means the loss nowhere rises above the chord (a convex or
    straight profile), a positive height is a barrier between the two models.
    """
    ends = frame[frame.t.isin([0.0, 1.0])].set_index("t")[column]
    if len(ends) != 2:
        raise ValueError("the barrier needs the loss at t = 0 and t = 1 exactly")
    inside = frame[(frame.t >= 0) & (frame.t <= 1)]
    chord = (1 - inside.t) * ends[0.0] + inside.t * ends[1.0]
    excess = (inside[column] - chord).to_numpy()
    peak = int(np.argmax(excess))
    return Barrier(float(excess[peak]), float(inside.t.iloc[peak]))


BARRIER_COLUMNS = (
    "loss_a",
    "loss_b",
    "loss_barrier",
    "loss_barrier_t",
    "error_a",
    "error_b",
    "error_barrier",
    "error_barrier_t",
)


def barrier_row(frame: pd.DataFrame) -> dict[str, float]:
    """A line's end losses and errors (1 − accuracy) and the barrier of each.

    The error barrier is the instability test's measure (Frankle et al. 2020): two
    networks are linearly connected when it is about zero.
    """
    errors = frame.assign(error=1.0 - frame["acc"])
    ends = errors.set_index("t").loc[[0.0, 1.0]]
    loss, error = loss_barrier(errors, "loss"), loss_barrier(errors, "error")
    return dict(
        zip(
            BARRIER_COLUMNS,
            (
                float(ends["loss"].iloc[0]),
                float(ends["loss"].iloc[1]),
                loss.height,
                loss.t,
                float(ends["error"].iloc[0]),
                float(ends["error"].iloc[1]),
                error.height,
                error.t,
            ),
            strict=True,
        )
    )
