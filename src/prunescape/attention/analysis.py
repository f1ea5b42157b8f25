"""Per-run summaries of E1: speed, final quality, learning-rate drops and the decay rate."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from prunescape.attention.rate import fit_rate


def epochs_to_threshold(loss: np.ndarray, threshold: float) -> float:
    """First epoch whose loss is at or below ``threshold`` (NaN if never)."""
    hits = np.flatnonzero(np.asarray(loss) <= threshold)
    return float(hits[0]) if hits.size else float("nan")


def loss_area(loss: np.ndarray) -> float:
    """Area under a per-epoch loss curve (trapezoid, epochs 0..E) divided by E.

    The mean loss over training: lower is faster. Unlike epochs to a threshold it
    is defined for every run, so runs of one seed pair up without gaps.
    """
    loss = np.asarray(loss, dtype=float)
    return float(np.trapezoid(loss) / (loss.size - 1))


def lr_drops(metrics: pd.DataFrame) -> list[int]:
    """Epochs trained at a lower learning rate than the epoch before (plateau reductions)."""
    lr = metrics["lr"].to_numpy()
    return [int(e) for e in metrics["epoch"].to_numpy()[1:][lr[1:] < lr[:-1]]]


def convergence_summary(
    runs: dict[tuple[int, str], tuple[pd.DataFrame, pd.DataFrame]], threshold: float
) -> pd.DataFrame:
    """One row per (seed, setting) run, from its per-epoch metrics and per-step losses.

    Columns: speed (``val_loss_area``, ``epochs_to_threshold``), final quality, the
    number of learning-rate drops, and both rate fits of the per-step train loss
    (``rate_*`` from :class:`~prunescape.attention.rate.RateFit`, ``rate_winner``).
    """
    rows = []
    for (seed, setting), (metrics, steps) in runs.items():
        val_loss = metrics["val_loss"].to_numpy(dtype=float)
        fit = fit_rate(steps["step"].to_numpy(), steps["loss"].to_numpy())
        rows.append(
            {
                "seed": seed,
                "setting": setting,
                "epochs": int(metrics["epoch"].iloc[-1]),
                "lr_drops": len(lr_drops(metrics)),
                "val_loss_area": loss_area(val_loss),
                "epochs_to_threshold": epochs_to_threshold(val_loss, threshold),
                "threshold": threshold,
                "final_train_loss": float(metrics["train_loss"].iloc[-1]),
                "final_val_loss": float(val_loss[-1]),
                "best_val_loss": float(val_loss.min()),
                "final_val_acc": float(metrics["val_acc"].iloc[-1]),
                **{f"rate_{key}": value for key, value in asdict(fit).items()},
                "rate_winner": fit.winner,
            }
        )
    return pd.DataFrame(rows)
