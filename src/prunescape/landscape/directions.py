"""Directions that span a landscape plane (Li et al. 2018), aware of pruning masks.

Directions are dicts keyed by the names of ``model.named_parameters()``, so a tied
tensor has one entry and moves once for all its users. A pruned entry (mask False)
gets a zero direction, so every point of a pruned model's landscape stays pruned.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from typing import Any

import torch

from prunescape import io
from prunescape.seeding import derive_seed

Tensors = Mapping[str, torch.Tensor]
Masks = Mapping[str, torch.Tensor]

NORMS = ("filter", "layer", "none")
PLANES = ("random-random", "target-random")
_FORMAT = "prunescape-landscape-directions"


def _work_dtype(weight: torch.Tensor) -> torch.dtype:
    return torch.float64 if weight.dtype == torch.float64 else torch.float32


def _mask_for(name: str, weight: torch.Tensor, masks: Masks | None) -> torch.Tensor | None:
    if masks is None or name not in masks:
        return None
    mask = masks[name]
    if mask.shape != weight.shape:
        raise ValueError(
            f"mask {name!r} has shape {tuple(mask.shape)} but the parameter has "
            f"{tuple(weight.shape)}"
        )
    return mask.to(device=weight.device, dtype=torch.bool)


def _check_mask_names(params: Tensors, masks: Masks | None) -> None:
    unknown = sorted(set(masks or {}) - set(params))
    if unknown:
        raise ValueError(f"masks name tensors that are not parameters: {unknown[:3]}")


def _rescale_rows(d: torch.Tensor, w: torch.Tensor, n_rows: int) -> torch.Tensor:
    """Scale each of ``n_rows`` rows of ``d`` to the norm of the matching row of ``w``."""
    d_rows = d.reshape(n_rows, -1)
    w_norm = w.reshape(n_rows, -1).norm(dim=1, keepdim=True)
    d_norm = d_rows.norm(dim=1, keepdim=True)
    factor = torch.where(d_norm > 0, w_norm / d_norm.clamp_min(torch.finfo(d.dtype).tiny), 0.0)
    return (d_rows * factor).reshape(d.shape)


def random_direction(
    params: Tensors,
    *,
    seed: int,
    norm: str = "filter",
    ignore_1d: bool = True,
    masks: Masks | None = None,
) -> dict[str, torch.Tensor]:
    """A Gaussian direction, normalised to the weights it will move.

    Draws come from one CPU generator in sorted-name order, one draw per tensor
    whatever ``ignore_1d`` and ``masks`` say, so the same seed gives the same
    direction on every run and device. ``norm="filter"`` rescales each output row
    (first dim) to the norm of the matching (masked) weight row, ``"layer"`` each
    tensor, ``"none"`` keeps raw draws. Tensors with at most one dim (biases,
    LayerNorm) get a zero direction when ``ignore_1d``; otherwise each of their
    entries is a row. Pruned entries (mask False) get zero.
    """
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    _check_mask_names(params, masks)
    generator = torch.Generator().manual_seed(seed)
    out: dict[str, torch.Tensor] = {}
    for name in sorted(params):
        weight = params[name].detach()
        dtype = _work_dtype(weight)
        d = torch.randn(weight.shape, generator=generator, dtype=torch.float32)
        d = d.to(device=weight.device, dtype=dtype)
        if weight.dim() <= 1 and ignore_1d:
            out[name] = torch.zeros_like(d)
            continue
        w = weight.to(dtype)
        mask = _mask_for(name, weight, masks)
        if mask is not None:
            d = d.masked_fill(~mask, 0.0)
            w = w.masked_fill(~mask, 0.0)
        if norm != "none":
            n_rows = weight.shape[0] if norm == "filter" and weight.dim() > 0 else 1
            d = _rescale_rows(d, w, n_rows)
        out[name] = d
    return {name: out[name] for name in params}


def difference_direction(
    target: Tensors, origin: Tensors, masks: Masks | None = None
) -> dict[str, torch.Tensor]:
    """``target - origin`` (the w* − w0 axis of E2), zero on pruned entries, not normalised.

    Computed in float64 so that origin + 1·direction gives back float32 (or
    half) target weights bit for bit.
    """
    _check_mask_names(target, masks)
    out: dict[str, torch.Tensor] = {}
    for name, t in target.items():
        if name not in origin:
            raise ValueError(f"origin has no tensor {name!r}")
        o = origin[name]
        if o.shape != t.shape:
            raise ValueError(
                f"tensor {name!r}: target shape {tuple(t.shape)} != origin shape {tuple(o.shape)}"
            )
        d = t.detach().to(torch.float64) - o.detach().to(device=t.device, dtype=torch.float64)
        mask = _mask_for(name, t, masks)
        out[name] = d if mask is None else d.masked_fill(~mask, 0.0)
    return out


def plane(
    kind: str,
    center: Tensors,
    *,
    seed: int,
    target: Tensors | None = None,
    norm: str = "filter",
    ignore_1d: bool = True,
    masks: Masks | None = None,
    still: Collection[str] = (),
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """The two axes (dx, dy) of a landscape plane through ``center``.

    ``"random-random"``: dx from ``seed``, dy from a seed derived from it.
    ``"target-random"``: dx = target − center (so the point (1, 0) is ``target``),
    dy the same random direction as in ``"random-random"``. Random axes are
    normalised to ``center``. Tensors named in ``still`` get zero on both axes, e.g.
    frozen parameters (``grid.frozen_parameters(model)``), which otherwise move like
    the rest, as in Li et al. (2018); the other tensors' directions do not change.
    """
    if kind not in PLANES:
        raise ValueError(f"plane kind must be one of {PLANES}, got {kind!r}")
    unknown = sorted(set(still) - set(center))
    if unknown:
        raise ValueError(f"still names tensors that are not in the centre: {unknown[:3]}")
    options = {"norm": norm, "ignore_1d": ignore_1d, "masks": masks}
    dy = random_direction(center, seed=derive_seed(seed, "y"), **options)
    if kind == "random-random":
        dx = random_direction(center, seed=seed, **options)
    elif target is None:
        raise ValueError("the target-random plane needs target weights")
    else:
        dx = difference_direction(target, center, masks)
    return _held(dx, still), _held(dy, still)


def _held(direction: dict[str, torch.Tensor], still: Collection[str]) -> dict[str, torch.Tensor]:
    return {n: torch.zeros_like(d) if n in still else d for n, d in direction.items()}


def save_directions(
    path: str | os.PathLike,
    directions: tuple[Tensors, Tensors],
    meta: dict[str, Any] | None = None,
) -> None:
    """Save (dx, dy) once per model, so every epoch and tile reuses the same plane."""
    dx, dy = directions
    tensors = {f"x.{n}": t for n, t in dx.items()} | {f"y.{n}": t for n, t in dy.items()}
    io.save_checkpoint(path, tensors, {"format": _FORMAT, **(meta or {})})


def load_directions(
    path: str | os.PathLike,
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, Any]]:
    """Load what :func:`save_directions` wrote: (dx, dy, meta)."""
    tensors, meta = io.load_checkpoint(path)
    if meta.get("format") != _FORMAT:
        raise io.CheckpointError(f"{path}: not a landscape directions file")
    axes: dict[str, dict[str, torch.Tensor]] = {"x": {}, "y": {}}
    for key, tensor in tensors.items():
        axis, name = key.split(".", 1)
        axes[axis][name] = tensor
    return axes["x"], axes["y"], meta
