"""Experiment 3's comparison of the baseline and its retrained tickets."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd


def comparison_table(
    metrics: dict[str, pd.DataFrame], bleu: dict[str, float], sparsity: dict[str, float]
) -> pd.DataFrame:
    """Best and final validation metrics, BLEU, epoch of best and sparsity per model."""
    rows = []
    for model, frame in metrics.items():
        trained = frame[frame["epoch"] > 0]
        finite = trained[trained["val_loss"].map(math.isfinite)]
        # A diverged run (non-finite losses) keeps a row, marked, instead of failing
        # the comparison: its best epoch is its last finite one, if any.
        best = finite.loc[finite["val_loss"].idxmin()] if len(finite) else trained.iloc[-1]
        final = trained.iloc[-1]
        rows.append(
            {
                "model": model,
                "sparsity": sparsity.get(model, 0.0),
                "best_val_loss": best["val_loss"],
                "best_val_ppl": best["val_ppl"],
                "best_val_acc": trained["val_acc"].max(),
                "best_epoch": int(best["epoch"]),
                "final_val_loss": final["val_loss"],
                "final_val_ppl": final["val_ppl"],
                "final_val_acc": final["val_acc"],
                "bleu": bleu[model],
                "diverged": not (
                    math.isfinite(final["val_loss"]) and math.isfinite(final["train_loss"])
                ),
            }
        )
    return pd.DataFrame(rows)


def markdown_table(table: pd.DataFrame) -> str:
    """The table as GitHub Markdown, numbers rounded for reading."""
    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    lines = [header, rule]
    for _, row in table.iterrows():
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def convergence_figure(metrics: dict[str, pd.DataFrame]) -> plt.Figure:
    """Validation loss and token accuracy against epoch, one line per model."""
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
    for model, frame in metrics.items():
        style = "-" if model == "baseline" else ("--" if model.startswith("random") else "-.")
        loss_ax.plot(frame["epoch"], frame["val_loss"], style, marker=".", label=model)
        acc_ax.plot(frame["epoch"], frame["val_acc"], style, marker=".", label=model)
    loss_ax.set(xlabel="epoch", ylabel="validation loss per token", yscale="log")
    acc_ax.set(xlabel="epoch", ylabel="validation token accuracy")
    loss_ax.legend()
    fig.suptitle("E3: baseline against retrained tickets (w0 = recorded init, random = new init)")
    return fig
