"""Linear interpolation between two models and the loss barrier on the line."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from torch import nn

from prunescape.landscape import (
    barrier_row,
    classification_sums,
    interpolate,
    line_points,
    loss_barrier,
    parameter_centre,
    pooled_sums,
)


class Scalar(nn.Module):
    """One weight w; the toy losses below are functions of it alone."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1, dtype=torch.float64))


def toy_sums(profile):
    def sums(model: nn.Module, batch: None) -> torch.Tensor:
        loss = profile(model.w[0]) * 4  # four items, so the mean is profile(w)
        return torch.stack([loss, torch.tensor(4.0, dtype=torch.float64), torch.tensor(0.0)])

    return sums


def line(profile, a: float, b: float):
    model = Scalar()
    ends = ({"w": torch.tensor([a], dtype=torch.float64)}, {"w": torch.tensor([b])})
    return interpolate(model, *ends, [None], toy_sums(profile))


def mlp(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    return [
        (torch.randn(n, 4, generator=g), torch.randint(0, 3, (n,), generator=g)) for n in (5, 2)
    ]


def own_sums(model: nn.Module) -> list[float]:
    with torch.no_grad():
        return pooled_sums(model.eval(), batches(), classification_sums).tolist()


def test_line_points_hit_zero_and_one_exactly():
    ts = line_points()
    assert len(ts) == 29 and ts[0] == pytest.approx(-0.2) and ts[-1] == pytest.approx(1.2)
    assert 0.0 in ts.tolist() and 1.0 in ts.tolist() and 0.5 in ts.tolist()
    with pytest.raises(ValueError):
        line_points(1.0, 0.0)


def test_endpoints_are_the_two_models_bit_for_bit():
    a_model, b_model = mlp(0), mlp(1)
    with torch.no_grad():  # b is pruned where a is not: the masks differ
        b_model[0].weight[b_model[0].weight.abs() < 0.2] = 0.0
    a, b = parameter_centre(a_model), parameter_centre(b_model)
    model = mlp(2).train()
    before = parameter_centre(model)
    frame = interpolate(model, a, b, batches(), classification_sums)
    assert frame.columns.tolist() == ["t", "loss", "ppl", "acc", "loss_sum", "count", "correct"]
    at = frame.set_index("t")
    assert [at.loss_sum[0.0], at["count"][0.0], at.correct[0.0]] == own_sums(a_model)
    assert [at.loss_sum[1.0], at["count"][1.0], at.correct[1.0]] == own_sums(b_model)
    assert at.loss[0.5] != at.loss[0.0]
    assert model.training
    for name, value in parameter_centre(model).items():
        assert torch.equal(value, before[name])


def test_barrier_of_a_double_well_is_its_hump():
    frame = line(lambda w: (w**2 - 1) ** 2, -1.0, 1.0)
    assert loss_barrier(frame) == (pytest.approx(1.0, abs=1e-12), 0.5)
    assert frame.set_index("t").loss[1.2] == pytest.approx((1.4**2 - 1) ** 2)


def test_convex_and_straight_profiles_have_no_barrier():
    assert loss_barrier(line(lambda w: w**2, -1.0, 2.0)).height == 0.0
    straight = loss_barrier(line(lambda w: 3 * w + 1, -1.0, 2.0))
    assert straight.height == pytest.approx(0.0, abs=1e-12)


def test_barrier_needs_both_endpoints():
    frame = line(lambda w: w**2, 0.0, 1.0)
    with pytest.raises(ValueError, match="t = 0 and t = 1"):
        loss_barrier(frame[frame.t != 1.0])


def test_barrier_row_reads_both_ends_and_both_barriers():
    # Loss: a hump of 1 above the chord from 2 to 4 at t = 0.5; error: rises by 0.3
    # above its chord (0.1 → 0.2) at t = 0.25.
    frame = pd.DataFrame(
        {
            "t": [-0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 1.25],
            "loss": [9.0, 2.0, 2.5, 4.0, 3.5, 4.0, 9.0],
            "acc": [0.0, 0.9, 0.575, 0.85, 0.825, 0.8, 0.0],
        }
    )
    row = barrier_row(frame)
    assert row["loss_a"] == 2.0 and row["loss_b"] == 4.0
    assert row["loss_barrier"] == pytest.approx(1.0) and row["loss_barrier_t"] == 0.5
    assert row["error_a"] == pytest.approx(0.1) and row["error_b"] == pytest.approx(0.2)
    assert row["error_barrier"] == pytest.approx(0.3) and row["error_barrier_t"] == 0.25
