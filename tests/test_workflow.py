"""The whole workflow on the tiny config: targets exist and hold the right values."""

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pandas as pd
import pytest
import torch

from prunescape.io import load_checkpoint
from prunescape.seeding import derive_seed

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
    base = tiny_run / "seed_0" / "models" / "baseline"
    metrics = pd.read_csv(base / "metrics.csv")
    status = json.loads((base / "run.json").read_text())
    last = status["epochs_run"]
    assert metrics["epoch"].tolist() == list(range(last + 1)) and 1 <= last <= 3
    assert status["converged"] == (last < 3 or status["stopped_by"] == "converged")
    assert metrics["val_ppl"].to_numpy() == pytest.approx(np.exp(metrics["val_loss"]), rel=1e-6)
    assert metrics["val_loss"].iloc[-1] < metrics["val_loss"].iloc[0]
    epochs = sorted(p.name for p in (base / "epochs").glob("epoch_*.pt"))
    assert epochs == [f"epoch_{e:03d}.pt" for e in range(1, last + 1)]
    assert not (base / ".resume").exists()
    w_star, _ = load_checkpoint(base / "final.pt")
    final_epoch, _ = load_checkpoint(base / "epochs" / f"epoch_{last:03d}.pt")
    assert all(torch.equal(w_star[k], final_epoch[k]) for k in w_star)
    best, _ = load_checkpoint(base / "best.pt")
    best_epoch, _ = load_checkpoint(base / "epochs" / f"epoch_{status['best_epoch']:03d}.pt")
    assert all(torch.equal(best[k], best_epoch[k]) for k in best)
    bleu = json.loads((base / "bleu.json").read_text())
    assert bleu["sentences"] == 40 and 0 <= bleu["bleu"] <= 100 and bleu["checkpoint"] == "best.pt"
    hypotheses = (base / "test_hypotheses.txt").read_text().splitlines()
    assert len(hypotheses) == 40


def test_tune_stage_chooses_the_lowest_validation_loss(tiny_run):
    grid = pd.read_csv(tiny_run / "tune" / "grid.csv")
    assert grid["lr_mul"].tolist() == [0.5, 2.0]
    choice = json.loads((tiny_run / "tune" / "choice.json").read_text())
    assert choice["lr_mul"] == grid.loc[grid["best_val_loss"].idxmin(), "lr_mul"]
    assert choice["at_edge"] is True  # a two-value grid has only edges
    for lr_mul in (0.5, 2.0):
        status = json.loads((tiny_run / "tune" / f"lr_mul_{lr_mul:g}" / "run.json").read_text())
        row = grid[grid["lr_mul"] == lr_mul].iloc[0]
        assert status["best_val_loss"] == pytest.approx(row["best_val_loss"])
    # The tune seed's baseline is the tune run of the chosen value, adopted, not retrained.
    chosen = tiny_run / "tune" / f"lr_mul_{choice['lr_mul']:g}"
    baseline = tiny_run / "seed_0" / "models" / "baseline"
    for name in ("metrics.csv", "final.pt", "run.json"):
        assert (chosen / name).read_bytes() == (baseline / name).read_bytes()
    assert "adopting the tune run" in (baseline / "train.log").read_text()
    assert "adopting" not in (tiny_run / "seed_1" / "models" / "baseline" / "train.log").read_text()
    # Adoption is sound only if the tune run had the seed's own init and data order,
    # as the seed-1 baseline, which trained, has its own.
    for seed, folder in ((0, chosen), (1, tiny_run / "seed_1" / "models" / "baseline")):
        meta = load_checkpoint(folder / "final.pt")[1]
        assert meta["init_seed"] == derive_seed(seed, "baseline-init")
        assert meta["train"]["seed"] == derive_seed(seed, "order")
        assert meta["train"]["lr_mul"] == choice["lr_mul"] and meta["model_name"] == "baseline"


def test_seeds_are_independent_replicates(tiny_run):
    """Another seed: another w0, another data order (so other curves), another mask."""
    w0 = [
        load_checkpoint(tiny_run / f"seed_{s}" / "models" / "baseline" / "w0.pt")[0] for s in (0, 1)
    ]
    # Every weight matrix is drawn anew (LayerNorm's ones and zeros are the same).
    matrices = [k for k in w0[0] if w0[0][k].dim() == 2]
    assert matrices and not any(torch.equal(w0[0][k], w0[1][k]) for k in matrices)
    curves = [
        pd.read_csv(tiny_run / f"seed_{s}" / "models" / "baseline" / "metrics.csv") for s in (0, 1)
    ]
    assert not np.allclose(curves[0]["train_loss"].iloc[1:2], curves[1]["train_loss"].iloc[1:2])
    masks = [load_checkpoint(tiny_run / f"seed_{s}" / "masks" / "rate_80.pt")[0] for s in (0, 1)]
    assert any(not torch.equal(masks[0][k], masks[1][k]) for k in masks[0])


def test_masks_and_tickets(tiny_run):
    seed = tiny_run / "seed_0"
    report = json.loads((seed / "masks" / "sparsity_80.json").read_text())
    assert report["kept"] == report["total"] - round(0.8 * report["total"])
    assert 0 < report["pruned_all"] < report["pruned_prunable"] == pytest.approx(0.8, abs=1e-3)
    masks, _ = load_checkpoint(seed / "masks" / "rate_80.pt")
    base_w0, _ = load_checkpoint(seed / "models" / "baseline" / "w0.pt")
    starts = {}
    for init in ("w0", "random"):
        run = seed / "models" / f"{init}-80"
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
    assert sorted(zip(table["seed"], table["model"], strict=True)) == sorted(
        (s, m) for s in (0, 1) for m in ("baseline", "w0-80", "random-80")
    )
    row = table[(table["seed"] == 0) & (table["model"] == "w0-80")].iloc[0]
    assert row["pruned_prunable"] == pytest.approx(0.8, abs=1e-3)
    status = json.loads((seed / "models" / "w0-80" / "run.json").read_text())
    assert row["best_val_loss"] == pytest.approx(status["best_val_loss"])
    assert bool(row["converged"]) == status["converged"]
    assert (tiny_run / "tickets" / "comparison.md").read_text().startswith("|")


def test_landscapes_and_hessians(tiny_run):
    tidy = pd.read_csv(tiny_run / "landscape" / "landscapes.csv")
    assert set(tidy["model"]) == {"baseline", "w0-80", "random-80"}
    assert sorted(set(tidy["seed"])) == [0, 1] and sorted(set(tidy["scale"])) == [0.2, 1.0]
    for (seed, model), frame in tidy.groupby(["seed", "model"]):
        status = json.loads((tiny_run / f"seed_{seed}" / "models" / model / "run.json").read_text())
        # Seed 0 is rendered: landscape.epochs [0, 3], epoch 3 being the run's last
        # when it stopped before. Seed 1 is a replicate: its last epoch only.
        drawn = [0, status["epochs_run"]] if seed == 0 else [status["epochs_run"]]
        assert sorted(set(frame["epoch"])) == drawn
        assert len(frame) == len(drawn) * 2 * 15
    grid = tidy[(tidy.seed == 0) & (tidy.model == "baseline") & (tidy.scale == 1.0)]
    grid = grid[grid.epoch == grid.epoch.max()]
    assert grid["x"].tolist()[:5] == pytest.approx([-1, -0.5, 0, 0.5, 1])
    assert grid["y"].tolist()[::5] == pytest.approx([-1, 0, 1])
    assert grid["ppl"].to_numpy() == pytest.approx(np.exp(grid["loss_sum"] / grid["count"]))
    hessian = pd.read_csv(tiny_run / "landscape" / "hessian.csv")
    assert len(hessian.groupby(["seed", "model"])) == 6
    # One spectrum per epoch drawn: the same epochs as the grids.
    for (seed, model), spectra in hessian.groupby(["seed", "model"]):
        drawn = tidy[(tidy.seed == seed) & (tidy.model == model)]["epoch"]
        assert sorted(set(spectra["epoch"])) == sorted(set(drawn))
    top = hessian[(hessian.quantity == "eigenvalue") & (hessian["index"] == 0)]
    assert (top["value"] > 0).all()
    # The Hessian's loss is the trained model's own loss: the grid's centre, per epoch.
    own = hessian[
        (hessian.quantity == "loss") & (hessian.seed == 0) & (hessian.model == "baseline")
    ].set_index("epoch")["value"]
    drawn = tidy[(tidy.seed == 0) & (tidy.model == "baseline")]["epoch"]
    assert own.index.tolist() == sorted(set(drawn))
    for epoch, loss in own.items():
        at = tidy[(tidy.seed == 0) & (tidy.model == "baseline") & (tidy.scale == 1.0)]
        centre = at[(at.epoch == epoch) & (at.x == 0) & (at.y == 0)]
        assert loss == pytest.approx(centre["loss"].iloc[0], rel=1e-6)
    viewer = pd.read_csv(tiny_run / "landscape" / "viewer.csv")
    assert list(viewer.columns[:4]) == ["id", "x", "y", "loss"]
    assert viewer["id"].nunique() == tidy.groupby(["seed", "model", "epoch", "scale"]).ngroups


def test_replicates_without_grids_keep_the_hessians_the_verdicts_read(tiny_run, tmp_path):
    """landscape.replicate_epochs "none": a replicate seed's job draws no grid, takes the
    same Hessian at its last epoch, and the tidy tables hold the other runs' rows."""
    import shutil

    from conftest import snakemake, write_config

    workdir = tmp_path / "tiny"
    shutil.copytree(tiny_run.parents[1], workdir, symlinks=True)
    run = workdir / "results" / "tiny"
    config = write_config(
        workdir / "none.yaml",
        {"landscape": {"replicate_epochs": "none"}, "replace_run_config": True},
    )
    redrawn = "results/tiny/seed_1/landscape/baseline/grids.csv"
    result = snakemake(
        workdir,
        config,
        "--cores",
        "2",
        "results/tiny/landscape/landscapes.csv",
        "--rerun-triggers",
        "mtime",
        "--forcerun",
        redrawn,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "landscape_model" in result.stderr and "landscape_collect" in result.stderr
    grids = pd.read_csv(workdir / redrawn)
    assert grids.empty and list(grids.columns)[:3] == ["epoch", "scale", "x"]
    hessian = "seed_1/landscape/baseline/hessian.csv"
    assert (run / hessian).read_bytes() == (tiny_run / hessian).read_bytes()
    tidy, before = (pd.read_csv(r / "landscape" / "landscapes.csv") for r in (run, tiny_run))
    dropped = (before.seed == 1) & (before.model == "baseline")
    pd.testing.assert_frame_equal(tidy, before[~dropped].reset_index(drop=True))
    both = [pd.read_csv(r / "landscape" / "hessian.csv") for r in (run, tiny_run)]
    pd.testing.assert_frame_equal(*both)


def test_lines_between_models_and_their_barriers(tiny_run):
    lines = pd.read_csv(tiny_run / "landscape" / "lines.csv")
    pairs = lines.groupby(["kind", "a", "b"]).size().index.tolist()
    assert sorted(pairs) == [
        ("data order", "w0-80", "w0-80 reordered"),
        ("from the baseline", "baseline", "random-80"),
        ("from the baseline", "baseline", "w0-80"),
        ("same mask", "w0-80", "random-80"),
    ]
    tidy = pd.read_csv(tiny_run / "landscape" / "landscapes.csv")
    barriers = pd.read_csv(tiny_run / "landscape" / "barriers.csv").set_index(["seed", "a", "b"])
    for (seed, a, b), line in lines.groupby(["seed", "a", "b"]):
        assert line["t"].tolist() == pytest.approx(np.arange(-4, 25) / 20)  # 29 points
        # The ends are the two models' final weights: t = 0 is a's own loss, the
        # centre of its landscape at its last epoch.
        own = tidy[(tidy.seed == seed) & (tidy.model == a) & (tidy.scale == 1.0)]
        own = own[(own.epoch == own.epoch.max()) & (own.x == 0) & (own.y == 0)]
        start = line[line.t == 0]
        assert start["loss"].iloc[0] == pytest.approx(own["loss"].iloc[0], rel=1e-6)
        inside = line[(line.t >= 0) & (line.t <= 1)]
        end = line[line.t == 1]["loss"].iloc[0]
        chord = (1 - inside.t) * start["loss"].iloc[0] + inside.t * end
        row = barriers.loc[(seed, a, b)]
        assert row["loss_barrier"] == pytest.approx((inside["loss"] - chord).max(), abs=1e-6)
        assert row["loss_a"] == pytest.approx(start["loss"].iloc[0])
    # A random init on the same mask lies in another basin; the reordered w0 ticket
    # starts from the very same weights and ends elsewhere.
    assert (barriers.xs("random-80", level="b")["loss_barrier"] > 0).all()
    seed_dir = tiny_run / "seed_0"
    first, _ = load_checkpoint(seed_dir / "models" / "w0-80" / "w0.pt")
    second, _ = load_checkpoint(seed_dir / "reordered" / "w0-80" / "w0.pt")
    assert all(torch.equal(first[name], second[name]) for name in first)
    first, _ = load_checkpoint(seed_dir / "models" / "w0-80" / "final.pt")
    second, _ = load_checkpoint(seed_dir / "reordered" / "w0-80" / "final.pt")
    assert not all(torch.equal(first[name], second[name]) for name in first)
    status = json.loads((seed_dir / "reordered" / "w0-80" / "run.json").read_text())
    assert status["model_name"] == "w0-80"


def test_trajectories_of_every_model(tiny_run):
    paths = pd.read_csv(tiny_run / "landscape" / "trajectory_paths.csv")
    assert len(paths.groupby(["seed", "model"])) == 6
    for (seed, model), path in paths.groupby(["seed", "model"]):
        status = json.loads((tiny_run / f"seed_{seed}" / "models" / model / "run.json").read_text())
        assert path["epoch"].tolist() == list(range(status["epochs_run"] + 1))
        # Coordinates are displacements from the final weights: the last checkpoint is 0.
        assert path[["x", "y"]].iloc[-1].tolist() == pytest.approx([0, 0], abs=1e-5)
        explained = path[["explained_x", "explained_y"]].iloc[0]
        assert 0 < explained["explained_y"] <= explained["explained_x"] <= 1
        assert explained.sum() <= 1 + 1e-9
        surface = pd.read_csv(tiny_run / f"seed_{seed}" / "landscape" / model / "trajectory.csv")
        if seed != 0:  # drawn for the rendered seed only
            assert surface.empty and list(surface.columns)[:3] == ["x", "y", "loss"]
            continue
        assert len(surface) == 15  # the landscape's 5 × 3 resolution
        # The plane is centred on the final weights: its (0, 0) is the model's own loss.
        tidy = pd.read_csv(tiny_run / "landscape" / "landscapes.csv")
        own = tidy[(tidy.seed == seed) & (tidy.model == model) & (tidy.scale == 1.0)]
        own = own[(own.epoch == own.epoch.max()) & (own.x == 0) & (own.y == 0)]
        centre = surface[(surface.x == 0) & (surface.y == 0)]
        assert centre["loss"].iloc[0] == pytest.approx(own["loss"].iloc[0], rel=1e-6)
        # The grid covers the whole path.
        assert surface["x"].max() >= path["x"].abs().max()
        assert surface["y"].max() >= path["y"].abs().max()


def test_e2_surfaces_and_videos(tiny_run):
    e2 = tiny_run / "seed_0" / "e2"
    surface = pd.read_csv(e2 / "surfaces.csv")
    assert len(surface) == 4 * 4  # epochs 0..3 × the 2 × 2 grid
    assert surface.groupby("epoch").size().tolist() == [4, 4, 4, 4]
    summary = pd.read_csv(e2 / "summary.csv")
    assert len(summary) == 4 and "beats_centre" in summary
    masks, _ = load_checkpoint(tiny_run / "seed_0" / "masks" / "rate_10.pt")
    w_star, _ = load_checkpoint(tiny_run / "seed_0" / "models" / "baseline" / "final.pt")
    start, _ = load_checkpoint(e2 / "alpha_1" / "beta_0" / "w0.pt")
    for name, tensor in w_star.items():
        expected = tensor * masks[name] if name in masks else tensor
        assert torch.allclose(start[name], expected, atol=1e-6), name
    for metric in ("loss", "ppl", "acc"):
        mp4 = list(iio.imiter(e2 / "videos" / f"{metric}.mp4", plugin="FFMPEG"))
        assert len(mp4) == 4
        gif = iio.improps(e2 / "videos" / f"{metric}.gif", plugin="pillow")
        assert gif.shape[0] == 4 and gif.shape[1:3] == mp4[0].shape[:2]
        assert (e2 / "figures" / f"{metric}_epoch_3.png").is_file()
    assert not (tiny_run / "seed_1" / "e2").exists()  # e2.seeds is [0]


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
                assert gif.shape == (2, 480, 640, 3)  # epoch 0 and the run's last
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
    for text in (
        "## E3: lines between models",
        "w0-80 → w0-80 reordered",
        "## E3: training trajectories",
    ):
        assert text in summary
    html = (tiny_run / "summary.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<table>" in html
    for name in ("hessian_spectrum", "interpolation", "trajectories"):
        png = iio.imread(figures / f"{name}.png")
        assert png.shape[1] > 2 * png.shape[0]  # panels side by side


def test_report_contains_every_page(tiny_run, tmp_path):
    from conftest import snakemake, write_config

    workdir = tiny_run.parents[1]
    config = write_config(tmp_path / "tiny.yaml")
    report = tmp_path / "report.html"
    result = snakemake(workdir, config, "--report", str(report))
    assert result.returncode == 0, result.stderr[-3000:]
    text = report.read_text(errors="replace")
    for name in (
        "summary.html",
        "viewer.html",
        "scale_0.2_loss.html",
        "curves.png",
        "interpolation.png",
    ):
        assert name in text


def test_a_diverging_run_finishes_the_workflow_and_says_so(tmp_path):
    """lr_mul 1e25 makes every arm's loss non-finite in its first epoch: training stops
    there with a warning, no downstream job fails on NaN, and the summary says which
    runs diverged instead of judging them."""
    from conftest import snakemake, write_config

    config = write_config(
        tmp_path / "diverge.yaml",
        {
            "run": "diverge",
            "seeds": [0],
            "train": {"lr_mul": 1e25},
            "attention": {"runs": ["sgd"]},
            "landscape": {"resolution": [3, 3], "scales": [1.0]},
            "e2": {"alphas": [0, 1], "betas": [0]},
            "render": {"formats": ["png"]},
        },
    )
    result = snakemake(tmp_path, config, "--cores", "2")
    assert result.returncode == 0, result.stderr[-4000:]
    run = tmp_path / "results" / "diverge"
    base = run / "seed_0" / "models" / "baseline"
    status = json.loads((base / "run.json").read_text())
    assert status["diverged"] and status["epochs_run"] == 1 and status["stopped_by"] == "diverged"
    assert "WARNING: non-finite loss at epoch 1" in (base / "train.log").read_text()
    table = pd.read_csv(run / "tickets" / "comparison.csv")
    assert table["diverged"].all()
    hessian = pd.read_csv(run / "landscape" / "hessian.csv")
    last = hessian[hessian["epoch"] == 1]  # the diverged epoch; the init's is finite
    assert last.loc[last["quantity"] != "loss", "value"].isna().all()
    assert hessian.loc[hessian["epoch"] == 0, "value"].notna().all()
    paths = pd.read_csv(run / "landscape" / "trajectory_paths.csv")
    assert paths.empty  # two checkpoints and a diverged end span no plane
    assert (
        "has no trajectory plane: it diverged"
        in (run / "seed_0" / "landscape" / "logs" / "baseline.log").read_text()
    )
    summary = (run / "summary.md").read_text()
    verdict_lines = [line for line in summary.splitlines() if "not tested (diverged: " in line]
    assert any("seed 0 baseline" in line for line in verdict_lines)
    png = (run / "figures" / "landscape" / "baseline" / "scale_1" / "loss_contour.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
