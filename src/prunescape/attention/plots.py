"""Figures of E1: curves as the mean over seeds with a min–max band, and the rate fits."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from prunescape.attention.analysis import lr_drops
from prunescape.attention.rate import exponential, power_law

PANELS = [
    ("train_loss", "train loss"),
    ("val_loss", "validation loss"),
    ("train_acc", "train accuracy"),
    ("val_acc", "validation accuracy"),
]


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """Exponential moving average, the usual 'smoothed curve' of training dashboards."""
    out = np.empty(len(values))
    acc = values[0]
    for i, v in enumerate(values):
        acc = weight * acc + (1 - weight) * v
        out[i] = acc
    return out


def _by_setting(runs: dict[tuple[int, str], pd.DataFrame]) -> dict[str, list[pd.DataFrame]]:
    grouped: dict[str, list[pd.DataFrame]] = {}
    for (_, setting), frame in runs.items():
        grouped.setdefault(setting, []).append(frame)
    return grouped


def curves_figure(runs: dict[tuple[int, str], pd.DataFrame], smoothing: float = 0.0) -> plt.Figure:
    """2×2 panels of each setting's per-epoch metrics over its seeds.

    Line: mean over seeds; band: lowest to highest seed; dotted verticals: epochs
    at which any seed's learning rate had been lowered by ReduceLROnPlateau.
    """
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), constrained_layout=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (setting, frames) in enumerate(_by_setting(runs).items()):
        colour = colours[i % len(colours)]
        epochs = frames[0]["epoch"].to_numpy()
        drops = sorted({epoch for frame in frames for epoch in lr_drops(frame)})
        for ax, (column, label) in zip(axes.flat, PANELS, strict=True):
            values = np.stack([frame[column].to_numpy(dtype=float) for frame in frames])
            if smoothing:
                values = np.stack([smooth(row, smoothing) for row in values])
            ax.plot(epochs, values.mean(0), color=colour, label=f"{setting} (n={len(frames)})")
            ax.fill_between(epochs, values.min(0), values.max(0), color=colour, alpha=0.2)
            for epoch in drops:
                ax.axvline(epoch, color=colour, linestyle=":", linewidth=1)
            ax.set_title(label)
            ax.set_xlabel("epoch")
    axes[0, 0].legend()
    title = "E1: optimisers on one attention block (mean over seeds, band min–max)"
    fig.suptitle(title + (f", smoothed (EMA {smoothing})" if smoothing else ""))
    return fig


def rate_figure(steps: dict[tuple[int, str], pd.DataFrame], summary: pd.DataFrame) -> plt.Figure:
    """One panel per setting: per-step training loss (mean over seeds) on a log step
    axis, with every seed's fitted power law (solid) and exponential (dashed)."""
    grouped = _by_setting(steps)
    cols = min(3, len(grouped))
    rows = math.ceil(len(grouped) / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False, constrained_layout=True
    )
    for ax, (setting, frames) in zip(axes.flat, grouped.items(), strict=False):
        t = frames[0]["step"].to_numpy(dtype=float)
        mean = np.stack([frame["loss"].to_numpy(dtype=float) for frame in frames]).mean(0)
        ax.plot(t, mean, color="0.6", linewidth=0.7, label="loss, mean over seeds")
        fits = summary[summary["setting"] == setting]
        for fit in fits.itertuples():
            power = (fit.rate_floor, fit.rate_scale, fit.rate_p)
            exp = (fit.rate_exp_floor, fit.rate_exp_scale, fit.rate_exp_rate)
            ax.plot(t, power_law(t, *power), color="C0", linewidth=1)
            ax.plot(t, exponential(t, *exp), color="C3", linestyle="--", linewidth=1)
        wins = int((fits["rate_winner"] == "power").sum())
        ax.set_xscale("log")
        ax.set_title(
            f"{setting}: p = {fits['rate_p'].mean():.2f} (mean); AIC: power {wins}/{len(fits)}",
            fontsize=9,
        )
        ax.set_xlabel("step t")
        ax.set_ylabel("train loss")
    for ax in axes.flat[len(grouped) :]:
        ax.set_visible(False)
    axes.flat[0].plot([], [], color="C0", label="L∞ + c·t^−p, per seed")
    axes.flat[0].plot([], [], color="C3", linestyle="--", label="L∞ + c·e^−λt, per seed")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("E1: decay of the training loss, power law against exponential")
    return fig
