"""Split a grid into row-block tiles that run as independent jobs, and merge them.

Each tile is written atomically, so an interrupted job never leaves a tile that
looks finished. Merged tiles equal the untiled grid.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from torch import nn

from prunescape import io
from prunescape.landscape.evaluation import BatchSums
from prunescape.landscape.grid import GRID_COLUMNS, Tensors, evaluate_grid

VIEWER_COLUMNS = ("id", "x", "y", "loss", "model", "epoch", "scale", "ppl", "acc")
EXPERIMENT_KEYS = ["model", "epoch", "scale"]


def tile_rows(ny: int, n_tiles: int, tile_index: int) -> range:
    """The y rows of tile ``tile_index`` of ``n_tiles`` near-equal contiguous blocks."""
    if n_tiles < 1:
        raise ValueError(f"need at least one tile, got {n_tiles}")
    if not 0 <= tile_index < n_tiles:
        raise ValueError(f"tile index {tile_index} is outside 0..{n_tiles - 1}")
    base, extra = divmod(ny, n_tiles)
    start = tile_index * base + min(tile_index, extra)
    return range(start, start + base + (tile_index < extra))


def run_tile(
    path: str | os.PathLike,
    model: nn.Module,
    center: Tensors,
    directions: tuple[Tensors, Tensors],
    xs: Sequence[float],
    ys: Sequence[float],
    batches: Iterable[Any],
    batch_sums: BatchSums,
    *,
    n_tiles: int,
    tile_index: int,
    scale: float = 1.0,
    progress: bool = True,
) -> pd.DataFrame:
    """Evaluate one tile's rows and write them to ``path`` as CSV."""
    frame = evaluate_grid(
        model,
        center,
        directions,
        xs,
        ys,
        batches,
        batch_sums,
        scale=scale,
        rows=tile_rows(len(ys), n_tiles, tile_index),
        progress=progress,
    )
    io.write_csv(path, frame)
    return frame


def merge_tiles(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """Tile CSVs (in any order) merged into one grid, y-major then x."""
    paths = list(paths)
    frames = [pd.read_csv(path) for path in paths]
    if not frames:
        raise ValueError("no tiles to merge")
    for path, frame in zip(paths, frames, strict=True):
        if list(frame.columns) != list(GRID_COLUMNS):
            raise ValueError(f"{path}: not a landscape tile (columns {list(frame.columns)})")
    filled = [frame for frame in frames if len(frame)] or frames[:1]
    merged = pd.concat(filled, ignore_index=True)
    if merged.duplicated(["x", "y"]).any():
        raise ValueError("tiles overlap: some grid points appear twice")
    return merged.sort_values(["y", "x"], kind="stable").reset_index(drop=True)


def viewer_frame(frames: pd.DataFrame | Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The viewer's CSV table: ``id,x,y,loss,model,epoch,scale,ppl,acc``.

    ``id`` numbers the (model, epoch, scale) experiments 0..N−1 in order of first
    appearance; within each id, rows run y-major then x.
    """
    frame = frames if isinstance(frames, pd.DataFrame) else pd.concat(list(frames))
    missing = [c for c in VIEWER_COLUMNS[1:] if c not in frame.columns]
    if missing:
        raise ValueError(f"landscape frames lack columns {missing}")
    ids = frame.groupby(EXPERIMENT_KEYS, sort=False, dropna=False).ngroup()
    out = frame.assign(id=ids)[list(VIEWER_COLUMNS)]
    if out.duplicated(["id", "x", "y"]).any():
        raise ValueError("a (model, epoch, scale) experiment has a grid point twice")
    return out.sort_values(["id", "y", "x"], kind="stable").reset_index(drop=True)
