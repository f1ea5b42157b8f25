"""Static figures of one metric over a 2-D grid: contour, 3-D surface, heat map, comparison.

Every drawing takes explicit colour limits so panels, epochs and models that a
reader compares use one scale. Colours are chosen so that "good" looks alike for
every metric (dark = low loss, low perplexity, high accuracy), and perplexity,
which can span orders of magnitude, uses a logarithmic scale.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colorbar import Colorbar
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullLocator,
    StrMethodFormatter,
)

from prunescape.io import atomic_path

Limits = tuple[float, float]

METRIC_NAMES = {"loss": "loss", "ppl": "perplexity", "acc": "accuracy"}
AXIS_NAMES = {"x": "x (direction 1)", "y": "y (direction 2)", "alpha": "α", "beta": "β"}
ANNOTATE_MAX = 7
HEATMAP_LINES = 10

# Metadata matplotlib would otherwise stamp with its version or the time of day.
SAVE_METADATA = {
    ".png": {"Software": None},
    ".pdf": {"Creator": None, "Producer": None, "CreationDate": None},
}


def higher_is_better(metric: str) -> bool:
    """Accuracy columns (``acc``, ``val_acc``, ...) improve upwards; the rest downwards."""
    return metric.endswith("acc")


def log_scale(metric: str, limits: Limits) -> bool:
    """Perplexity columns use a log scale (when positive, as perplexity always is)."""
    return metric.endswith("ppl") and limits[0] > 0


def metric_label(metric: str) -> str:
    direction = "higher" if higher_is_better(metric) else "lower"
    return f"{METRIC_NAMES.get(metric, metric)} ({direction} is better)"


def colour_map(metric: str) -> str:
    """viridis with its dark end on the good side of the metric."""
    return "viridis_r" if higher_is_better(metric) else "viridis"


def norm(metric: str, limits: Limits) -> Normalize:
    return LogNorm(*limits) if log_scale(metric, limits) else Normalize(*limits)


def level_values(metric: str, limits: Limits, count: int) -> np.ndarray:
    """About ``count`` bands across the limits, even on the metric's colour scale.

    Linear levels sit on round numbers so colourbar ticks read cleanly.
    """
    if log_scale(metric, limits):
        return np.geomspace(*limits, count + 1)
    return MaxNLocator(count).tick_values(*limits)


def grid(
    frame: pd.DataFrame, metric: str, xcol: str = "x", ycol: str = "y"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted axis values and ``Z[iy, ix]``, placed by coordinate value, not by row order.

    Grids may be non-square; missing points become NaN (e.g. a grid whose tiles
    are not all finished).
    """
    missing = [c for c in (xcol, ycol, metric) if c not in frame.columns]
    if missing:
        raise ValueError(f"surface frame lacks columns {missing}; it has {list(frame.columns)}")
    if frame.duplicated([xcol, ycol]).any():
        raise ValueError(
            f"several rows share one ({xcol}, {ycol}) point; "
            "select one model, epoch and scale before drawing a surface"
        )
    table = frame.pivot(index=ycol, columns=xcol, values=metric).sort_index().sort_index(axis=1)
    xs = table.columns.to_numpy(dtype=float)
    ys = table.index.to_numpy(dtype=float)
    return xs, ys, table.to_numpy(dtype=float)


def colour_limits(frame: pd.DataFrame, metric: str) -> Limits:
    """Finite min and max of ``metric`` over every row given, widened if they coincide."""
    values = frame[metric].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError(f"no finite values of {metric!r} to set colour limits from")
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:  # a flat surface still needs a colour range; keep it positive if it was
        if lo > 0:
            return lo / 1.05, hi * 1.05
        pad = abs(lo) * 0.05 or 0.5
        return lo - pad, hi + pad
    return lo, hi


def cell_edges(centres: np.ndarray) -> np.ndarray:
    """Cell boundaries halfway between grid values, so uneven spacing draws true-to-scale."""
    if centres.size == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    mids = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - mids[0]], mids, [2 * centres[-1] - mids[-1]]])


def _need_2d(xs: np.ndarray, ys: np.ndarray, what: str) -> None:
    if xs.size < 2 or ys.size < 2:
        raise ValueError(
            f"a {what} needs at least a 2×2 grid, got {xs.size}×{ys.size}; use a heat map"
        )


def _label_axes(ax: Axes, xcol: str, ycol: str) -> None:
    ax.set_xlabel(AXIS_NAMES.get(xcol, xcol))
    ax.set_ylabel(AXIS_NAMES.get(ycol, ycol))


def _mark_centre(ax: Axes, xs: np.ndarray, ys: np.ndarray) -> None:
    """Star at (0, 0): the trained model of a landscape, w0 of the retraining grid."""
    if xs[0] <= 0 <= xs[-1] and ys[0] <= 0 <= ys[-1]:
        ax.plot(0, 0, marker="*", markersize=12, color="white", markeredgecolor="black")


def _outline_centre(ax: Axes, xs: np.ndarray, ys: np.ndarray) -> None:
    """Red frame around the (0, 0) cell; a star would hide the value written in it."""
    ex, ey = cell_edges(xs), cell_edges(ys)
    for i in np.flatnonzero(xs == 0):
        for j in np.flatnonzero(ys == 0):
            width, height = ex[i + 1] - ex[i], ey[j + 1] - ey[j]
            ax.add_patch(
                Rectangle((ex[i], ey[j]), width, height, fill=False, edgecolor="red", linewidth=2)
            )


def draw_contour(
    ax: Axes,
    frame: pd.DataFrame,
    metric: str,
    *,
    limits: Limits,
    xcol: str = "x",
    ycol: str = "y",
    levels: int = 20,
) -> ScalarMappable:
    """Filled contours plus thin contour lines on ``ax``; returns what a colourbar needs."""
    xs, ys, z = grid(frame, metric, xcol, ycol)
    _need_2d(xs, ys, "contour plot")
    z = np.ma.masked_invalid(z)
    bands = level_values(metric, limits, levels)
    filled = ax.contourf(
        xs, ys, z, levels=bands, cmap=colour_map(metric), norm=norm(metric, limits), extend="both"
    )
    ax.contour(xs, ys, z, levels=bands, colors="black", linewidths=0.4, alpha=0.5)
    _mark_centre(ax, xs, ys)
    _label_axes(ax, xcol, ycol)
    return filled


def draw_heatmap(
    ax: Axes,
    frame: pd.DataFrame,
    metric: str,
    *,
    limits: Limits,
    xcol: str = "x",
    ycol: str = "y",
) -> ScalarMappable:
    """One cell per grid point, contour lines over it, values written in when few cells."""
    xs, ys, z = grid(frame, metric, xcol, ycol)
    scale = norm(metric, limits)
    cmap = plt.get_cmap(colour_map(metric))
    mesh = ax.pcolormesh(
        cell_edges(xs),
        cell_edges(ys),
        np.ma.masked_invalid(z),
        cmap=cmap,
        norm=scale,
        shading="flat",
    )
    if xs.size >= 2 and ys.size >= 2:
        lines = level_values(metric, limits, HEATMAP_LINES)
        ax.contour(
            xs, ys, np.ma.masked_invalid(z), levels=lines, colors="black", linewidths=0.6, alpha=0.6
        )
    if xs.size <= ANNOTATE_MAX and ys.size <= ANNOTATE_MAX:
        for (iy, ix), value in np.ndenumerate(z):
            if not np.isfinite(value):
                continue
            r, g, b, _ = cmap(scale(value))
            ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
            ax.text(xs[ix], ys[iy], f"{value:.3g}", ha="center", va="center", fontsize=8, color=ink)
    _outline_centre(ax, xs, ys)
    _label_axes(ax, xcol, ycol)
    return mesh


def draw_surface(
    ax: Axes,
    frame: pd.DataFrame,
    metric: str,
    *,
    limits: Limits,
    xcol: str = "x",
    ycol: str = "y",
) -> ScalarMappable:
    """3-D surface on a ``projection="3d"`` axes with z fixed to ``limits``.

    mplot3d has no working log z-axis, so perplexity is drawn as log10 and the
    z ticks are labelled with the perplexity values themselves.
    """
    xs, ys, z = grid(frame, metric, xcol, ycol)
    _need_2d(xs, ys, "surface plot")
    logged = log_scale(metric, limits)
    lo, hi = np.log10(limits) if logged else limits
    if logged:
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.log10(z)
    gx, gy = np.meshgrid(xs, ys)
    ax.plot_surface(
        gx,
        gy,
        np.ma.masked_invalid(z),
        cmap=colour_map(metric),
        norm=Normalize(lo, hi),
        rcount=ys.size,
        ccount=xs.size,
        linewidth=0.2,
        edgecolor="black",
        antialiased=True,
    )
    ax.set_zlim(lo, hi)
    if logged:
        ax.zaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{10**v:.3g}"))
    ax.set_zlabel(METRIC_NAMES.get(metric, metric))
    _label_axes(ax, xcol, ycol)
    return ScalarMappable(norm=norm(metric, limits), cmap=colour_map(metric))


def add_colourbar(fig: Figure, mappable: ScalarMappable, metric: str, **where) -> Colorbar:
    """Colourbar labelled with the metric; log scales get ticks at 1, 2, 5 × 10^k."""
    bar = fig.colorbar(mappable, label=metric_label(metric), **where)
    if isinstance(mappable.norm, LogNorm):
        bar.set_ticks(LogLocator(subs=(1.0, 2.0, 5.0)))
        bar.ax.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
        bar.ax.yaxis.set_minor_locator(NullLocator())
    return bar


def contour_figure(
    frame: pd.DataFrame,
    metric: str,
    *,
    title: str = "",
    limits: Limits | None = None,
    xcol: str = "x",
    ycol: str = "y",
    levels: int = 20,
) -> Figure:
    """Filled contour map with lines, colourbar and the centre marked."""
    limits = limits or colour_limits(frame, metric)
    fig, ax = plt.subplots(figsize=(6, 5), constrained_layout=True)
    mappable = draw_contour(ax, frame, metric, limits=limits, xcol=xcol, ycol=ycol, levels=levels)
    add_colourbar(fig, mappable, metric, ax=ax, shrink=0.9)
    ax.set_title(title)
    return fig


def surface_figure(
    frame: pd.DataFrame,
    metric: str,
    *,
    title: str = "",
    limits: Limits | None = None,
    xcol: str = "x",
    ycol: str = "y",
) -> Figure:
    """3-D surface whose z range and colours are pinned to ``limits``."""
    limits = limits or colour_limits(frame, metric)
    fig = plt.figure(figsize=(7, 5.5), constrained_layout=True)
    ax = fig.add_subplot(projection="3d")
    mappable = draw_surface(ax, frame, metric, limits=limits, xcol=xcol, ycol=ycol)
    add_colourbar(fig, mappable, metric, ax=ax, shrink=0.9)
    ax.set_title(title)
    return fig


def heatmap_figure(
    frame: pd.DataFrame,
    metric: str,
    *,
    title: str = "",
    limits: Limits | None = None,
    xcol: str = "x",
    ycol: str = "y",
) -> Figure:
    """Heat map with contour lines; small grids (≤ 7×7) get each cell's value written in."""
    limits = limits or colour_limits(frame, metric)
    fig, ax = plt.subplots(figsize=(6, 5), constrained_layout=True)
    mappable = draw_heatmap(ax, frame, metric, limits=limits, xcol=xcol, ycol=ycol)
    add_colourbar(fig, mappable, metric, ax=ax, shrink=0.9)
    ax.set_title(title)
    return fig


def comparison_figure(
    frames_by_model: Mapping[str, pd.DataFrame],
    metric: str,
    *,
    kind: str = "contour",
    title: str = "",
    limits: Limits | None = None,
    xcol: str = "x",
    ycol: str = "y",
) -> Figure:
    """One panel per model side by side, on one colour scale with one colourbar.

    ``kind`` is ``contour``, ``surface`` or ``heatmap``. Limits default to the
    range over all models, so a flatter landscape really looks flatter.
    """
    if not frames_by_model:
        raise ValueError("comparison_figure needs at least one model")
    if kind not in ("contour", "surface", "heatmap"):
        raise ValueError(f"kind must be contour, surface or heatmap, got {kind!r}")
    limits = limits or colour_limits(pd.concat(frames_by_model.values()), metric)
    count = len(frames_by_model)
    fig = plt.figure(figsize=(3.6 * count + 1.2, 4.2), constrained_layout=True)
    axes = []
    for i, (model, frame) in enumerate(frames_by_model.items(), start=1):
        ax = fig.add_subplot(1, count, i, projection="3d" if kind == "surface" else None)
        options = {"limits": limits, "xcol": xcol, "ycol": ycol}
        if kind == "contour":
            mappable = draw_contour(ax, frame, metric, **options)
        elif kind == "surface":
            mappable = draw_surface(ax, frame, metric, **options)
        else:
            mappable = draw_heatmap(ax, frame, metric, **options)
        ax.set_title(model)
        axes.append(ax)
    add_colourbar(fig, mappable, metric, ax=axes, shrink=0.9)
    fig.suptitle(title)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 150) -> None:
    """Write PNG or PDF (by suffix) atomically and byte-reproducibly, then close ``fig``."""
    suffix = Path(path).suffix.lower()
    if suffix not in SAVE_METADATA:
        raise ValueError(f"{path}: figures are saved as .png or .pdf, not {suffix or 'no suffix'}")
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=suffix[1:], dpi=dpi, metadata=SAVE_METADATA[suffix])
    finally:
        plt.close(fig)
