"""Train the attention classifier with one optimiser setting, epoch by epoch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn.functional as F
from tqdm import tqdm

from prunescape.attention.model import AttentionClassifier, AttentionConfig

OPTIMIZERS = ("sgd", "nag", "adam", "adamw", "rmsprop")


@dataclass(frozen=True)
class Setting:
    """One optimiser setting of the study, e.g. NAG with ReduceLROnPlateau."""

    optimizer: str
    lr: float
    momentum: float = 0.9
    weight_decay: float = 0.0
    plateau: bool = False
    plateau_factor: float = 0.5
    plateau_patience: int = 2
    plateau_threshold: float = 1e-3


def make_optimizer(setting: Setting, params) -> torch.optim.Optimizer:
    name = setting.optimizer
    if name == "sgd":
        return torch.optim.SGD(params, lr=setting.lr, weight_decay=setting.weight_decay)
    if name == "nag":
        return torch.optim.SGD(
            params,
            lr=setting.lr,
            momentum=setting.momentum,
            nesterov=True,
            weight_decay=setting.weight_decay,
        )
    if name == "adam":
        return torch.optim.Adam(params, lr=setting.lr, weight_decay=setting.weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=setting.lr, weight_decay=setting.weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=setting.lr, weight_decay=setting.weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")


def make_plateau(setting: Setting, optimizer: torch.optim.Optimizer):
    """ReduceLROnPlateau on validation loss, or None when the setting has none."""
    if not setting.plateau:
        return None
    return torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer,
        mode="min",
        factor=setting.plateau_factor,
        patience=setting.plateau_patience,
        threshold=setting.plateau_threshold,
    )


@torch.no_grad()
def evaluate(
    model: AttentionClassifier, x: torch.Tensor, y: torch.Tensor, batch_size: int = 4096
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy, from sums over the whole split."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(y), batch_size):
        logits = model(x[start : start + batch_size])
        target = y[start : start + batch_size]
        loss_sum += F.cross_entropy(logits, target, reduction="sum").item()
        correct += (logits.argmax(1) == target).sum().item()
    return loss_sum / len(y), correct / len(y)


def train(
    data: dict[str, torch.Tensor],
    model_cfg: AttentionConfig,
    setting: Setting,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    progress: Callable | None = None,
) -> pd.DataFrame:
    """Train from a seeded init; return per-epoch metrics (epoch 0 = before training)."""
    torch.manual_seed(seed)
    model = AttentionClassifier(model_cfg)
    optimizer = make_optimizer(setting, model.parameters())
    plateau = make_plateau(setting, optimizer)
    order_gen = torch.Generator().manual_seed(seed + 1)
    x_train, y_train = data["x_train"], data["y_train"]
    rows = []
    train_loss, train_acc = evaluate(model, x_train, y_train)
    val_loss, val_acc = evaluate(model, data["x_val"], data["y_val"])
    rows.append((0, train_loss, train_acc, val_loss, val_acc, setting.lr))
    bar = progress or (lambda it: tqdm(it, desc="epochs", mininterval=5))
    for epoch in bar(range(1, epochs + 1)):
        lr = optimizer.param_groups[0]["lr"]
        model.train()
        loss_sum, correct = 0.0, 0
        for idx in torch.randperm(len(y_train), generator=order_gen).split(batch_size):
            logits = model(x_train[idx])
            loss = F.cross_entropy(logits, y_train[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == y_train[idx]).sum().item()
        val_loss, val_acc = evaluate(model, data["x_val"], data["y_val"])
        if plateau is not None:
            plateau.step(val_loss)
        rows.append(
            (
                epoch,
                loss_sum / len(y_train),
                correct / len(y_train),
                val_loss,
                val_acc,
                lr,
            )
        )
    return pd.DataFrame(
        rows,
        columns=["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr"],
    )
