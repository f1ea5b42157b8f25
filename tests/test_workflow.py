"""The whole workflow on the tiny config: targets exist and hold the right values."""

import json

import pandas as pd
import pytest

pytestmark = pytest.mark.workflow


def test_attention_dataset_stats(tiny_run):
    stats = json.loads((tiny_run / "attention" / "dataset_stats.json").read_text())
    assert stats["train"] == 420 and stats["validation"] == 180
    assert stats["num_classes"] == 3 and len(stats["class_balance_train"]) == 3


def test_attention_metrics_per_setting(tiny_run):
    for setting in ("sgd", "adam_plateau"):
        metrics = pd.read_csv(tiny_run / "attention" / setting / "metrics.csv")
        assert list(metrics.columns) == [
            "epoch",
            "train_loss",
            "train_acc",
            "val_loss",
            "val_acc",
            "lr",
        ]
        assert metrics["epoch"].tolist() == [0, 1, 2, 3, 4]
        assert metrics["val_acc"].between(0, 1).all()
        assert metrics["val_loss"].iloc[-1] < metrics["val_loss"].iloc[0]
    sgd = pd.read_csv(tiny_run / "attention" / "sgd" / "metrics.csv")
    adam = pd.read_csv(tiny_run / "attention" / "adam_plateau" / "metrics.csv")
    assert sgd["lr"].eq(0.05).all()
    # The tiny config's plateau threshold makes every epoch after the first a stall.
    assert adam["lr"].tolist() == pytest.approx([0.003, 0.003, 0.003, 0.0015, 0.00075])


def test_attention_summary_and_figures(tiny_run):
    summary = pd.read_csv(tiny_run / "attention" / "summary.csv")
    assert set(summary["setting"]) == {"sgd", "adam_plateau"}
    assert set(summary["split"]) == {"train", "val"}
    row = summary[(summary.setting == "adam_plateau") & (summary.split == "val")].iloc[0]
    metrics = pd.read_csv(tiny_run / "attention" / "adam_plateau" / "metrics.csv")
    assert row["best_loss"] == pytest.approx(metrics["val_loss"].min(), rel=1e-6)
    assert row["lr_drops"] == 2
    for name in ("curves", "curves_smoothed", "convergence_loglog"):
        png = (tiny_run / "attention" / "figures" / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
