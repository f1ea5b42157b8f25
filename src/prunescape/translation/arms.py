"""What every training job of the workflow shares: its schedule, and the test scores
of the epoch it keeps (the lowest validation loss)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch

from prunescape.io import read_json, write_json, write_text
from prunescape.translation.artifacts import load_model, load_split
from prunescape.translation.evaluation import scores, translate
from prunescape.translation.training import TrainConfig


def tuned_lr_mul(choice: str | os.PathLike) -> float:
    """The learning-rate multiplier the tune stage chose (``tune/choice.json``)."""
    value = read_json(choice).get("lr_mul")
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{choice}: expected a positive number under 'lr_mul', got {value!r}")
    return float(value)


def train_config(
    section: dict, schedule: str | Sequence[str], order_seed: int, **overrides
) -> TrainConfig:
    """The config's train section for one run: ``lr_mul`` "tuned" is read from the
    tune stage's choice (``schedule``, one path) unless an override pins it, and the
    data order and dropout come from ``order_seed``."""
    lr_mul = overrides.pop("lr_mul", section["lr_mul"])
    if lr_mul == "tuned":
        schedule = [schedule] if isinstance(schedule, str | os.PathLike) else list(schedule)
        if len(schedule) != 1:
            raise ValueError("train.lr_mul is 'tuned' but the job has no tune/choice.json input")
        lr_mul = tuned_lr_mul(schedule[0])
    return TrainConfig.from_config(section, **{"lr_mul": lr_mul, "seed": order_seed, **overrides})


def score_best_epoch(
    run_folder: str | os.PathLike,
    model_config: dict,
    itos: list[str],
    test: str | os.PathLike,
    references: str | os.PathLike,
    device: torch.device,
    name: str,
) -> dict:
    """Greedy-decode the test set with the run's ``best.pt``; write ``bleu.json`` and
    ``test_hypotheses.txt`` beside it. Returns the scores."""
    folder = Path(run_folder)
    model = load_model(folder / "best.pt", model_config, len(itos)).to(device)
    hypotheses = translate(model, load_split(test), itos)
    lines = Path(references).read_text(encoding="utf-8").splitlines()
    result = {"model": name, "checkpoint": "best.pt", **scores(hypotheses, lines)}
    write_text(folder / "test_hypotheses.txt", "".join(h + "\n" for h in hypotheses))
    write_json(folder / "bleu.json", result)
    return result
