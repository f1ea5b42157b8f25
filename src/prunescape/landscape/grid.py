"""Evaluate a model over a grid of points centre + scale·(x·dx + y·dy).

The model's own parameters are overwritten in place at every point (no model
copies, no reloads from disk), so a grid point costs one pass over the
evaluation batches plus a few vector operations. On an accelerator, where one
small forward pass leaves most of the chip idle, several points can share a pass
instead: ``torch.func.vmap`` runs the model on a stack of K parameter sets.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.func import functional_call, vmap
from tqdm import tqdm

from prunescape.landscape.evaluation import (
    BatchSums,
    SumsModule,
    metrics_from_sums,
    pool,
    pooled_sums,
)

GRID_COLUMNS = ("x", "y", "loss", "ppl", "acc", "loss_sum", "count", "correct")

Tensors = Mapping[str, torch.Tensor]


def grid_axis(lo: float, hi: float, n: int) -> np.ndarray:
    """``n`` evenly spaced values from ``lo`` to ``hi``, both ends exact.

    Each half is measured from its own end, so a symmetric range gives values
    that are exact negatives of each other and, for odd ``n``, an exact 0.
    One point sits at the middle of the range.
    """
    if n < 1:
        raise ValueError(f"a grid axis needs at least 1 point, got {n}")
    if lo > hi or (n > 1 and lo == hi):
        raise ValueError(f"a grid axis needs min < max, got {lo}:{hi}")
    if n == 1:
        return np.array([(lo + hi) / 2])
    span, last = hi - lo, n - 1
    return np.array(
        [
            lo + span * (i / last) if 2 * i <= last else hi - span * ((last - i) / last)
            for i in range(n)
        ]
    )


def grid_coordinates(
    xmin: float, xmax: float, nx: int, ymin: float, ymax: float, ny: int
) -> tuple[np.ndarray, np.ndarray]:
    """Axis values (xs, ys) of an nx × ny grid; need not be square.

    The centre (0, 0) is a grid point when both ranges are symmetric and both
    counts odd; check with :func:`centre_included`.
    """
    return grid_axis(xmin, xmax, nx), grid_axis(ymin, ymax, ny)


def centre_included(xs: Iterable[float], ys: Iterable[float]) -> bool:
    """Whether the grid evaluates the centre (the model itself) at (0, 0)."""
    return 0.0 in list(xs) and 0.0 in list(ys)


def parameter_centre(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of the model's parameters by ``named_parameters()`` name (tied ones once)."""
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def frozen_parameters(model: nn.Module) -> list[str]:
    """Names of the parameters that training leaves alone (``requires_grad=False``).

    Pass them as ``plane(..., still=frozen_parameters(model))`` to keep them at the
    centre; by default they move like the others, as in Li et al. (2018).
    """
    return [name for name, p in model.named_parameters() if not p.requires_grad]


def _check_names(what: str, tensors: Tensors, reference: Mapping[str, Any], hint: str) -> None:
    for name, tensor in tensors.items():
        if name not in reference:
            raise ValueError(f"{what} tensor {name!r} {hint}")
        if tuple(tensor.shape) != tuple(reference[name].shape):
            raise ValueError(
                f"{what} tensor {name!r} has shape {tuple(tensor.shape)}, expected "
                f"{tuple(reference[name].shape)}"
            )


class _PlaneWriter:
    """Writes centre + a·dx + b·dy into the parameters, from flat buffers built once.

    Only parameters with a non-zero direction are rewritten per point. The sum is
    formed in the widest dtype of centre and directions (at least float32) and
    cast once, so (0, 0) is the centre and, as difference directions are float64,
    (1, 0) of a target-random plane is the target, bit for bit.
    """

    def __init__(self, model: nn.Module, center: Tensors, dx: Tensors, dy: Tensors) -> None:
        params = dict(model.named_parameters())
        _check_names(
            "centre",
            center,
            params,
            "is not a parameter of the model (a tied alias or a buffer? "
            "use names from model.named_parameters())",
        )
        for what, direction in (("dx", dx), ("dy", dy)):
            _check_names(what, direction, center, "has no centre value")
        self.params = params
        self.center = center
        moving = [n for n in center if _nonzero(dx.get(n)) or _nonzero(dy.get(n))]
        self.moving = moving
        device = params[moving[0]].device if moving else torch.device("cpu")
        used = [t[n].dtype for t in (center, dx, dy) for n in moving if n in t]
        dtype = functools.reduce(torch.promote_types, used, torch.float32)
        if device.type == "mps":  # no float64 there
            dtype = torch.float32
        self.flat_center = _flatten(center, moving, params, device, dtype)
        self.flat_dx = _flatten(dx, moving, params, device, dtype)
        self.flat_dy = _flatten(dy, moving, params, device, dtype)
        self.buffer = torch.empty_like(self.flat_center)
        self.targets: list[tuple[torch.Tensor, torch.Tensor]] = []
        offset = 0
        for name in moving:
            p = params[name]
            self.targets.append((p, self.buffer[offset : offset + p.numel()].view(p.shape)))
            offset += p.numel()

    def set_centre(self) -> None:
        for name, value in self.center.items():
            self.params[name].copy_(value)

    def move_to(self, a: float, b: float) -> None:
        torch.add(self.flat_center, self.flat_dx, alpha=a, out=self.buffer)
        self.buffer.add_(self.flat_dy, alpha=b)
        for p, value in self.targets:
            p.copy_(value)

    def stacked(self, points: Sequence[tuple[float, float]]) -> dict[str, torch.Tensor]:
        """The moving parameters at K points (a, b), each stacked along a new first dim."""
        a, b = (
            torch.tensor(v, dtype=self.flat_center.dtype, device=self.flat_center.device)[:, None]
            for v in zip(*points, strict=True)
        )
        flat = self.flat_center + a * self.flat_dx + b * self.flat_dy
        out, offset = {}, 0
        for name, (p, _) in zip(self.moving, self.targets, strict=True):
            part = flat[:, offset : offset + p.numel()]
            out[name] = part.to(p.dtype).reshape(len(points), *p.shape)
            offset += p.numel()
        return out


def _nonzero(tensor: torch.Tensor | None) -> bool:
    return tensor is not None and bool(torch.count_nonzero(tensor))


def _flatten(
    tensors: Tensors,
    names: Sequence[str],
    params: Mapping[str, torch.Tensor],
    device: torch.device,
    dtype: torch.dtype,
) -> torch.Tensor:
    parts = [
        tensors[n].to(device=device, dtype=dtype).reshape(-1)
        if n in tensors
        else torch.zeros(params[n].numel(), device=device, dtype=dtype)
        for n in names
    ]
    return torch.cat(parts) if parts else torch.zeros(0, device=device, dtype=dtype)


def stacked_pooled_sums(
    sums: SumsModule, params: dict[str, torch.Tensor], batches: Iterable[Any]
) -> torch.Tensor:
    """Pooled (loss, count, correct) [K, 3] at K stacked parameter sets, one pass per batch."""

    def at(point: dict[str, torch.Tensor], batch: Any) -> torch.Tensor:
        named = {f"model.{name}": value for name, value in point.items()}
        return functional_call(sums, named, (batch,))

    batched = vmap(at, in_dims=(0, None), randomness="error")
    return pool(batched(params, batch) for batch in batches)


def evaluate_grid(
    model: nn.Module,
    center: Tensors,
    directions: tuple[Tensors, Tensors],
    xs: Sequence[float],
    ys: Sequence[float],
    batches: Iterable[Any],
    batch_sums: BatchSums,
    *,
    scale: float = 1.0,
    rows: Iterable[int] | None = None,
    progress: bool = True,
    points_per_pass: int = 1,
) -> pd.DataFrame:
    """Loss, perplexity and accuracy at each point centre + scale·(x·dx + y·dy).

    Rows come y-major with x fastest; ``rows`` picks y indices (a tile). The
    model runs in eval mode under no_grad, and gets its parameters and every
    module's training mode back afterwards, also on error. ``batches`` must be
    re-iterable. ``points_per_pass`` > 1 evaluates that many points per forward
    pass with ``torch.func.vmap`` (faster on a GPU; it needs that much more
    activation memory, and ``batch_sums`` must be vmap-able: no ``.item()``).
    """
    if iter(batches) is batches:
        raise TypeError("batches must be re-iterable (e.g. a list), not a one-shot iterator")
    if points_per_pass < 1:
        raise ValueError(f"points_per_pass must be at least 1, got {points_per_pass}")
    xs = [float(v) for v in xs]
    ys = [float(v) for v in ys]
    row_ids = list(range(len(ys)) if rows is None else rows)
    bad = [j for j in row_ids if not 0 <= j < len(ys)]
    if bad:
        raise ValueError(f"rows {bad[:3]} are outside the {len(ys)} grid rows")
    points = [(x, ys[j]) for j in row_ids for x in xs]
    writer = _PlaneWriter(model, center, *directions)
    saved = {name: writer.params[name].detach().clone() for name in center}
    modes = {module: module.training for module in model.modules()}
    sums = SumsModule(model, batch_sums)
    records = []
    bar = tqdm(total=len(points), disable=not progress, file=sys.stderr, unit="pt")
    try:
        model.eval()
        with torch.no_grad():
            writer.set_centre()
            for start in range(0, len(points), points_per_pass):
                chunk = points[start : start + points_per_pass]
                if points_per_pass == 1:
                    writer.move_to(scale * chunk[0][0], scale * chunk[0][1])
                    totals = [pooled_sums(model, batches, batch_sums).tolist()]
                else:
                    stacked = writer.stacked([(scale * x, scale * y) for x, y in chunk])
                    totals = stacked_pooled_sums(sums, stacked, batches).tolist()
                for (x, y), (loss_sum, count, correct) in zip(chunk, totals, strict=True):
                    records.append(
                        {
                            "x": x,
                            "y": y,
                            **metrics_from_sums(loss_sum, count, correct),
                            "loss_sum": loss_sum,
                            "count": count,
                            "correct": correct,
                        }
                    )
                bar.update(len(chunk))
    finally:
        bar.close()
        with torch.no_grad():
            for name, value in saved.items():
                writer.params[name].copy_(value)
        for module, training in modes.items():
            module.training = training
    return pd.DataFrame.from_records(records, columns=list(GRID_COLUMNS))
