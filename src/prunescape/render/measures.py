"""Figures of the landscape measures beyond the 2-D grids: the Hessian spectrum, the
loss along lines between models, and the training trajectory on its own plane."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from prunescape.render.surfaces import colour_limits, draw_contour, finish, panels

# Line kinds in drawing order, as the workflow names them.
LINE_KINDS = ("same mask", "from the baseline", "data order")


def _model_colours(models: list[str]) -> dict[str, tuple]:
    palette = plt.get_cmap("tab10")
    return {model: palette(i % 10) for i, model in enumerate(models)}


def spectrum_figure(hessian: pd.DataFrame, models: list[str], seed: int) -> Figure:
    """λmax by epoch (seed ``seed``), and λmax and trace per kept weight at each run's
    last epoch, every seed a dot and the mean over seeds a bar."""
    eigen = hessian[hessian["quantity"] == "eigenvalue"]
    top = eigen.groupby(["seed", "model", "epoch"], as_index=False)["value"].max()
    wide = hessian.pivot_table(
        index=["seed", "model", "epoch"],
        columns="quantity",
        values="value",
        aggfunc="first",
        dropna=False,
    ).reset_index()
    wide = wide.merge(top.rename(columns={"value": "lambda_max"}), on=["seed", "model", "epoch"])
    wide["trace_per_weight"] = wide["trace"] / wide["kept_weights"]
    last = wide[wide["epoch"] == wide.groupby(["seed", "model"])["epoch"].transform("max")]
    colours = _model_colours(models)
    fig, (by_epoch, lam, trace) = plt.subplots(1, 3, figsize=(14, 4.2))
    for model in models:
        run = wide[(wide["seed"] == seed) & (wide["model"] == model)].sort_values("epoch")
        by_epoch.plot(run["epoch"], run["lambda_max"], "o-", color=colours[model], label=model)
    by_epoch.set(xlabel="epoch", ylabel="λmax (kept weights)", title=f"λmax by epoch, seed {seed}")
    by_epoch.set_yscale("symlog", linthresh=1.0)
    by_epoch.legend(fontsize="small")
    seeds = last["seed"].nunique()
    for ax, column, label in (
        (lam, "lambda_max", "λmax"),
        (trace, "trace_per_weight", "trace / kept weight"),
    ):
        for i, model in enumerate(models):
            values = last.loc[last["model"] == model, column].to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            ax.bar(i, finite.mean() if finite.size else np.nan, color=colours[model], alpha=0.4)
            ax.plot(np.full(values.size, i), values, "o", color=colours[model])
        ax.set_xticks(range(len(models)), models, rotation=30, ha="right")
        ax.set(
            ylabel=label,
            title=f"{label} at the last epoch\n(bar: mean of {seeds} seeds; dots: seeds)",
        )
    fig.tight_layout()
    return fig


def lines_figure(lines: pd.DataFrame, barriers: pd.DataFrame | None = None) -> Figure:
    """Loss along each line, mean over seeds with the seeds' range as a band, one panel
    per kind of pair; the ends t = 0 and t = 1 are the two models. With ``barriers``
    (``barriers.csv``), each legend entry gives the line's mean loss barrier."""
    kinds = [kind for kind in LINE_KINDS if kind in set(lines["kind"])]
    fig, axes = plt.subplots(1, max(len(kinds), 1), figsize=(4.8 * max(len(kinds), 1), 4.2))
    axes = np.atleast_1d(axes)
    seeds = lines["seed"].nunique()
    for ax, kind in zip(axes, kinds, strict=False):
        of_kind = lines[lines["kind"] == kind]
        pairs = list(dict.fromkeys(zip(of_kind["a"], of_kind["b"], strict=True)))
        colours = _model_colours([f"{a} → {b}" for a, b in pairs])
        for a, b in pairs:
            pair = of_kind[(of_kind["a"] == a) & (of_kind["b"] == b)]
            spread = pair.groupby("t")["loss"].agg(["mean", "min", "max"])
            colour = colours[f"{a} → {b}"]
            label = f"{a} → {b}"
            if barriers is not None:
                heights = barriers.loc[(barriers["a"] == a) & (barriers["b"] == b), "loss_barrier"]
                label += f" (barrier {heights.mean():.3g})"
            ax.plot(spread.index, spread["mean"], color=colour, label=label)
            ax.fill_between(spread.index, spread["min"], spread["max"], color=colour, alpha=0.2)
        for end in (0.0, 1.0):
            ax.axvline(end, color="grey", linewidth=0.6, linestyle=":")
        ax.set(xlabel="t: (1 − t)·a + t·b", ylabel="loss", title=f"{kind} ({seeds} seeds)")
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def trajectory_figure(
    surfaces: Mapping[str, pd.DataFrame],
    paths: Mapping[str, pd.DataFrame],
    metric: str = "loss",
    title: str = "",
) -> Figure:
    """One panel per model: ``metric`` on the model's trajectory plane with the path of
    its epoch checkpoints, on one colour scale; panel titles give the two components'
    explained variance."""
    if not surfaces:
        raise ValueError("trajectory_figure needs at least one model")
    drawn = [surface for surface in surfaces.values() if len(surface)]
    limits = colour_limits(pd.concat(drawn), metric) if drawn else None
    fig, axes, bar = panels(len(surfaces), (3.6, 4.2), suptitle=True)
    mappable = None
    for ax, (model, surface) in zip(axes, surfaces.items(), strict=True):
        if surface.empty or paths[model].empty:
            ax.set_title(model)
            ax.text(
                0.5,
                0.5,
                "no trajectory plane\n(diverged, or < 3 checkpoints)",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="firebrick",
            )
            continue
        mappable = draw_contour(ax, surface, metric, limits=limits) or mappable
        path = paths[model].sort_values("epoch")
        ax.plot(path["x"], path["y"], "o-", color="white", markeredgecolor="black", markersize=4)
        for end in (path.iloc[0], path.iloc[-1]):
            ax.annotate(f"{int(end['epoch'])}", (end["x"], end["y"]), fontsize=8)
        ax.set_xlabel("PC 1 (parameter distance)")
        ax.set_ylabel("PC 2 (parameter distance)")
        explained = path[["explained_x", "explained_y"]].iloc[0] * 100
        ax.set_title(f"{model}: {explained.iloc[0]:.0f} % + {explained.iloc[1]:.0f} %", fontsize=9)
    finish(fig, bar, mappable, metric)
    fig.suptitle(title)
    return fig
