"""Experiment 2: starting points w0 + αx + βy around the recorded init, and their surfaces.

x = w* − w0 points from the init to the trained baseline, y is a seeded random
direction normalised to w0 by the landscape engine (one implementation of the
direction maths). Every point keeps the pruning mask of w*.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from prunescape.landscape import plane
from prunescape.pruning import apply_masks

Tensors = dict[str, torch.Tensor]


def axes(
    w0: Tensors, w_star: Tensors, *, seed: int, norm: str, masks: Tensors
) -> tuple[Tensors, Tensors]:
    """(x, y): x = w* − w0, y random and filter-normalised to w0, both zero where pruned."""
    return plane("target-random", w0, seed=seed, target=w_star, norm=norm, masks=masks)


def starting_point(
    w0: Tensors, x: Tensors, y: Tensors, alpha: float, beta: float, masks: Tensors
) -> Tensors:
    """mask ⊙ (w0 + αx + βy), computed in float64 and cast back to each tensor's dtype."""
    point = {}
    for name, base in w0.items():
        value = base.double()
        if name in x:
            value = value + alpha * x[name].double() + beta * y[name].double()
        point[name] = value.to(base.dtype)
    return apply_masks(point, masks)


def surfaces(metrics: dict[tuple[float, float], pd.DataFrame], epochs: int) -> pd.DataFrame:
    """Tidy per-epoch validation metrics over the whole (α, β) grid, epochs 0..``epochs``.

    A point whose run diverged stopped early: its later epochs are NaN, so every
    epoch's surface still covers the grid (figures draw NaN cells as gaps).
    """
    frames = []
    every_epoch = pd.Index(range(epochs + 1), name="epoch")
    for (alpha, beta), frame in metrics.items():
        values = frame.set_index("epoch").reindex(every_epoch)
        frames.append(
            pd.DataFrame(
                {
                    "epoch": every_epoch,
                    "alpha": alpha,
                    "beta": beta,
                    "loss": values["val_loss"].to_numpy(),
                    "ppl": values["val_ppl"].to_numpy(),
                    "acc": values["val_acc"].to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True).sort_values(
        ["epoch", "beta", "alpha"], ignore_index=True
    )


def _slope(group: pd.DataFrame, column: str) -> float:
    """Least-squares change of ``column`` per epoch over its finite values (NaN for
    fewer than two)."""
    finite = group[np.isfinite(group[column].to_numpy(dtype=float))]
    if len(finite) < 2:
        return float("nan")
    return float(np.polyfit(finite["epoch"].to_numpy(dtype=float), finite[column].to_numpy(), 1)[0])


def summary(surface: pd.DataFrame) -> pd.DataFrame:
    """Final metrics per point, whether it beats the centre, and the metrics' rate of change.

    The rate is the least-squares slope of the metric against epoch over the trained
    epochs (1..E): the study compares how fast each starting point improves.
    """
    last = surface["epoch"].max()
    final = surface[surface["epoch"] == last].set_index(["alpha", "beta"])
    centre = final.loc[(0.0, 0.0)] if (0.0, 0.0) in final.index else None
    rows = []
    for (alpha, beta), group in surface[surface["epoch"] > 0].groupby(["alpha", "beta"]):
        row = final.loc[(alpha, beta)]
        rows.append(
            {
                "alpha": alpha,
                "beta": beta,
                "final_loss": row["loss"],
                "final_ppl": row["ppl"],
                "final_acc": row["acc"],
                "beats_centre": bool(centre is not None and row["loss"] < centre["loss"]),
                "loss_rate": _slope(group, "loss"),
                "acc_rate": _slope(group, "acc"),
            }
        )
    return pd.DataFrame(rows).sort_values("final_loss", ignore_index=True)
