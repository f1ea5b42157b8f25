"""One-shot global magnitude pruning and masks that hold through training.

Masks are plain ``dict[str, BoolTensor]`` keyed by ``model.named_parameters()``
names (True = kept). A tied tensor appears there once, so it is scored, counted
and masked once for every module that uses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import torch
from torch import nn


def prunable_names(
    model: nn.Module, patterns: Iterable[str], *, include_embeddings: bool = False
) -> list[str]:
    """Names of ≥2-D parameters matching any regex in ``patterns``.

    LayerNorm weights and biases are 1-D and never returned; embeddings only
    when ``include_embeddings``.
    """
    compiled = [re.compile(p) for p in patterns]
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    names = []
    for name, p in model.named_parameters():
        if p.dim() < 2:
            continue
        if id(p) in embeddings:
            if include_embeddings:
                names.append(name)
            continue
        if any(c.search(name) for c in compiled):
            names.append(name)
    return names


def global_magnitude_masks(
    params: dict[str, torch.Tensor], names: list[str], rate: float
) -> dict[str, torch.Tensor]:
    """Keep the largest-|w| (1 − rate) share of all listed weights, one global threshold.

    Exactly round(rate · total) weights are pruned; ties are broken by position so
    the result is deterministic.
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"pruning rate must be in [0, 1), got {rate}")
    if not names:
        raise ValueError("no prunable parameters selected")
    scores = torch.cat([params[n].detach().abs().flatten().double() for n in names])
    n_prune = round(rate * scores.numel())
    keep = torch.ones(scores.numel(), dtype=torch.bool)
    if n_prune:
        order = torch.sort(scores, stable=True).indices
        keep[order[:n_prune]] = False
    masks, start = {}, 0
    for n in names:
        size = params[n].numel()
        masks[n] = keep[start : start + size].view_as(params[n]).clone()
        start += size
    return masks


def sparsity_report(masks: dict[str, torch.Tensor], rate: float, total_parameters: int) -> dict:
    """Kept fraction per tensor and overall, and the share removed, for the JSON report.

    ``pruned_prunable`` is the share of the prunable (masked) weights removed;
    ``pruned_all`` the share of all ``total_parameters`` of the model (a tied matrix
    counted once, as in the masks), since norms, biases and embeddings stay.
    """
    kept = sum(int(m.sum()) for m in masks.values())
    total = sum(m.numel() for m in masks.values())
    if total_parameters < total:
        raise ValueError(f"total_parameters {total_parameters} < {total} prunable weights")
    return {
        "rate": rate,
        "kept_fraction": kept / total,
        "kept": kept,
        "total": total,
        "pruned_prunable": (total - kept) / total,
        "pruned_all": (total - kept) / total_parameters,
        "total_parameters": total_parameters,
        "tensors": {
            n: {"kept_fraction": float(m.float().mean()), "numel": m.numel()}
            for n, m in masks.items()
        },
    }


def apply_masks(
    params: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """A copy of ``params`` with pruned entries set to zero."""
    return {n: (p * masks[n] if n in masks else p.clone()) for n, p in params.items()}


class MaskEnforcer:
    """Keeps pruned weights at exactly zero during training.

    Gradients of pruned entries are zeroed by a hook, so optimiser moments never
    accumulate there, and ``apply()`` after every optimiser step re-zeroes the
    weights against anything else (weight decay, numerical drift).
    """

    def __init__(self, model: nn.Module, masks: dict[str, torch.Tensor]) -> None:
        own = dict(model.named_parameters())
        unknown = sorted(set(masks) - set(own))
        if unknown:
            raise ValueError(f"masks name parameters the model lacks: {unknown[:3]}")
        self.pairs = []
        for name, mask in masks.items():
            param = own[name]
            if mask.shape != param.shape:
                raise ValueError(
                    f"mask {name!r} has shape {tuple(mask.shape)}, parameter {tuple(param.shape)}"
                )
            keep = mask.to(device=param.device, dtype=param.dtype)
            param.register_hook(lambda grad, keep=keep: grad * keep)
            self.pairs.append((param, keep))

    @torch.no_grad()
    def apply(self) -> None:
        for param, keep in self.pairs:
            param.mul_(keep)
