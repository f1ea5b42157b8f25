"""Convergence summaries of E1: decay exponents and epochs to a loss threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd


def decay_exponent(loss: np.ndarray) -> float:
    """Slope p of log(loss_t − best) against log t, so that the gap decays like t^−p.

    Fitted over epochs 1 .. (epoch of the best loss − 1): after the best epoch the
    gap is zero or noise. Returns NaN when fewer than three points are usable.
    """
    loss = np.asarray(loss, dtype=float)
    best_epoch = int(np.argmin(loss))
    epochs = np.arange(1, best_epoch)
    gap = loss[1:best_epoch] - loss[best_epoch]
    usable = gap > 0
    if usable.sum() < 3:
        return float("nan")
    slope, _ = np.polyfit(np.log(epochs[usable]), np.log(gap[usable]), 1)
    return float(-slope)


def epochs_to_threshold(loss: np.ndarray, threshold: float) -> float:
    """First epoch whose loss is at or below ``threshold`` (NaN if never)."""
    hits = np.flatnonzero(np.asarray(loss) <= threshold)
    return float(hits[0]) if hits.size else float("nan")


def lr_drops(metrics: pd.DataFrame) -> list[int]:
    """Epochs whose learning rate is lower than the epoch before (plateau reductions)."""
    lr = metrics["lr"].to_numpy()
    return [int(e) for e in metrics["epoch"].to_numpy()[1:][lr[1:] < lr[:-1]]]


def summarise(runs: dict[str, pd.DataFrame], threshold: float) -> pd.DataFrame:
    """One row per setting and split, ordered by the validation convergence speed."""
    rows = []
    for setting, metrics in runs.items():
        for split in ("train", "val"):
            loss = metrics[f"{split}_loss"].to_numpy()
            rows.append(
                {
                    "setting": setting,
                    "split": split,
                    "decay_exponent": decay_exponent(loss),
                    "epochs_to_threshold": epochs_to_threshold(loss, threshold),
                    "threshold": threshold,
                    "best_loss": float(loss.min()),
                    "final_loss": float(loss[-1]),
                    "final_acc": float(metrics[f"{split}_acc"].iloc[-1]),
                    "lr_drops": len(lr_drops(metrics)),
                }
            )
    return pd.DataFrame(rows)


def convergence_order(summary: pd.DataFrame) -> list[str]:
    """Settings from fastest to slowest: fewer epochs to threshold, then lower final loss."""
    val = summary[summary["split"] == "val"].copy()
    val["reach"] = val["epochs_to_threshold"].fillna(np.inf)
    return val.sort_values(["reach", "final_loss"])["setting"].tolist()
