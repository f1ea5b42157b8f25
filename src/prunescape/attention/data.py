"""Synthetic classification data labelled by a random teacher network.

The study labels 30,000 random samples with "a simple generator model". We use
a randomly initialised attention-block classifier (wider than the student) as
the teacher: its labels are a deterministic function of the input, so a
student of the same family can in principle reach 100 % accuracy, and the task
is neither linear nor trivially separable.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from prunescape.attention.model import AttentionClassifier, AttentionConfig


@dataclass(frozen=True)
class DatasetConfig:
    samples: int = 30_000
    train_fraction: float = 0.7
    seq_len: int = 16
    vocab_size: int = 32
    num_classes: int = 4
    teacher_d_model: int = 64
    teacher_heads: int = 4
    label_noise: float = 0.0
    seed: int = 1


def teacher_model(cfg: DatasetConfig) -> AttentionClassifier:
    """The random generator model; weights drawn from ``cfg.seed`` alone."""
    torch.manual_seed(cfg.seed)
    teacher = AttentionClassifier(
        AttentionConfig(
            vocab_size=cfg.vocab_size,
            seq_len=cfg.seq_len,
            d_model=cfg.teacher_d_model,
            heads=cfg.teacher_heads,
            num_classes=cfg.num_classes,
        )
    )
    # Larger weights than a default init give sharper, less linear decision boundaries.
    with torch.no_grad():
        for p in teacher.parameters():
            if p.dim() > 1:
                p.mul_(3.0)
    return teacher.eval()


def generate(cfg: DatasetConfig) -> dict[str, torch.Tensor]:
    """Sample token sequences, label them with the teacher and split train/validation."""
    gen = torch.Generator().manual_seed(cfg.seed)
    tokens = torch.randint(cfg.vocab_size, (cfg.samples, cfg.seq_len), generator=gen)
    with torch.no_grad():
        logits = teacher_model(cfg)(tokens).double()
    # Standardise each class score so that argmax gives roughly balanced classes.
    logits = (logits - logits.mean(0)) / logits.std(0)
    labels = logits.argmax(1)
    if cfg.label_noise > 0:
        flip = torch.rand(cfg.samples, generator=gen) < cfg.label_noise
        random_labels = torch.randint(cfg.num_classes, (cfg.samples,), generator=gen)
        labels = torch.where(flip, random_labels, labels)
    order = torch.randperm(cfg.samples, generator=gen)
    n_train = round(cfg.samples * cfg.train_fraction)
    train, val = order[:n_train], order[n_train:]
    return {
        "x_train": tokens[train],
        "y_train": labels[train],
        "x_val": tokens[val],
        "y_val": labels[val],
    }


def statistics(cfg: DatasetConfig, data: dict[str, torch.Tensor]) -> dict:
    """Sizes, class balance and the accuracy ceiling implied by the label noise."""

    def balance(labels: torch.Tensor) -> list[float]:
        counts = torch.bincount(labels, minlength=cfg.num_classes).double()
        return [round(float(c), 6) for c in counts / counts.sum()]

    return {
        "samples": cfg.samples,
        "train": len(data["y_train"]),
        "validation": len(data["y_val"]),
        "seq_len": cfg.seq_len,
        "vocab_size": cfg.vocab_size,
        "num_classes": cfg.num_classes,
        "class_balance_train": balance(data["y_train"]),
        "class_balance_validation": balance(data["y_val"]),
        "majority_class_accuracy_validation": max(balance(data["y_val"])),
        "teacher": f"random AttentionClassifier, d_model={cfg.teacher_d_model}, "
        f"heads={cfg.teacher_heads}, seed={cfg.seed}, weights x3",
        "teacher_accuracy_ceiling": round(
            1.0 - cfg.label_noise * (cfg.num_classes - 1) / cfg.num_classes, 6
        ),
    }
