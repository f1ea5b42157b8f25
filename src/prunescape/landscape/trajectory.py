"""The plane of a training trajectory (Li et al. 2018, §7) and the path drawn on it.

The displacements θ_i − θ_final of the epoch checkpoints are centred and their
two principal components span the plane; each checkpoint's coordinates are its
displacement projected onto them, so the final weights sit at (0, 0). Random
planes are nearly orthogonal to the path; this one holds most of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from prunescape.landscape.evaluation import BatchSums
from prunescape.landscape.grid import evaluate_grid, grid_coordinates

Tensors = Mapping[str, torch.Tensor]

PATH_COLUMNS = ("epoch", "x", "y", "explained_x", "explained_y")


@dataclass(frozen=True)
class TrajectoryPlane:
    """Unit directions (dx, dy), their explained-variance ratios, and the path's coordinates.

    ``coords`` has one (x, y) row per checkpoint, in the order given.
    """

    directions: tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]
    explained: tuple[float, float]
    coords: np.ndarray


def _displacements(
    checkpoints: Sequence[Tensors], final: Tensors, name: str, masks: Tensors | None
) -> torch.Tensor:
    """Rows θ_i − θ_final of one tensor, float64, zero on pruned entries."""
    end = final[name].detach().to(torch.float64).reshape(-1)
    rows = []
    for i, weights in enumerate(checkpoints):
        if name not in weights or weights[name].shape != final[name].shape:
            raise ValueError(f"checkpoint {i} has no tensor {name!r} shaped like the final one")
        rows.append(weights[name].detach().to(device=end.device, dtype=torch.float64).reshape(-1))
    rows = torch.stack(rows) - end
    if masks is not None and name in masks:
        rows = rows * masks[name].to(device=end.device, dtype=torch.float64).reshape(-1)
    return rows


def trajectory_plane(
    checkpoints: Sequence[Tensors], final: Tensors, *, masks: Tensors | None = None
) -> TrajectoryPlane:
    """PCA of the checkpoints' displacements from ``final``, over kept coordinates only.

    Exact and deterministic: the principal components come from the n × n Gram
    matrix of the n displacements (n = number of checkpoints), accumulated one
    tensor at a time, so memory stays at n copies of the largest tensor. Signs are
    fixed so the first checkpoint has non-negative coordinates. Directions have
    unit norm over all tensors together, are zero on pruned entries, and come in
    the dtype of ``final`` (at least float32), ready for ``evaluate_grid`` with
    ``final`` as the centre; grid units are then parameter distance.
    """
    n = len(checkpoints)
    if n < 3:
        raise ValueError(f"a trajectory plane needs at least 3 checkpoints, got {n}")
    gram = torch.zeros(n, n, dtype=torch.float64)
    for name in final:
        rows = _displacements(checkpoints, final, name, masks)
        gram += (rows @ rows.T).cpu()
    centring = torch.eye(n, dtype=torch.float64) - 1.0 / n
    values, vectors = torch.linalg.eigh(centring @ gram @ centring)
    values, vectors = values.flip(0).clamp_min(0.0), vectors.flip(1)
    if values[1] <= 1e-10 * values[0]:  # rounding noise only
        raise ValueError("the checkpoints do not span two dimensions")
    weights = centring @ vectors[:, :2] / values[:2].sqrt()  # component = rowsᵀ · weights
    directions: tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]] = ({}, {})
    coords = torch.zeros(n, 2, dtype=torch.float64)
    for name, end in final.items():
        rows = _displacements(checkpoints, final, name, masks)
        parts = rows.T @ weights.to(rows.device)
        coords += (rows @ parts).cpu()
        dtype = torch.promote_types(end.dtype, torch.float32)
        for axis in range(2):
            directions[axis][name] = parts[:, axis].reshape(end.shape).to(dtype)
    signs = torch.where(coords[0] < 0, -1.0, 1.0).to(torch.float64)
    coords *= signs
    for axis in range(2):
        if signs[axis] < 0:
            directions[axis].update({k: -v for k, v in directions[axis].items()})
    ratios = values[:2] / values.sum()
    return TrajectoryPlane(directions, (float(ratios[0]), float(ratios[1])), coords.numpy())


def path_range(coords: np.ndarray, margin: float = 0.2) -> tuple[tuple[float, float], ...]:
    """Symmetric ranges ((−rx, rx), (−ry, ry)) covering the path with ``margin`` to spare.

    Symmetric, so with odd point counts the grid evaluates the final weights at
    (0, 0) exactly (see ``grid_axis``).
    """
    reach = np.abs(np.asarray(coords, dtype=float)).max(axis=0) * (1 + margin)
    reach = np.where(reach > 0, reach, 1.0)
    return tuple((-float(r), float(r)) for r in reach)


def trajectory_landscape(
    model: nn.Module,
    checkpoints: Mapping[int, Tensors],
    final: Tensors,
    batches: Iterable[Any],
    batch_sums: BatchSums,
    *,
    resolution: tuple[int, int] = (11, 11),
    masks: Tensors | None = None,
    margin: float = 0.2,
    points_per_pass: int = 1,
    progress: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The loss surface on a run's trajectory plane and the path drawn on it.

    ``checkpoints`` maps epoch → weights (w0 as epoch 0; the final epoch may be
    among them). Returns the grid (``evaluate_grid``'s columns, centred on
    ``final``, covering the path with ``margin`` to spare, in units of parameter
    distance) and the path: one row per checkpoint with its epoch, (x, y) and the
    two components' explained-variance ratios.
    """
    found, path = _plane_and_path(checkpoints, final, masks)
    (xlo, xhi), (ylo, yhi) = path_range(found.coords, margin)
    xs, ys = grid_coordinates(xlo, xhi, resolution[0], ylo, yhi, resolution[1])
    grid = evaluate_grid(
        model,
        final,
        found.directions,
        xs,
        ys,
        batches,
        batch_sums,
        progress=progress,
        points_per_pass=points_per_pass,
    )
    return grid, path


def trajectory_path(
    checkpoints: Mapping[int, Tensors], final: Tensors, *, masks: Tensors | None = None
) -> pd.DataFrame:
    """:func:`trajectory_landscape`'s path table alone: no model evaluation."""
    return _plane_and_path(checkpoints, final, masks)[1]


def _plane_and_path(
    checkpoints: Mapping[int, Tensors], final: Tensors, masks: Tensors | None
) -> tuple[TrajectoryPlane, pd.DataFrame]:
    epochs = sorted(checkpoints)
    found = trajectory_plane([checkpoints[e] for e in epochs], final, masks=masks)
    path = pd.DataFrame(
        {
            "epoch": epochs,
            "x": found.coords[:, 0],
            "y": found.coords[:, 1],
            "explained_x": found.explained[0],
            "explained_y": found.explained[1],
        },
        columns=list(PATH_COLUMNS),
    )
    return found, path
