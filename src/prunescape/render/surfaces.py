"""Static figures of one metric over a 2-D grid: contour, 3-D surface, heat map, comparison.

Every drawing takes explicit colour limits so panels, epochs and models that a
reader compares use one scale. Colours are chosen so that "good" looks alike for
every metric (dark = low loss, low perplexity, high accuracy), and perplexity,
which can span orders of magnitude, uses a logarithmic scale. Non-finite cells
(a diverged run's NaN losses) are gaps; a panel with no finite cell says so.

Figures have a fixed layout in inches rather than matplotlib's constrained layout,
which costs a layout pass and an extra draw on every save.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
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
Paths = str | os.PathLike | Iterable[str | os.PathLike]

METRIC_NAMES = {"loss": "loss", "ppl": "perplexity", "acc": "accuracy"}
AXIS_NAMES = {"x": "x (direction 1)", "y": "y (direction 2)", "alpha": "α", "beta": "β"}
ANNOTATE_MAX = 7
HEATMAP_LINES = 10
# Fixed layout, in inches: margins around each panel, and the colourbar's column.
MARGINS = {"left": 0.75, "right": 0.2, "bottom": 0.55, "top": 0.45}
SUPTITLE = 0.35
COLOURBAR = {"pad": 0.2, "width": 0.15, "column": 1.1}

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


def colour_limits(frame: pd.DataFrame, metric: str) -> Limits | None:
    """Finite min and max of ``metric`` over every row given, widened if they coincide.

    None when no value is finite (a diverged run): drawings then say so instead of failing.
    """
    values = frame[metric].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
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


def _nothing_finite(ax: Axes, z: np.ndarray, metric: str, limits: Limits | None) -> bool:
    """Write on ``ax`` that no cell is finite, when that is so; a diverged run is a result too."""
    if limits is not None and np.isfinite(z).any():
        return False
    text = getattr(ax, "text2D", ax.text)
    message = f"no finite {METRIC_NAMES.get(metric, metric)} values\n(NaN or infinite everywhere)"
    text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color="firebrick")
    return True


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
) -> ScalarMappable | None:
    """Filled contours plus thin contour lines on ``ax``; returns what a colourbar needs
    (None when no cell is finite)."""
    xs, ys, z = grid(frame, metric, xcol, ycol)
    _need_2d(xs, ys, "contour plot")
    _label_axes(ax, xcol, ycol)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    if _nothing_finite(ax, z, metric, limits):
        return None
    z = np.ma.masked_invalid(z)
    bands = level_values(metric, limits, levels)
    filled = ax.contourf(
        xs, ys, z, levels=bands, cmap=colour_map(metric), norm=norm(metric, limits), extend="both"
    )
    ax.contour(xs, ys, z, levels=bands, colors="black", linewidths=0.4, alpha=0.5)
    _mark_centre(ax, xs, ys)
    return filled


def draw_heatmap(
    ax: Axes,
    frame: pd.DataFrame,
    metric: str,
    *,
    limits: Limits,
    xcol: str = "x",
    ycol: str = "y",
) -> ScalarMappable | None:
    """One cell per grid point, contour lines over it, values written in when few cells.

    Non-finite cells stay blank; None (no colourbar) when no cell is finite.
    """
    xs, ys, z = grid(frame, metric, xcol, ycol)
    ex, ey = cell_edges(xs), cell_edges(ys)
    _label_axes(ax, xcol, ycol)
    ax.set_xlim(ex[0], ex[-1])
    ax.set_ylim(ey[0], ey[-1])
    if _nothing_finite(ax, z, metric, limits):
        _outline_centre(ax, xs, ys)
        return None
    scale = norm(metric, limits)
    cmap = plt.get_cmap(colour_map(metric))
    mesh = ax.pcolormesh(
        ex,
        ey,
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
    return mesh


def draw_surface(
    ax: Axes,
    frame: pd.DataFrame,
    metric: str,
    *,
    limits: Limits,
    xcol: str = "x",
    ycol: str = "y",
) -> ScalarMappable | None:
    """3-D surface on a ``projection="3d"`` axes with z fixed to ``limits``.

    mplot3d has no working log z-axis, so perplexity is drawn as log10 and the
    z ticks are labelled with the perplexity values themselves. Non-finite cells
    are holes; None (no colourbar) when no cell is finite.
    """
    xs, ys, z = grid(frame, metric, xcol, ycol)
    _need_2d(xs, ys, "surface plot")
    _label_axes(ax, xcol, ycol)
    ax.set_zlabel(METRIC_NAMES.get(metric, metric))
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    if _nothing_finite(ax, z, metric, limits):
        return None
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
    return ScalarMappable(norm=norm(metric, limits), cmap=colour_map(metric))


def add_colourbar(fig: Figure, mappable: ScalarMappable, metric: str, **where) -> Colorbar:
    """Colourbar labelled with the metric; log scales get ticks at 1, 2, 5 × 10^k."""
    bar = fig.colorbar(mappable, label=metric_label(metric), **where)
    if isinstance(mappable.norm, LogNorm):
        bar.set_ticks(LogLocator(subs=(1.0, 2.0, 5.0)))
        bar.ax.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
        bar.ax.yaxis.set_minor_locator(NullLocator())
    return bar


def panels(
    count: int, panel: tuple[float, float], *, three_d: bool = False, suptitle: bool = False
) -> tuple[Figure, list[Axes], Axes]:
    """A figure of ``count`` panels of ``panel`` inches in a row, and a colourbar's axes.

    Every margin is fixed in inches, so figures need no layout pass when saved.
    """
    width, height = panel
    fig = plt.figure(figsize=(count * width + COLOURBAR["column"], height + suptitle * SUPTITLE))
    fig_w, fig_h = fig.get_size_inches()
    bottom, top = MARGINS["bottom"], height - MARGINS["top"]
    inner = width - MARGINS["left"] - MARGINS["right"]
    axes = []
    for i in range(count):
        left = i * width + MARGINS["left"]
        rect = (left / fig_w, bottom / fig_h, inner / fig_w, (top - bottom) / fig_h)
        axes.append(fig.add_axes(rect, projection="3d" if three_d else None))
    bar_left = count * width + COLOURBAR["pad"]
    bar = fig.add_axes(
        (bar_left / fig_w, bottom / fig_h, COLOURBAR["width"] / fig_w, (top - bottom) / fig_h)
    )
    return fig, axes, bar


def finish(fig: Figure, bar: Axes, mappable: ScalarMappable | None, metric: str) -> None:
    """Colourbar when anything was drawn; otherwise the bar's axes go, the panels said why."""
    if mappable is None:
        bar.remove()
    else:
        add_colourbar(fig, mappable, metric, cax=bar)


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
    fig, (ax,), bar = panels(1, (4.9, 5))
    mappable = draw_contour(ax, frame, metric, limits=limits, xcol=xcol, ycol=ycol, levels=levels)
    finish(fig, bar, mappable, metric)
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
    fig, (ax,), bar = panels(1, (5.9, 5.5), three_d=True)
    mappable = draw_surface(ax, frame, metric, limits=limits, xcol=xcol, ycol=ycol)
    finish(fig, bar, mappable, metric)
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
    fig, (ax,), bar = panels(1, (4.9, 5))
    mappable = draw_heatmap(ax, frame, metric, limits=limits, xcol=xcol, ycol=ycol)
    finish(fig, bar, mappable, metric)
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
    painters = {"contour": draw_contour, "surface": draw_surface, "heatmap": draw_heatmap}
    if kind not in painters:
        raise ValueError(f"kind must be contour, surface or heatmap, got {kind!r}")
    limits = limits or colour_limits(pd.concat(frames_by_model.values()), metric)
    fig, axes, bar = panels(
        len(frames_by_model), (3.6, 4.2), three_d=kind == "surface", suptitle=True
    )
    mappable = None
    for ax, (model, frame) in zip(axes, frames_by_model.items(), strict=True):
        options = {"limits": limits, "xcol": xcol, "ycol": ycol}
        mappable = painters[kind](ax, frame, metric, **options) or mappable
        ax.set_title(model)
    finish(fig, bar, mappable, metric)
    fig.suptitle(title)
    return fig


def save_figure(fig: Figure, paths: Paths, dpi: int = 150) -> None:
    """Write the one drawing to each path, PNG or PDF by suffix, atomically and
    byte-reproducibly, then close ``fig``.

    Pass every format of a figure at once: the figure is built once for all of them.
    """
    paths = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    try:
        for path in paths:
            suffix = Path(path).suffix.lower()
            if suffix not in SAVE_METADATA:
                raise ValueError(
                    f"{path}: figures are saved as .png or .pdf, not {suffix or 'no suffix'}"
                )
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=suffix[1:], dpi=dpi, metadata=SAVE_METADATA[suffix])
    finally:
        plt.close(fig)


def last_epochs(tidy: pd.DataFrame) -> pd.DataFrame:
    """Each model's rows at the last epoch drawn for it: runs the plateau rule
    stopped early end at different epochs, and each is shown where it ended."""
    last = tidy.groupby("model")["epoch"].transform("max")
    return tidy[tidy["epoch"] == last]
