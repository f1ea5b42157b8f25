"""Experiment 1: generator, model, optimiser settings, training per seed, rate fit, analysis."""

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from conftest import REPO

from prunescape.attention.analysis import (
    convergence_summary,
    epochs_to_threshold,
    loss_area,
    lr_drops,
)
from prunescape.attention.data import DatasetConfig, generate, statistics
from prunescape.attention.model import AttentionClassifier, AttentionConfig
from prunescape.attention.rate import EXPONENTIAL, POWER, fit_rate
from prunescape.attention.settings import (
    Setting,
    make_optimizer,
    make_plateau,
    selected_settings,
)
from prunescape.attention.train import train_settings
from prunescape.workflow import ConfigError

SMALL = DatasetConfig(samples=300, seq_len=6, vocab_size=10, num_classes=3, teacher_d_model=8)
SMALL_MODEL = AttentionConfig(vocab_size=10, seq_len=6, d_model=8, heads=2, num_classes=3)
# A threshold no improvement can meet makes every epoch after the first a stall.
STALLING = Setting("adam", lr=0.01, plateau=True, plateau_patience=0, plateau_threshold=0.9)


def test_generator_is_deterministic_per_seed():
    a, b = generate(SMALL), generate(SMALL)
    other = generate(DatasetConfig(**{**SMALL.__dict__, "seed": 2}))
    for key in a:
        assert torch.equal(a[key], b[key])
    assert not torch.equal(a["x_train"], other["x_train"])
    assert not torch.equal(a["y_train"], other["y_train"])


def test_generator_split_and_statistics():
    data = generate(SMALL)
    assert len(data["y_train"]) == 210 and len(data["y_val"]) == 90
    assert data["x_train"].shape == (210, 6)
    stats = statistics(SMALL, data)
    assert stats["train"] == 210 and stats["validation"] == 90
    assert sum(stats["class_balance_train"]) == pytest.approx(1.0)
    # Standardised teacher scores keep every class present.
    assert min(stats["class_balance_train"]) > 0.1


def test_label_noise_lowers_ceiling_and_changes_labels():
    noisy = DatasetConfig(**{**SMALL.__dict__, "label_noise": 0.3})
    assert statistics(noisy, generate(noisy))["teacher_accuracy_ceiling"] == pytest.approx(0.8)
    assert not torch.equal(generate(noisy)["y_train"], generate(SMALL)["y_train"])


def test_model_output_shape():
    model = AttentionClassifier(AttentionConfig(vocab_size=10, seq_len=6, d_model=8, heads=2))
    assert model(torch.randint(10, (5, 6))).shape == (5, 4)


def test_model_rejects_indivisible_heads():
    with pytest.raises(ValueError, match="divisible"):
        AttentionClassifier(AttentionConfig(d_model=10, heads=3))


@pytest.mark.parametrize("optimizer", ["sgd", "nag", "adam", "adamw", "rmsprop"])
def test_optimizer_step_lowers_loss_on_fixed_batch(optimizer):
    torch.manual_seed(0)
    model = AttentionClassifier(AttentionConfig(vocab_size=10, seq_len=6, d_model=8, heads=2))
    x, y = torch.randint(10, (32, 6)), torch.randint(4, (32,))
    opt = make_optimizer(Setting(optimizer, lr=0.01), model.parameters())
    before = F.cross_entropy(model(x), y)
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    assert F.cross_entropy(model(x), y) < before


def test_unknown_optimizer_is_rejected():
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        make_optimizer(Setting("lbfgs", lr=0.1), [torch.nn.Parameter(torch.zeros(1))])


def test_plateau_lowers_lr_when_validation_stalls():
    param = torch.nn.Parameter(torch.zeros(1))
    setting = Setting("sgd", lr=0.1, plateau=True, plateau_factor=0.5, plateau_patience=1)
    opt = make_optimizer(setting, [param])
    plateau = make_plateau(setting, opt)
    for loss in [1.0, 0.9, 0.9, 0.9, 0.9]:
        plateau.step(loss)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)
    assert make_plateau(Setting("sgd", lr=0.1), opt) is None


ATTENTION_CFG = {
    "settings": {
        "sgd": {"optimizer": "sgd", "lr": 0.02},
        "adam": {"optimizer": "adam", "lr": 0.001},
        "adam_plateau": {"optimizer": "adam", "lr": 0.001, "plateau": True},
    },
    "plateau": {"factor": 0.25, "patience": 1, "threshold": 0.01},
}


def test_selected_settings_follow_runs_in_order():
    settings = selected_settings({**ATTENTION_CFG, "runs": ["adam_plateau", "sgd"]})
    assert list(settings) == ["adam_plateau", "sgd"]
    assert settings["adam_plateau"] == Setting(
        "adam", 0.001, plateau=True, plateau_factor=0.25, plateau_patience=1, plateau_threshold=0.01
    )


def test_selected_settings_reject_an_undefined_run():
    with pytest.raises(ConfigError, match=r"attention\.runs: .*\(sgd, adam, adam_plateau\).*'nag'"):
        selected_settings({**ATTENTION_CFG, "runs": ["sgd", "nag"]})


def train_small(settings, seed=0, epochs=4):
    return train_settings(
        generate(SMALL), SMALL_MODEL, settings, epochs=epochs, batch_size=64, seed=seed
    )


def test_plateau_run_records_lr_drops():
    metrics = train_small({"stall": STALLING})["stall"].metrics()
    assert list(metrics["epoch"]) == [0, 1, 2, 3, 4]
    # Epoch 1 sets the best loss; every later epoch stalls and halves the LR.
    assert metrics["lr"].tolist() == pytest.approx([0.01, 0.01, 0.01, 0.005, 0.0025])
    assert lr_drops(metrics) == [3, 4]


def test_settings_trained_together_match_training_alone():
    """Runs sharing a trajectory are computed once; the numbers must not change."""
    settings = {"plain": Setting("adam", lr=0.01), "stall": STALLING, "sgd": Setting("sgd", 0.1)}
    together = train_small(settings)
    for name, setting in settings.items():
        alone = train_small({name: setting})[name]
        pd.testing.assert_frame_equal(together[name].metrics(), alone.metrics(), check_exact=True)
        pd.testing.assert_frame_equal(together[name].step_log(), alone.step_log(), check_exact=True)
    plain, stall = together["plain"].metrics(), together["stall"].metrics()
    # Same init and data order: identical until the first drop (epoch 3), different after.
    assert plain.iloc[:3].equals(stall.iloc[:3])
    assert plain["train_loss"].iloc[3] != stall["train_loss"].iloc[3]


def test_seed_sets_init_and_order_and_reruns_are_identical():
    setting = {"sgd": Setting("sgd", lr=0.1)}
    a = train_small(setting, seed=0)["sgd"]
    again = train_small(setting, seed=0)["sgd"]
    other = train_small(setting, seed=1)["sgd"]
    pd.testing.assert_frame_equal(a.metrics(), again.metrics(), check_exact=True)
    assert a.metrics()["val_loss"].iloc[0] != other.metrics()["val_loss"].iloc[0]


def test_step_log_is_every_step_and_sums_to_the_epoch_train_loss():
    run = train_small({"sgd": Setting("sgd", lr=0.1)}, epochs=3)["sgd"]
    steps, metrics = run.step_log(), run.metrics()
    # 210 training samples in batches of 64: 4 steps per epoch (64, 64, 64, 18).
    assert steps["step"].tolist() == list(range(1, 13))
    assert steps["epoch"].tolist() == [1] * 4 + [2] * 4 + [3] * 4
    sizes = np.array([64, 64, 64, 18])
    for epoch in (1, 2, 3):
        losses = steps.loc[steps["epoch"] == epoch, "loss"].to_numpy()
        expected = metrics.loc[metrics["epoch"] == epoch, "train_loss"].item()
        assert (losses * sizes).sum() / sizes.sum() == pytest.approx(expected, rel=1e-12)


def noisy(clean: np.ndarray) -> np.ndarray:
    return clean + np.random.default_rng(0).normal(0.0, 0.02, clean.size)


T = np.arange(1.0, 1001.0)


@pytest.mark.parametrize(("power", "low", "high"), [(1, 0.85, 1.15), (2, 1.8, 2.2)])
def test_rate_fit_recovers_power_laws(power, low, high):
    fit = fit_rate(T, noisy(0.3 + 2.0 / T**power))
    assert low <= fit.p <= high
    assert fit.floor == pytest.approx(0.3, abs=0.01)
    assert 0 < fit.p_se < 0.1
    assert fit.winner == POWER and fit.power_aic < fit.exp_aic


def test_rate_fit_identifies_an_exponential():
    fit = fit_rate(T, noisy(0.3 + np.exp(-T / 150)))
    assert fit.winner == EXPONENTIAL and fit.exp_aic < fit.power_aic
    assert fit.exp_rate == pytest.approx(1 / 150, rel=0.1)


def test_rate_fit_needs_steps_from_one():
    with pytest.raises(ValueError, match="at least 4 points"):
        fit_rate(np.arange(0.0, 10.0), np.ones(10))


def test_epochs_to_threshold():
    assert epochs_to_threshold(np.array([3.0, 2.0, 1.0, 0.5]), 1.0) == 2
    assert np.isnan(epochs_to_threshold(np.array([3.0, 2.0]), 1.0))


def test_loss_area_is_the_mean_loss_over_training():
    # Trapezoids (1 + 0.5)/2 + (0.5 + 0)/2 = 1.0 over 2 epochs.
    assert loss_area(np.array([1.0, 0.5, 0.0])) == pytest.approx(0.5)


def test_lr_drops_reads_metrics():
    frame = pd.DataFrame({"epoch": [0, 1, 2, 3], "lr": [0.1, 0.1, 0.05, 0.05]})
    assert lr_drops(frame) == [2]


def test_convergence_summary_has_one_row_per_run():
    epochs = np.arange(6)
    metrics = pd.DataFrame(
        {
            "epoch": epochs,
            "train_loss": 1.0 / (epochs + 1),
            "train_acc": 0.5,
            "val_loss": 1.2 / (epochs + 1),
            "val_acc": np.linspace(0.3, 0.8, 6),
            "lr": [0.1, 0.1, 0.1, 0.05, 0.05, 0.05],
        }
    )
    steps = pd.DataFrame({"step": T, "epoch": 1, "loss": noisy(0.3 + 2.0 / T)})
    runs = {(seed, "nag"): (metrics, steps) for seed in (0, 1)}
    summary = convergence_summary(runs, threshold=0.3)
    assert summary[["seed", "setting"]].values.tolist() == [[0, "nag"], [1, "nag"]]
    row = summary.iloc[0]
    assert row["lr_drops"] == 1 and row["epochs_to_threshold"] == 3  # 1.2/4 = 0.3
    assert row["final_val_acc"] == pytest.approx(0.8)
    assert 0.85 <= row["rate_p"] <= 1.15 and row["rate_winner"] == POWER


def test_tiny_config_from_the_checkout_schedules_only_its_runs():
    """config/config.yaml loads first; tiny's attention.runs must still decide what trains."""
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--forceall", "--configfile", "config/tiny.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    scheduled = set(re.findall(r"seed_\d+/attention/(\w+)/metrics\.csv", result.stdout))
    assert scheduled == {"sgd", "adam_plateau"}
