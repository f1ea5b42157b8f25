"""Figures of E1: raw and smoothed curves, learning-rate drops, log-log decay."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from prunescape.attention.analysis import lr_drops

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


def curves_figure(runs: dict[str, pd.DataFrame], smoothing: float = 0.0) -> plt.Figure:
    """2×2 panels of every setting's curves; dotted verticals mark LR reductions."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), constrained_layout=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (setting, metrics) in enumerate(runs.items()):
        colour = colours[i % len(colours)]
        for ax, (column, label) in zip(axes.flat, PANELS, strict=True):
            values = metrics[column].to_numpy(dtype=float)
            if smoothing:
                values = smooth(values, smoothing)
            ax.plot(metrics["epoch"], values, color=colour, label=setting)
            for epoch in lr_drops(metrics):
                ax.axvline(epoch, color=colour, linestyle=":", linewidth=1)
            ax.set_title(label)
            ax.set_xlabel("epoch")
    axes[0, 0].legend()
    title = "E1: optimisers on one attention block"
    fig.suptitle(title + (f" (smoothed, EMA {smoothing})" if smoothing else ""))
    return fig


def loglog_figure(runs: dict[str, pd.DataFrame], split: str = "val") -> plt.Figure:
    """loss − best loss against epoch on log-log axes, with O(1/T) and O(1/T²) guides."""
    fig, ax = plt.subplots(figsize=(7, 5), constrained_layout=True)
    epochs = None
    top = 0.0
    for setting, metrics in runs.items():
        loss = metrics[f"{split}_loss"].to_numpy(dtype=float)
        gap = loss[1:] - loss.min()
        epochs = metrics["epoch"].to_numpy()[1:]
        keep = gap > 0
        ax.loglog(epochs[keep], gap[keep], marker=".", label=setting)
        top = max(top, gap[keep].max(initial=0))
    if epochs is not None and top > 0:
        t = np.arange(1, epochs.max() + 1, dtype=float)
        ax.loglog(t, top / t, "k--", linewidth=1, label="O(1/T)")
        ax.loglog(t, top / t**2, "k:", linewidth=1, label="O(1/T²)")
    ax.set_xlabel("epoch T")
    ax.set_ylabel(f"{split} loss − best {split} loss")
    ax.set_title("E1: convergence rate against O(1/T) and O(1/T²)")
    ax.legend()
    return fig
