"""Landscape CSVs in, one JSON-able payload out, for the viewer page.

Two CSV layouts reach the viewer: the project's ``VIEWER_COLUMNS`` (written by
:func:`prunescape.landscape.viewer_frame`) and the study's original LossPlot files with
only ``id,x,y,loss``. Both are normalised to the first so the page code sees one shape.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from prunescape.landscape import VIEWER_COLUMNS

METRICS = ["loss", "ppl", "acc"]
REQUIRED = ["id", "x", "y", "loss"]


def load_landscape_csv(path: str | os.PathLike) -> pd.DataFrame:
    """Read a viewer or legacy LossPlot CSV into the viewer columns.

    Legacy files lack the experiment labels, so each id becomes its own model
    ``exp{id}`` at epoch 0 and scale 1.0; absent metrics are NaN.
    """
    frame = pd.read_csv(path, dtype={"model": str})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: not a landscape CSV (missing columns {missing})")
    frame["id"] = frame["id"].astype(int)
    if "model" not in frame.columns:
        frame["model"] = "exp" + frame["id"].astype(str)
    if "epoch" not in frame.columns:
        frame["epoch"] = 0
    if "scale" not in frame.columns:
        frame["scale"] = 1.0
    for metric in METRICS:
        if metric not in frame.columns:
            frame[metric] = np.nan
    frame = frame[list(VIEWER_COLUMNS)].copy()
    frame["model"] = frame["model"].astype(str)
    frame["epoch"] = frame["epoch"].astype(int)
    for column in ["x", "y", "scale", *METRICS]:
        frame[column] = frame[column].astype(float)
    return frame


def _unique(values: Iterable) -> list:
    """Distinct values in order of first appearance."""
    return list(dict.fromkeys(values))


def _json_number(value: float) -> float | None:
    """NaN and infinities are not JSON; plotly draws ``null`` as a gap."""
    return float(value) if math.isfinite(value) else None


def _grid(group: pd.DataFrame, metrics: list[str], where: str) -> dict:
    """Reshape one experiment to ``z[row=y][column=x]``, as plotly expects.

    Cells are placed by their coordinates, not by row order, so shuffled or
    non-square grids still come out the right way round.
    """
    xs = np.sort(group["x"].unique())
    ys = np.sort(group["y"].unique())
    if len(group) != len(xs) * len(ys) or group.duplicated(["x", "y"]).any():
        raise ValueError(
            f"{where}: {len(group)} rows do not form a full {len(xs)}×{len(ys)} grid "
            "(missing or duplicated (x, y) points)"
        )
    rows = np.searchsorted(ys, group["y"])
    columns = np.searchsorted(xs, group["x"])
    z = {}
    for metric in metrics:
        values = np.full((len(ys), len(xs)), np.nan)
        values[rows, columns] = group[metric]
        z[metric] = [[_json_number(v) for v in row] for row in values]
    return {"x": [float(v) for v in xs], "y": [float(v) for v in ys], "z": z}


def _limits(values: np.ndarray) -> list[float] | None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    return [float(finite.min()), float(finite.max())]


def viewer_payload(frame: pd.DataFrame) -> dict:
    """Group rows into experiments and compute colour limits shared across models and epochs.

    Limits are per (metric, scale) so that every model and every epoch frame is
    drawn on the same colour and z range and can be compared by eye.
    """
    metrics = [m for m in METRICS if frame[m].notna().any()]
    scales = _unique(frame["scale"])
    experiments = []
    for (model, epoch, scale), group in frame.groupby(["model", "epoch", "scale"], sort=False):
        where = f"model {model!r}, epoch {epoch}, scale {scale:g}"
        experiments.append(
            {"model": str(model), "epoch": int(epoch), "scale": scales.index(scale)}
            | _grid(group, metrics, where)
        )
    limits = {
        metric: [_limits(frame.loc[frame["scale"] == s, metric].to_numpy()) for s in scales]
        for metric in metrics
    }
    return {
        "models": [str(m) for m in _unique(frame["model"])],
        "metrics": metrics,
        "scales": [float(s) for s in scales],
        "epochs": sorted(int(e) for e in frame["epoch"].unique()),
        "limits": limits,
        "experiments": experiments,
    }


def combine(frames: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Stack CSVs; the same (model, epoch, scale) in two files is ambiguous, so refuse it."""
    seen: dict[tuple, str] = {}
    for name, frame in frames:
        for key in frame[["model", "epoch", "scale"]].drop_duplicates().itertuples(index=False):
            if tuple(key) in seen:
                model, epoch, scale = key
                raise ValueError(
                    f"model {model!r}, epoch {epoch}, scale {scale:g} appears in both "
                    f"{seen[tuple(key)]} and {name}"
                )
            seen[tuple(key)] = name
    return pd.concat([f for _, f in frames], ignore_index=True)
