"""E3's comparison table: best and final metrics per model, diverged runs kept and marked."""

import math

import pandas as pd

from prunescape.tickets import comparison_table

NAN = float("nan")


def metrics(val_losses, train_losses=None):
    epochs = range(len(val_losses))
    train_losses = train_losses or [NAN, *val_losses[1:]]
    return pd.DataFrame(
        {
            "epoch": list(epochs),
            "train_loss": train_losses,
            "val_loss": val_losses,
            "val_ppl": [math.exp(v) if math.isfinite(v) else NAN for v in val_losses],
            "val_acc": [0.1 * e for e in epochs],
        }
    )


def test_best_epoch_and_final_values():
    table = comparison_table({"baseline": metrics([3.0, 2.0, 1.5, 1.7])}, {"baseline": 9.5}, {})
    row = table.iloc[0]
    assert row["best_epoch"] == 2 and row["best_val_loss"] == 1.5
    assert row["final_val_loss"] == 1.7 and row["bleu"] == 9.5
    assert not row["diverged"]


def test_diverged_run_is_marked_not_fatal():
    frames = {
        "baseline": metrics([3.0, 2.0, NAN]),
        "w0-80": metrics([3.0, NAN]),
    }
    table = comparison_table(frames, {"baseline": 0.0, "w0-80": 0.0}, {"w0-80": 0.8})
    by_model = table.set_index("model")
    assert by_model["diverged"].tolist() == [True, True]
    assert by_model.loc["baseline", "best_epoch"] == 1  # the last finite epoch
    assert by_model.loc["w0-80", "best_epoch"] == 1 and by_model.loc["w0-80", "sparsity"] == 0.8
    assert math.isnan(by_model.loc["w0-80", "final_val_loss"])
