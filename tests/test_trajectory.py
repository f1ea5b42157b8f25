"""PCA planes of training trajectories, on synthetic paths in a known plane."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from prunescape.landscape import (
    classification_sums,
    evaluate_grid,
    grid_coordinates,
    parameter_centre,
    path_range,
    pooled_sums,
    trajectory_landscape,
    trajectory_path,
    trajectory_plane,
)

SHAPES = {"w": (6, 5), "b": (7,)}


def flat(tensors: dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.cat([tensors[n].double().reshape(-1) for n in SHAPES])


def unflat(vector: torch.Tensor) -> dict[str, torch.Tensor]:
    parts = vector.split([int(np.prod(s)) for s in SHAPES.values()])
    return {n: p.reshape(s).float() for (n, s), p in zip(SHAPES.items(), parts, strict=True)}


def synthetic_path(noise: float, kept: torch.Tensor | None = None):
    """A spiral in the plane of two orthonormal vectors (zero where not kept), plus noise."""
    g = torch.Generator().manual_seed(0)
    dim = sum(int(np.prod(s)) for s in SHAPES.values())
    basis = torch.randn(dim, 2, generator=g, dtype=torch.float64)
    if kept is not None:
        basis[~kept] = 0.0
    basis, _ = torch.linalg.qr(basis)
    final = torch.randn(dim, generator=g, dtype=torch.float64)
    angle = torch.linspace(0, 3, 8, dtype=torch.float64)
    xy = torch.stack([angle.cos(), 0.5 * angle.sin()], 1) * (3 - angle)[:, None]
    points = final + xy @ basis.T + noise * torch.randn(8, dim, generator=g, dtype=torch.float64)
    return [unflat(p) for p in points], unflat(final), basis


def projector(columns: torch.Tensor) -> torch.Tensor:
    q, _ = torch.linalg.qr(columns)
    return q @ q.T


def test_a_path_in_a_known_plane_is_recovered():
    checkpoints, final, basis = synthetic_path(noise=1e-6)
    result = trajectory_plane(checkpoints, final)
    dx, dy = (flat(d) for d in result.directions)
    assert dx.norm() == pytest.approx(1.0, abs=1e-6) and float(dx @ dy) == pytest.approx(
        0, abs=1e-6
    )
    found = torch.stack([dx, dy], 1)
    assert (projector(found) - projector(basis)).norm() < 1e-4  # subspace angle ~ 0
    assert sum(result.explained) == pytest.approx(1.0, abs=1e-8)
    assert result.explained[0] > result.explained[1] > 0.05
    assert result.coords.shape == (8, 2) and (result.coords[0] >= 0).all()
    rebuilt = flat(final) + torch.from_numpy(result.coords) @ found.T
    points = torch.stack([flat(c) for c in checkpoints])
    torch.testing.assert_close(rebuilt, points, atol=1e-5, rtol=0)


def test_pruned_coordinates_are_left_out():
    kept = torch.rand(37, generator=torch.Generator().manual_seed(1)) < 0.6
    checkpoints, final, basis = synthetic_path(noise=0.0, kept=kept)
    g = torch.Generator().manual_seed(2)
    for weights in checkpoints:  # large junk on pruned entries: must not steer the plane
        junk = unflat(torch.randn(37, generator=g, dtype=torch.float64) * 100 * ~kept)
        for name in weights:
            weights[name] += junk[name]
    masks = {n: m.bool() for n, m in unflat(kept.double()).items()}
    result = trajectory_plane(checkpoints, final, masks=masks)
    found = torch.stack([flat(d) for d in result.directions], 1)
    assert torch.all(found[~kept] == 0)
    assert (projector(found) - projector(basis)).norm() < 1e-4
    assert sum(result.explained) == pytest.approx(1.0, abs=1e-8)


def test_path_range_is_symmetric_and_covers_the_path():
    coords = np.array([[2.0, -0.5], [1.0, 0.25], [0.0, 0.0]])
    assert path_range(coords, margin=0.5) == ((-3.0, 3.0), (-0.75, 0.75))
    assert path_range(np.zeros((3, 2))) == ((-1.0, 1.0), (-1.0, 1.0))


def model_path(seed: int):
    """A small MLP, four checkpoints in a plane through its weights (the last one the
    final weights), and one batch of data."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))
    final = parameter_centre(model)
    g = torch.Generator().manual_seed(seed)
    steps = [{n: torch.randn(p.shape, generator=g) for n, p in final.items()} for _ in range(2)]
    checkpoints = [
        {n: final[n] + a * steps[0][n] + b * steps[1][n] for n in final}
        for a, b in [(1.0, 0.5), (0.6, 0.6), (0.2, 0.3), (0.0, 0.0)]
    ]
    batches = [(torch.randn(9, 4, generator=g), torch.randint(0, 3, (9,), generator=g))]
    return model, final, checkpoints, batches


def test_grid_points_on_the_path_are_the_checkpoints():
    model, final, checkpoints, batches = model_path(seed=3)
    result = trajectory_plane(checkpoints, final)
    x, y = result.coords[0]
    frame = evaluate_grid(
        model, final, result.directions, [x], [y], batches, classification_sums, progress=False
    )
    model.load_state_dict({f"{k}": v for k, v in checkpoints[0].items()})
    with torch.no_grad():
        expected = pooled_sums(model.eval(), batches, classification_sums)[0]
    assert frame.loss_sum[0] == pytest.approx(float(expected), rel=1e-5)
    (xmin, xmax), (ymin, ymax) = path_range(result.coords)
    xs, ys = grid_coordinates(xmin, xmax, 5, ymin, ymax, 5)
    assert xs[2] == ys[2] == 0.0 and xs.max() > result.coords[:, 0].max()


def test_too_few_or_flat_checkpoints_are_refused():
    checkpoints, final, _ = synthetic_path(noise=0.0)
    with pytest.raises(ValueError, match="at least 3"):
        trajectory_plane(checkpoints[:2], final)
    line = [{n: final[n] + k * torch.ones_like(final[n]) for n in final} for k in range(4)]
    with pytest.raises(ValueError, match="two dimensions"):
        trajectory_plane(line, final)


def test_trajectory_landscape_is_centred_on_the_final_weights_and_covers_the_path():
    model, final, listed, batches = model_path(seed=4)
    checkpoints = dict(enumerate(listed))
    surface, path = trajectory_landscape(
        model, checkpoints, final, batches, classification_sums, resolution=(5, 3), progress=False
    )
    found = trajectory_plane([checkpoints[e] for e in range(4)], final)
    assert path["epoch"].tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(path[["x", "y"]].to_numpy(), found.coords)
    assert path["explained_x"].iloc[0] == pytest.approx(found.explained[0])
    assert len(surface) == 15 and sorted(set(surface.y)) == pytest.approx(
        [-abs(found.coords[:, 1]).max() * 1.2, 0, abs(found.coords[:, 1]).max() * 1.2]
    )
    with torch.no_grad():
        own = pooled_sums(model.eval(), batches, classification_sums)[0]
    centre = surface[(surface.x == 0) & (surface.y == 0)]
    assert centre.loss_sum.iloc[0] == pytest.approx(float(own), rel=1e-6)
    assert trajectory_path(checkpoints, final).equals(path)  # the same path, no evaluation
