"""Experiment 1: generator, model, optimisers and analysis."""

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from prunescape.attention.analysis import decay_exponent, epochs_to_threshold, lr_drops
from prunescape.attention.data import DatasetConfig, generate, statistics
from prunescape.attention.model import AttentionClassifier, AttentionConfig
from prunescape.attention.train import Setting, make_optimizer, make_plateau, train

SMALL = DatasetConfig(samples=300, seq_len=6, vocab_size=10, num_classes=3, teacher_d_model=8)


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


def test_plateau_run_records_lr_drops():
    data = generate(SMALL)
    cfg = AttentionConfig(vocab_size=10, seq_len=6, d_model=8, heads=2, num_classes=3)
    # A threshold no improvement can meet makes every epoch count as a stall.
    setting = Setting("adam", lr=0.01, plateau=True, plateau_patience=0, plateau_threshold=0.9)
    metrics = train(data, cfg, setting, epochs=4, batch_size=64, seed=0, progress=lambda x: x)
    assert list(metrics["epoch"]) == [0, 1, 2, 3, 4]
    # Epoch 1 sets the best loss; every later epoch stalls and halves the LR.
    assert metrics["lr"].tolist() == pytest.approx([0.01, 0.01, 0.01, 0.005, 0.0025])
    assert lr_drops(metrics) == [3, 4]
    plain = train(
        data, cfg, Setting("adam", lr=0.01), epochs=3, batch_size=64, seed=0, progress=lambda x: x
    )
    assert plain["lr"].nunique() == 1
    # Same seed, same first epoch: the settings differ only after the first LR drop.
    assert plain["train_loss"].iloc[1] == metrics["train_loss"].iloc[1]


def test_decay_exponent_recovers_power_laws():
    t = np.arange(0, 40, dtype=float)
    for p in (1.0, 2.0):
        loss = np.r_[5.0, 0.1 + 3.0 / t[1:] ** p]
        loss[-1] = 0.1 - 1e-9  # the best epoch is the last one
        assert decay_exponent(loss) == pytest.approx(p, rel=0.02)


def test_epochs_to_threshold():
    assert epochs_to_threshold(np.array([3.0, 2.0, 1.0, 0.5]), 1.0) == 2
    assert np.isnan(epochs_to_threshold(np.array([3.0, 2.0]), 1.0))


def test_lr_drops_reads_metrics():
    frame = pd.DataFrame({"epoch": [0, 1, 2, 3], "lr": [0.1, 0.1, 0.05, 0.05]})
    assert lr_drops(frame) == [2]
