"""Experiment 3's comparison of the dense baseline and its retrained tickets, over seeds.

One row per (seed, model) run. Models are ``baseline`` (init ``dense``, rate 0) and
``<init>-<rate>`` tickets (``w0-80``: 80 % of the baseline's prunable weights
removed, retrained from the baseline's own init w0; ``random-80``: the same mask
from a fresh init). Runs of one seed share the data and the mask, so they pair.

Columns:

- ``pruned_prunable`` / ``pruned_all``: share of the prunable weights / of all
  model parameters (a tied matrix counted once) that the mask removes; 0 for the
  baseline.
- ``epochs_run``, ``max_epochs``, ``steps``, ``converged``, ``diverged``,
  ``stopped_by``: how the run ended (``run.json``). A diverged run keeps its row.
- ``best_epoch``, ``best_val_loss``: the epoch with the lowest validation loss
  (the checkpoint BLEU is measured on); ``best_val_acc``: validation token
  accuracy of that same epoch (the best checkpoint's accuracy); ``max_val_acc``:
  the highest validation accuracy of any epoch (not necessarily the same epoch);
  ``final_val_loss``, ``final_val_acc``: the last epoch run.
- ``bleu``: test BLEU of the best checkpoint.
- ``steps_to_acc_<pct>``: the first optimiser step whose epoch-end validation
  accuracy is ≥ the target (NaN if never): the speed measure by targets.
- ``val_loss_auc``: mean validation loss over the common step range
  0..``auc_end_step`` (the epoch curve interpolated linearly in steps), the same
  range for every run of the table: the smallest final step of the runs that did
  not diverge. Lower is faster. NaN for a run whose finite curve stops short of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

BASELINE = "baseline"
INIT_ORDER = ("dense", "w0", "random", "rewind")


@dataclass(frozen=True, eq=False)
class TicketRun:
    """One training run of E3: its per-epoch metrics, ``run.json`` and test BLEU."""

    seed: int
    model: str
    metrics: pd.DataFrame
    status: Mapping
    bleu: float


def _diverged(run: TicketRun) -> bool:
    return bool(run.status.get("diverged", False))


def model_init(model: str) -> tuple[str, int]:
    """``("dense", 0)`` for the baseline, ``("w0", 80)`` for ``w0-80``."""
    if model == BASELINE:
        return "dense", 0
    init, rate = model.rsplit("-", 1)
    return init, int(rate)


def model_sort_key(model: str) -> tuple[int, int]:
    """Baseline first, then by rate, w0 before random before rewind."""
    init, rate = model_init(model)
    return rate, INIT_ORDER.index(init) if init in INIT_ORDER else len(INIT_ORDER)


def acc_column(target: float) -> str:
    """``steps_to_acc_70`` for a target of 0.7."""
    return f"steps_to_acc_{100 * target:g}"


def acc_targets_of(table: pd.DataFrame) -> list[float]:
    """The accuracy targets whose ``steps_to_acc_<pct>`` columns ``table`` holds, ascending."""
    prefix = "steps_to_acc_"
    return sorted(float(c[len(prefix) :]) / 100 for c in table.columns if c.startswith(prefix))


def steps_to_acc(metrics: pd.DataFrame, target: float) -> float:
    """First step whose validation accuracy is ≥ ``target``; NaN if no epoch reached it."""
    hit = metrics.loc[metrics["val_acc"] >= target, "step"]
    return float(hit.iloc[0]) if len(hit) else math.nan


def final_step(metrics: pd.DataFrame) -> float:
    return float(metrics["step"].iloc[-1])


def common_end_step(runs: Sequence[TicketRun]) -> float:
    """The smallest final step among the runs that did not diverge (NaN if all diverged)."""
    ends = [final_step(r.metrics) for r in runs if not _diverged(r)]
    return min(ends) if ends else math.nan


def _finite_curve(metrics: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of ``column`` up to the last epoch before a non-finite value."""
    values = metrics[column].to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    stop = bad[0] if len(bad) else len(values)
    return metrics["step"].to_numpy(dtype=float)[:stop], values[:stop]


def mean_over_steps(metrics: pd.DataFrame, column: str, end: float) -> float:
    """Mean of ``column`` over steps 0..``end``, linear in steps between epochs.

    The exact integral of the piecewise-linear curve divided by ``end``; NaN when the
    curve's finite part stops before ``end`` (a diverged run) or ``end`` is not positive.
    """
    steps, values = _finite_curve(metrics, column)
    if not (math.isfinite(end) and end > 0) or len(steps) == 0 or steps[-1] < end:
        return math.nan
    inside = steps < end
    xs = np.append(steps[inside], end)
    ys = np.append(values[inside], np.interp(end, steps, values))
    return float(np.trapezoid(ys, xs) / end)


def _at_epoch(metrics: pd.DataFrame, epoch: int | None, column: str) -> float:
    if epoch is None:
        return math.nan
    hit = metrics.loc[metrics["epoch"] == epoch, column]
    return float(hit.iloc[0]) if len(hit) else math.nan


def _optional(value: object) -> float:
    return math.nan if value is None else float(value)


def comparison_table(
    runs: Sequence[TicketRun],
    sparsity: Mapping[tuple[int, int], Mapping],
    acc_targets: Sequence[float],
) -> pd.DataFrame:
    """One row per (seed, model) run, baseline first, then by rate and init; seeds ascending.

    ``sparsity[(seed, rate)]`` is that seed's ``sparsity_report`` at ``rate`` (in %).
    """
    end = common_end_step(runs)
    rows = []
    for run in runs:
        init, rate = model_init(run.model)
        report = sparsity.get((run.seed, rate), {}) if rate else {}
        metrics, status = run.metrics, run.status
        trained = metrics[metrics["epoch"] > 0]
        best_epoch = status.get("best_epoch")
        row = {
            "seed": run.seed,
            "model": run.model,
            "init": init,
            "rate": rate,
            "pruned_prunable": float(report.get("pruned_prunable", math.nan)) if rate else 0.0,
            "pruned_all": float(report.get("pruned_all", math.nan)) if rate else 0.0,
            "epochs_run": int(status["epochs_run"]),
            "max_epochs": int(status["max_epochs"]),
            "steps": int(status["steps"]),
            "converged": bool(status["converged"]),
            "diverged": bool(status["diverged"]),
            "stopped_by": status.get("stopped_by", ""),
            "best_epoch": int(best_epoch) if best_epoch is not None else -1,
            "best_val_loss": _optional(status.get("best_val_loss")),
            "best_val_acc": _at_epoch(metrics, best_epoch, "val_acc"),
            "max_val_acc": float(trained["val_acc"].max()) if len(trained) else math.nan,
            "final_val_loss": float(trained["val_loss"].iloc[-1]) if len(trained) else math.nan,
            "final_val_acc": float(trained["val_acc"].iloc[-1]) if len(trained) else math.nan,
            "bleu": float(run.bleu),
        }
        for target in sorted(acc_targets):
            row[acc_column(target)] = steps_to_acc(metrics, target)
        row["val_loss_auc"] = mean_over_steps(metrics, "val_loss", end)
        row["auc_end_step"] = end
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    order = table["model"].map(model_sort_key)
    table = table.assign(_order=order).sort_values(["_order", "seed"], kind="stable")
    return table.drop(columns="_order").reset_index(drop=True)


def markdown_table(table: pd.DataFrame) -> str:
    """The table as GitHub Markdown (numbers rounded for reading) and what the columns mean."""
    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    lines = [header, rule]
    for _, row in table.iterrows():
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    end = table["auc_end_step"].iloc[0] if len(table) else math.nan
    lines += [
        "",
        f"val_loss_auc: mean validation loss over steps 0–{end:g}, the same range for every "
        "run (the smallest final step of the runs that did not diverge), the epoch curve "
        "interpolated linearly in steps; lower is faster. steps_to_acc_<pct>: first step "
        "whose epoch-end validation accuracy reached pct %. best_val_acc: validation "
        "accuracy of best_epoch (lowest validation loss, the checkpoint BLEU is measured on). "
        "pruned_prunable / pruned_all: share of the prunable weights / of all parameters "
        "removed.",
    ]
    return "\n".join(lines) + "\n"


def _mean_band(
    curves: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, min and max over curves on their joint steps, up to the shortest curve."""
    end = min(steps[-1] for steps, _ in curves)
    grid = np.unique(np.concatenate([steps[steps <= end] for steps, _ in curves]))
    stack = np.stack([np.interp(grid, steps, values) for steps, values in curves])
    return grid, stack.mean(axis=0), stack.min(axis=0), stack.max(axis=0)


def convergence_figure(
    runs: Sequence[TicketRun], acc_targets: Sequence[float] = (), auc_end: float | None = None
) -> plt.Figure:
    """Validation loss and token accuracy against step: per model the mean over seeds
    (line) and the min–max over seeds (band), up to that model's shortest run.
    Diverged runs are left out of the mean, counted in the legend and drawn thin up
    to their last finite epoch (marked x)."""
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
    models = sorted(dict.fromkeys(r.model for r in runs), key=model_sort_key)
    for index, model in enumerate(models):
        own = [r for r in runs if r.model == model]
        kept = [r for r in own if not _diverged(r)]
        init, _ = model_init(model)
        style = {"dense": "-", "w0": "-.", "random": "--"}.get(init, ":")
        label = f"{model} (n={len(kept)}" + (
            f", {len(own) - len(kept)} diverged, left out)" if len(kept) < len(own) else ")"
        )
        color = f"C{index % 10}"
        for ax, column in ((loss_ax, "val_loss"), (acc_ax, "val_acc")):
            curves = [_finite_curve(r.metrics, column) for r in kept]
            curves = [c for c in curves if len(c[0])]
            labelled = False
            if curves:
                grid, mean, low, high = _mean_band(curves)
                ax.plot(grid, mean, style, color=color, label=label)
                ax.fill_between(grid, low, high, color=color, alpha=0.15, linewidth=0)
                labelled = True
            for run in own:
                if not _diverged(run):
                    continue
                steps, values = _finite_curve(run.metrics, column)
                if not len(steps):
                    continue
                # A diverged run's finite part, thin, with an x where it ends.
                ax.plot(
                    steps,
                    values,
                    style,
                    color=color,
                    linewidth=0.7,
                    alpha=0.6,
                    label=None if labelled else label,
                )
                ax.plot(steps[-1:], values[-1:], "x", color=color)
                labelled = True
    for target in acc_targets:
        acc_ax.axhline(target, color="0.6", linewidth=0.6, linestyle=":")
    if auc_end is not None and math.isfinite(auc_end):
        for ax in (loss_ax, acc_ax):
            ax.axvline(auc_end, color="0.4", linewidth=0.8, linestyle=":")
        loss_ax.text(
            auc_end,
            0.01,
            " end of AUC range",
            transform=loss_ax.get_xaxis_transform(),
            va="bottom",
            ha="left",
            fontsize=7,
            color="0.4",
        )
    loss_ax.set(xlabel="optimiser step", ylabel="validation loss per token", yscale="log")
    acc_ax.set(xlabel="optimiser step", ylabel="validation token accuracy")
    loss_ax.legend(
        fontsize=8,
        title="line: mean over seeds, to the shortest run;\nband: min–max; x: diverged",
        title_fontsize=8,
    )
    fig.suptitle(
        "E3: baseline against retrained tickets (w0 = recorded init, random = new init), "
        "mean over seeds with min–max band"
    )
    return fig
