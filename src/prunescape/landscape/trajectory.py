"""The plane of a training trajectory (Li et al. 2018, §7) and the path drawn on it.

The displacements θ_i − θ_final of the epoch checkpoints are centred and their
two principal components span the plane; each checkpoint's coordinates are its
displacement projected onto them, so the final weights sit at (0, 0). Random
planes are nearly orthogonal to the path; this one holds most of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

Tensors = Mapping[str, torch.Tensor]


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
