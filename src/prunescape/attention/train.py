"""Train one seed's E1 settings together, epoch by epoch.

Every setting of a seed starts from one init and sees one data order, so settings
that differ only in their learning-rate schedule (X and X+RedLR) follow the same
trajectory until the schedule first lowers the rate. Each epoch is therefore
computed once per distinct trajectory (optimiser, hyper-parameters, learning
rates so far) and copied to the other runs on it: the numbers are those of
training each setting alone, at the cost of the distinct trajectories only.

An epoch's train loss and accuracy are running sums over its mini-batches (the
model moves during the epoch), so only validation gets a pass of its own; epoch 0
is a full pass over both splits before any step. Every step's mini-batch loss is
kept for the rate fit.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import pandas as pd
import torch
import torch.nn.functional as F

from prunescape.attention.model import AttentionClassifier, AttentionConfig
from prunescape.attention.settings import Setting, make_optimizer, make_plateau
from prunescape.seeding import derive_seed

METRIC_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr"]
STEP_COLUMNS = ["step", "epoch", "loss"]


@torch.no_grad()
def split_metrics(
    model: AttentionClassifier, x: torch.Tensor, y: torch.Tensor, batch_size: int = 4096
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of a whole split, from sums over its batches."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(y), batch_size):
        logits = model(x[start : start + batch_size])
        target = y[start : start + batch_size]
        loss_sum += F.cross_entropy(logits, target, reduction="sum").item()
        correct += (logits.argmax(1) == target).sum().item()
    return loss_sum / len(y), correct / len(y)


@dataclass
class Run:
    """One setting's training state and the records it has written so far."""

    setting: Setting
    model: AttentionClassifier
    order: torch.Generator
    epochs: list[tuple] = field(default_factory=list)
    steps: list[tuple] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.optimizer = make_optimizer(self.setting, self.model.parameters())
        self.plateau = make_plateau(self.setting, self.optimizer)

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def trajectory(self) -> tuple:
        """Runs with equal trajectories hold identical weights and optimiser state."""
        s = self.setting
        return (s.optimizer, s.momentum, s.weight_decay, *self.lrs, self.lr)

    def train_epoch(self, data: dict[str, torch.Tensor], batch_size: int) -> None:
        epoch, lr = len(self.epochs), self.lr
        x, y = data["x_train"], data["y_train"]
        self.model.train()
        loss_sum, correct = 0.0, 0
        for idx in torch.randperm(len(y), generator=self.order).split(batch_size):
            logits = self.model(x[idx])
            loss = F.cross_entropy(logits, y[idx])
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            value = loss.item()
            self.steps.append((len(self.steps) + 1, epoch, value))
            loss_sum += value * len(idx)
            correct += (logits.argmax(1) == y[idx]).sum().item()
        val_loss, val_acc = split_metrics(self.model, data["x_val"], data["y_val"])
        self.epochs.append((epoch, loss_sum / len(y), correct / len(y), val_loss, val_acc, lr))
        self.lrs.append(lr)

    def follow(self, leader: Run) -> None:
        """Take the epoch ``leader`` just trained from the same trajectory."""
        self.model.load_state_dict(leader.model.state_dict())
        self.optimizer.load_state_dict(copy.deepcopy(leader.optimizer.state_dict()))
        self.order.set_state(leader.order.get_state())
        self.steps.extend(leader.steps[len(self.steps) :])
        self.epochs.append(leader.epochs[-1])
        self.lrs.append(leader.lrs[-1])

    def end_epoch(self) -> None:
        if self.plateau is not None:
            self.plateau.step(self.epochs[-1][3])

    def metrics(self) -> pd.DataFrame:
        """Per-epoch metrics; epoch 0 is the init, ``lr`` the rate the epoch trained at."""
        return pd.DataFrame(self.epochs, columns=METRIC_COLUMNS)

    def step_log(self) -> pd.DataFrame:
        """The mini-batch training loss of every optimiser step (steps count from 1)."""
        return pd.DataFrame(self.steps, columns=STEP_COLUMNS)


def train_settings(
    data: dict[str, torch.Tensor],
    model_cfg: AttentionConfig,
    settings: dict[str, Setting],
    *,
    epochs: int,
    batch_size: int,
    seed: int,
) -> dict[str, Run]:
    """One replicate: every setting trained from the seed's init and data order."""
    torch.manual_seed(derive_seed(seed, "attention"))
    init = AttentionClassifier(model_cfg)
    order_seed = derive_seed(seed, "attention", "order")
    train_loss, train_acc = split_metrics(init, data["x_train"], data["y_train"])
    val_loss, val_acc = split_metrics(init, data["x_val"], data["y_val"])
    runs = {}
    for name, setting in settings.items():
        run = Run(setting, copy.deepcopy(init), torch.Generator().manual_seed(order_seed))
        run.epochs.append((0, train_loss, train_acc, val_loss, val_acc, setting.lr))
        runs[name] = run
    for epoch in range(1, epochs + 1):
        leaders: dict[tuple, Run] = {}
        for run in runs.values():
            key = run.trajectory()
            if key in leaders:
                run.follow(leaders[key])
            else:
                run.train_epoch(data, batch_size)
                leaders[key] = run
        # Only now: a schedule step changes the rate a later follower would copy.
        for run in runs.values():
            run.end_epoch()
        print(f"epoch {epoch}: {len(leaders)} distinct trajectories", flush=True)
    return runs
