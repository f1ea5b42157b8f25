"""Evaluation as pooled sums: (summed loss, counted items, correct items).

Keeping sums and dividing once makes loss, perplexity and accuracy exact for
ragged batches, where the mean of per-batch means would weight items unequally.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

BatchSums = Callable[[nn.Module, Any], torch.Tensor]


def _to(value: Any, device: torch.device) -> Any:
    return value.to(device) if isinstance(value, torch.Tensor) else value


def classification_sums(model: nn.Module, batch: tuple[Any, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy sums for ``batch = (inputs, labels)``; labels of -100 are not counted.

    Logits may have any leading shape ([N, C] or token-wise [B, T, C]).
    """
    inputs, labels = batch
    device = next(model.parameters()).device
    logits = model(_to(inputs, device))
    labels = labels.to(device).reshape(-1)
    logits = logits.reshape(labels.numel(), -1)
    counted = labels != -100
    loss = F.cross_entropy(logits.float(), labels, ignore_index=-100, reduction="sum")
    correct = ((logits.argmax(dim=-1) == labels) & counted).sum()
    return torch.stack([loss.double(), counted.sum().double(), correct.double()])


def pool(per_batch: Iterable[torch.Tensor]) -> torch.Tensor:
    """Sum of per-batch (loss, count, correct) tensors, float64; the last axis must be 3
    (leading axes, e.g. K grid points at once, are kept)."""
    total: torch.Tensor | None = None
    for sums in per_batch:
        if sums.shape[-1:] != (3,):
            raise ValueError(
                f"batch_sums must return a tensor of shape [3] (loss sum, count, correct), "
                f"got {tuple(sums.shape)}"
            )
        sums = sums.detach().to(torch.float64)
        total = sums if total is None else total + sums
    if total is None:
        raise ValueError("no batches to evaluate")
    return total


def pooled_sums(model: nn.Module, batches: Iterable[Any], batch_sums: BatchSums) -> torch.Tensor:
    """Summed (loss, count, correct) over all batches, float64, on the device of the sums.

    Runs the model as it is (the caller sets eval mode and no_grad).
    """
    return pool(batch_sums(model, batch) for batch in batches)


class SumsModule(nn.Module):
    """``batch_sums(model, batch)`` as a module, so ``torch.func.functional_call`` can
    swap the parameters it sees (batched grid points, Hessian-vector products)."""

    def __init__(self, model: nn.Module, batch_sums: BatchSums) -> None:
        super().__init__()
        self.model = model
        self.batch_sums = batch_sums

    def forward(self, batch: Any) -> torch.Tensor:
        return self.batch_sums(self.model, batch)


def metrics_from_sums(loss_sum: float, count: float, correct: float) -> dict[str, float]:
    """loss = loss_sum / count, ppl = exp(loss), acc = correct / count (NaN when count is 0)."""
    if count == 0:
        return {"loss": math.nan, "ppl": math.nan, "acc": math.nan}
    loss = loss_sum / count
    try:
        ppl = math.exp(loss)
    except OverflowError:
        ppl = math.inf
    return {"loss": loss, "ppl": ppl, "acc": correct / count}
