"""E1's optimiser settings: the config's named settings, the optimiser and schedule each makes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch

from prunescape.workflow import ConfigError

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


def selected_settings(attention: dict) -> dict[str, Setting]:
    """The settings named in ``attention.runs``, in that order.

    A config file merges key by key into the defaults, so it cannot remove a
    default entry of ``attention.settings``; ``runs`` is the list that decides
    what trains.
    """
    defined = attention["settings"]
    unknown = [name for name in attention["runs"] if name not in defined]
    if unknown:
        raise ConfigError(
            f"config key attention.runs: expected names defined in attention.settings "
            f"({', '.join(defined)}), got {unknown}"
        )
    plateau = attention["plateau"]
    return {
        name: Setting(
            **defined[name],
            plateau_factor=plateau["factor"],
            plateau_patience=plateau["patience"],
            plateau_threshold=plateau["threshold"],
        )
        for name in attention["runs"]
    }


def make_optimizer(setting: Setting, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
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


def make_plateau(
    setting: Setting, optimizer: torch.optim.Optimizer
) -> torch.optim.lr_scheduler.ReduceLROnPlateau | None:
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
