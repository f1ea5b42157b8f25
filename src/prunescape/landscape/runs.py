"""Landscapes of one training run: its plane, the epochs it ran, every scale.

A workflow job evaluates all of a run's grids in one process (or one row block of
each, when ``landscape.tiles`` splits them for a cluster), so interpreter start-up
and loading are paid once per run, not once per grid.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from torch import nn

from prunescape.landscape.directions import Masks, plane
from prunescape.landscape.evaluation import BatchSums
from prunescape.landscape.grid import GRID_COLUMNS, Tensors, evaluate_grid
from prunescape.landscape.tiles import tile_rows

RUN_GRID_COLUMNS = ("epoch", "scale", *GRID_COLUMNS)


def run_plane(
    kind: str,
    w0: Tensors,
    final: Tensors,
    *,
    seed: int,
    norm: str,
    masks: Masks | None = None,
) -> tuple[Tensors, Tensors]:
    """The run's two directions, drawn once for all its epochs and scales.

    ``random-random``: two random directions normalised to the final weights w*.
    ``target-random``: x = w* − w0 of this run, y random and normalised to w*.
    """
    dx, dy = plane("random-random", final, seed=seed, norm=norm, masks=masks)
    if kind == "target-random":
        dx, _ = plane("target-random", w0, seed=seed, target=final, masks=masks)
    return dx, dy


def run_epochs(setting: str | int | list[int], last: int) -> list[int]:
    """The epochs a run's landscapes are drawn at (0 is its init w0).

    ``last`` is the last epoch the run trained (the plateau rule may stop it before
    train.epochs): listed epochs after it are drawn at ``last`` instead. "none" draws
    no grid (a replicate seed whose Hessian alone is read).
    """
    if setting == "all":
        return list(range(last + 1))
    if setting == "final":
        return [last]
    if setting == "none":
        return []
    if isinstance(setting, int):
        return sorted({0, last, *range(0, last + 1, setting)})
    return sorted({min(epoch, last) for epoch in setting})


def epoch_weights_path(run_folder: str | os.PathLike, epoch: int) -> Path:
    """Where training wrote a run's weights after ``epoch`` (0: the init w0)."""
    folder = Path(run_folder)
    return folder / "w0.pt" if epoch == 0 else folder / "epochs" / f"epoch_{epoch:03d}.pt"


def run_grids(
    model: nn.Module,
    weights: Mapping[int, Tensors],
    directions: tuple[Tensors, Tensors],
    xs: Sequence[float],
    ys: Sequence[float],
    scales: Sequence[float],
    batches: Iterable[Any],
    batch_sums: BatchSums,
    *,
    tiles: int = 1,
    tile: int = 0,
    points_per_pass: int = 1,
    progress: bool = True,
) -> pd.DataFrame:
    """Every (epoch, scale) grid of one run, or one row block of each: columns
    ``epoch, scale`` then the grid's. ``weights`` maps epoch → parameters (none: no rows)."""
    if not weights:
        return pd.DataFrame(columns=RUN_GRID_COLUMNS)
    frames = []
    rows = tile_rows(len(ys), tiles, tile)
    for epoch, centre in sorted(weights.items()):
        for scale in scales:
            frame = evaluate_grid(
                model,
                centre,
                directions,
                xs,
                ys,
                batches,
                batch_sums,
                scale=scale,
                rows=rows,
                progress=progress,
                points_per_pass=points_per_pass,
            )
            frame.insert(0, "scale", float(scale))
            frame.insert(0, "epoch", epoch)
            frames.append(frame)
    return _in_order(pd.concat(frames, ignore_index=True))


def _in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """One order for tiled and untiled runs alike: epoch, scale, then y-major and x."""
    return frame.sort_values(["epoch", "scale", "y", "x"], kind="stable").reset_index(drop=True)


def merge_run_tiles(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """A run's tile CSVs (any order) merged: epoch, scale, then y-major and x."""
    paths = list(paths)
    if not paths:
        raise ValueError("no tiles to merge")
    frames = []
    for path in paths:
        frame = pd.read_csv(path)
        if list(frame.columns) != list(RUN_GRID_COLUMNS):
            raise ValueError(f"{path}: not a landscape tile (columns {list(frame.columns)})")
        frames.append(frame)
    merged = pd.concat(frames, ignore_index=True)
    if merged.duplicated(["epoch", "scale", "x", "y"]).any():
        raise ValueError("tiles overlap: some grid points appear twice")
    return _in_order(merged)
