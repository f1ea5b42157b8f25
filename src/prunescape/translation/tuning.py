"""The tune stage: one dense baseline per learning-rate multiplier, and the choice.

The choice is the multiplier with the lowest best validation loss. A choice at
either end of the grid is flagged: the optimum may lie outside it, so the grid
should be widened before the schedule is trusted.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from prunescape.workflow import ConfigError


def tune_grid(runs: list[dict], metrics: dict[float, pd.DataFrame]) -> pd.DataFrame:
    """One row per lr_mul: best validation loss and accuracy, epochs run, how it ended.

    ``runs`` holds each run's ``run.json`` with its ``lr_mul`` added.
    """
    rows = []
    for run in sorted(runs, key=lambda r: r["lr_mul"]):
        frame = metrics[run["lr_mul"]]
        trained = frame[frame["epoch"] > 0]
        best = run["best_val_loss"]
        best_row = trained[trained["epoch"] == run["best_epoch"]]
        rows.append(
            {
                "lr_mul": run["lr_mul"],
                "best_val_loss": math.nan if best is None else best,
                "best_val_acc": float(best_row["val_acc"].iloc[0]) if len(best_row) else math.nan,
                "best_epoch": run["best_epoch"],
                "epochs_run": run["epochs_run"],
                "converged": run["converged"],
                "diverged": run["diverged"],
            }
        )
    return pd.DataFrame(rows)


def choose(grid: pd.DataFrame) -> dict:
    """The lr_mul with the lowest best validation loss (diverged runs never win)."""
    usable = grid[~grid["diverged"] & grid["best_val_loss"].map(math.isfinite)]
    if usable.empty:
        raise ValueError("every run of the tune grid diverged; lower tune.lr_muls")
    best = usable.loc[usable["best_val_loss"].idxmin()]
    values = sorted(grid["lr_mul"])
    return {
        "lr_mul": float(best["lr_mul"]),
        "best_val_loss": float(best["best_val_loss"]),
        "grid": values,
        "at_edge": bool(best["lr_mul"] in (values[0], values[-1])),
        "converged": bool(best["converged"]),
    }


def chosen_run(choice: dict, statuses: list[str | os.PathLike]) -> Path:
    """The folder of the tune run at ``choice``'s lr_mul, among the runs' ``run.json``
    files (folders ``lr_mul_<value:g>``)."""
    name = f"lr_mul_{choice['lr_mul']:g}"
    folders = [Path(status).parent for status in statuses if Path(status).parent.name == name]
    if len(folders) != 1:
        raise ConfigError(
            f"tune choice lr_mul {choice['lr_mul']:g}: expected one tune run folder {name}, "
            f"found {len(folders)} among {[str(Path(s).parent) for s in statuses]}"
        )
    return folders[0]


def tune_figure(grid: pd.DataFrame, metrics: dict[float, pd.DataFrame], choice: dict) -> plt.Figure:
    """Best validation loss against lr_mul (log axis), beside each run's curve."""
    fig, (grid_ax, curve_ax) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    grid_ax.plot(grid["lr_mul"], grid["best_val_loss"], marker="o")
    grid_ax.axvline(choice["lr_mul"], color="grey", linestyle=":", label="chosen")
    grid_ax.set(xscale="log", xlabel="lr_mul", ylabel="best validation loss per token")
    grid_ax.legend()
    for lr_mul, frame in sorted(metrics.items()):
        curve_ax.plot(frame["epoch"], frame["val_loss"], marker=".", label=f"lr_mul {lr_mul:g}")
    curve_ax.set(xlabel="epoch", ylabel="validation loss per token", yscale="log")
    curve_ax.legend()
    fig.suptitle("Tune stage: dense baseline of the tune seed, one run per lr_mul")
    return fig
