"""A user's code as the landscape CLI tests see it: a model factory, batches, sums."""

from __future__ import annotations

import torch
from torch import nn

NOT_CALLABLE = 3


def make_mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def make_wide_mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3))


def batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    return [
        (torch.randn(n, 4, generator=g), torch.randint(0, 3, (n,), generator=g)) for n in (7, 2)
    ]


def squared_error_sums(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    inputs, labels = batch
    target = nn.functional.one_hot(labels, 3).float()
    loss = (model(inputs) - target).pow(2).sum()
    return torch.stack([loss.double(), torch.tensor(float(target.numel())), torch.tensor(0.0)])
