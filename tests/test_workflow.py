"""The whole workflow on the tiny config: targets exist and hold the right values."""

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pandas as pd
import pytest
import torch

from prunescape.io import load_checkpoint

pytestmark = pytest.mark.workflow


def test_attention_dataset_stats(tiny_run):
    stats = json.loads((tiny_run / "attention" / "dataset_stats.json").read_text())
    assert stats["train"] == 420 and stats["validation"] == 180
    assert stats["num_classes"] == 3 and len(stats["class_balance_train"]) == 3


def test_attention_metrics_per_setting(tiny_run):
    for setting in ("sgd", "adam_plateau"):
        metrics = pd.read_csv(tiny_run / "seed_0" / "attention" / setting / "metrics.csv")
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
    sgd = pd.read_csv(tiny_run / "seed_0" / "attention" / "sgd" / "metrics.csv")
    adam = pd.read_csv(tiny_run / "seed_0" / "attention" / "adam_plateau" / "metrics.csv")
    assert sgd["lr"].eq(0.05).all()
    # The tiny config's plateau threshold makes every epoch after the first a stall.
    assert adam["lr"].tolist() == pytest.approx([0.003, 0.003, 0.003, 0.0015, 0.00075])


def test_attention_seeds_differ_and_summary_pairs_them(tiny_run):
    """Each seed is its own replicate: another init and data order, same settings."""
    seed0 = pd.read_csv(tiny_run / "seed_0" / "attention" / "sgd" / "metrics.csv")
    seed1 = pd.read_csv(tiny_run / "seed_1" / "attention" / "sgd" / "metrics.csv")
    assert not np.allclose(seed0["val_loss"], seed1["val_loss"])
    summary = pd.read_csv(tiny_run / "attention" / "summary.csv")
    assert set(summary["setting"]) == {"sgd", "adam_plateau"}
    assert sorted(set(summary["seed"])) == [0, 1]
    row = summary[(summary.setting == "adam_plateau") & (summary.seed == 0)].iloc[0]
    metrics = pd.read_csv(tiny_run / "seed_0" / "attention" / "adam_plateau" / "metrics.csv")
    assert row["best_val_loss"] == pytest.approx(metrics["val_loss"].min(), rel=1e-6)
    assert row["lr_drops"] == 2
    for name in ("curves", "curves_smoothed", "rate_fit"):
        png = (tiny_run / "attention" / "figures" / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_translation_data_and_baseline(tiny_run):
    stats = json.loads((tiny_run / "data" / "stats.json").read_text())
    assert stats["splits"]["train"]["pairs"] == 300
    assert stats["splits"]["test"]["pairs"] == 40
    vocab = json.loads((tiny_run / "data" / "vocab.json").read_text())["itos"]
    assert vocab[:4] == ["<unk>", "<blank>", "<s>", "</s>"] and len(vocab) == stats["vocab_size"]
    base = tiny_run / "models" / "baseline"
    metrics = pd.read_csv(base / "metrics.csv")
    assert metrics["epoch"].tolist() == [0, 1, 2, 3]
    assert metrics["val_ppl"].to_numpy() == pytest.approx(np.exp(metrics["val_loss"]), rel=1e-6)
    assert metrics["val_loss"].iloc[-1] < metrics["val_loss"].iloc[0]
    for name in ("w0.pt", "final.pt", "epochs/epoch_001.pt", "epochs/epoch_003.pt"):
        assert (base / name).is_file()
    assert not (base / ".resume").exists()
    w_star, _ = load_checkpoint(base / "final.pt")
    last, _ = load_checkpoint(base / "epochs" / "epoch_003.pt")
    assert all(torch.equal(w_star[k], last[k]) for k in w_star)
    bleu = json.loads((base / "bleu.json").read_text())
    assert bleu["sentences"] == 40 and 0 <= bleu["bleu"] <= 100
    hypotheses = (base / "test_hypotheses.txt").read_text().splitlines()
    assert len(hypotheses) == 40


def test_masks_and_tickets(tiny_run):
    report = json.loads((tiny_run / "masks" / "sparsity_80.json").read_text())
    assert report["kept"] == report["total"] - round(0.8 * report["total"])
    masks, _ = load_checkpoint(tiny_run / "masks" / "rate_80.pt")
    base_w0, _ = load_checkpoint(tiny_run / "models" / "baseline" / "w0.pt")
    starts = {}
    for init in ("w0", "random"):
        run = tiny_run / "models" / f"{init}-80"
        start, _ = load_checkpoint(run / "w0.pt")
        final, _ = load_checkpoint(run / "final.pt")
        for name, mask in masks.items():
            assert torch.all(final[name][~mask] == 0), name
            assert torch.all(start[name][~mask] == 0), name
        starts[init] = start
    # The winning-ticket arm starts from the recorded init, the random arm does not.
    name = next(iter(masks))
    assert torch.equal(starts["w0"][name], base_w0[name] * masks[name])
    assert not torch.equal(starts["random"][name], starts["w0"][name])
    table = pd.read_csv(tiny_run / "tickets" / "comparison.csv")
    assert table["model"].tolist() == ["baseline", "w0-80", "random-80"]
    assert table.set_index("model").loc["w0-80", "sparsity"] == pytest.approx(0.8, abs=1e-3)
    assert (tiny_run / "tickets" / "comparison.md").read_text().startswith("| model |")


def test_landscapes(tiny_run):
    tidy = pd.read_csv(tiny_run / "landscape" / "landscapes.csv")
    assert set(tidy["model"]) == {"baseline", "w0-80", "random-80"}
    assert sorted(set(tidy["epoch"])) == [0, 3] and sorted(set(tidy["scale"])) == [0.2, 1.0]
    assert len(tidy) == 3 * 2 * 2 * 15
    grid = tidy[(tidy.model == "baseline") & (tidy.epoch == 3) & (tidy.scale == 1.0)]
    assert grid["x"].tolist()[:5] == pytest.approx([-1, -0.5, 0, 0.5, 1])
    assert grid["y"].tolist()[::5] == pytest.approx([-1, 0, 1])
    assert grid["ppl"].to_numpy() == pytest.approx(np.exp(grid["loss_sum"] / grid["count"]))
    # The centre of every scale is the trained model itself.
    centres = tidy[(tidy.x == 0) & (tidy.y == 0) & (tidy.model == "baseline") & (tidy.epoch == 3)]
    assert centres["loss"].nunique() == 1
    viewer = pd.read_csv(tiny_run / "landscape" / "viewer.csv")
    assert list(viewer.columns[:4]) == ["id", "x", "y", "loss"]
    assert viewer["id"].nunique() == 12 and viewer["id"].iloc[0] == 0


def test_e2_surfaces_and_videos(tiny_run):
    surface = pd.read_csv(tiny_run / "e2" / "surfaces.csv")
    assert len(surface) == 4 * 4  # epochs 0..3 × the 2 × 2 grid
    assert surface.groupby("epoch").size().tolist() == [4, 4, 4, 4]
    summary = pd.read_csv(tiny_run / "e2" / "summary.csv")
    assert len(summary) == 4 and "beats_centre" in summary
    masks, _ = load_checkpoint(tiny_run / "masks" / "rate_10.pt")
    w_star, _ = load_checkpoint(tiny_run / "models" / "baseline" / "final.pt")
    start, _ = load_checkpoint(tiny_run / "e2" / "alpha_1" / "beta_0" / "w0.pt")
    for name, tensor in w_star.items():
        expected = tensor * masks[name] if name in masks else tensor
        assert torch.allclose(start[name], expected, atol=1e-6), name
    for metric in ("loss", "ppl", "acc"):
        mp4 = list(iio.imiter(tiny_run / "e2" / "videos" / f"{metric}.mp4", plugin="FFMPEG"))
        assert len(mp4) == 4
        gif = iio.improps(tiny_run / "e2" / "videos" / f"{metric}.gif", plugin="pillow")
        assert gif.shape[0] == 4 and gif.shape[1:3] == mp4[0].shape[:2]
        assert (tiny_run / "e2" / "figures" / f"{metric}_epoch_3.png").is_file()


def test_landscape_figures_videos_viewer_and_summary(tiny_run):
    figures = tiny_run / "figures"
    for model in ("baseline", "w0-80", "random-80"):
        for scale in ("1", "0.2"):
            for metric in ("loss", "ppl", "acc"):
                for kind in ("contour", "surface"):
                    stem = figures / "landscape" / model / f"scale_{scale}" / f"{metric}_{kind}"
                    png = Path(f"{stem}.png").read_bytes()
                    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
                    assert Path(f"{stem}.pdf").read_bytes()[:4] == b"%PDF"
                video = figures / "videos" / model / f"scale_{scale}_{metric}"
                gif = iio.imread(f"{video}.gif", index=None)
                assert gif.shape == (2, 480, 640, 3)
                assert len(list(iio.imiter(f"{video}.mp4", plugin="FFMPEG"))) == 2
                page = Path(f"{video}.html").read_text()
                assert "data:video/mp4;base64," in page and 'src="scale_' not in page
    for scale in ("1", "0.2"):
        wide = iio.imread(figures / "comparison" / f"scale_{scale}" / "loss_contour.png")
        assert wide.shape[1] > 2 * wide.shape[0]
    viewer = (tiny_run / "viewer.html").read_text()
    assert "run tiny" in viewer and len(viewer) > 1_000_000
    summary = (tiny_run / "summary.md").read_text()
    assert summary.startswith("# Results of run tiny")
    for text in ("## At a glance", "n=2 seeds: Adam+RedLR (", ") > SGD (", "w0-80", "random-80"):
        assert text in summary
    html = (tiny_run / "summary.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<table>" in html


def test_report_contains_every_page(tiny_run, tmp_path):
    from conftest import snakemake, write_config

    workdir = tiny_run.parents[1]
    config = write_config(tmp_path / "tiny.yaml")
    report = tmp_path / "report.html"
    result = snakemake(workdir, config, "--report", str(report))
    assert result.returncode == 0, result.stderr[-3000:]
    text = report.read_text(errors="replace")
    for name in ("summary.html", "viewer.html", "scale_0.2_loss.html", "curves.png"):
        assert name in text
