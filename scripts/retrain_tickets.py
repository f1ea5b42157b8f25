"""Retrain one seed's tickets together: each a pruning mask applied to an init arm,
all on the shared schedule and data order (one vmapped pass); then score each
ticket's best epoch on the test set."""

from pathlib import Path

import torch

from prunescape.io import load_checkpoint
from prunescape.runtime import job
from prunescape.translation.arms import score_best_epoch, train_config
from prunescape.translation.artifacts import build_model, load_split, load_vocab, load_weights
from prunescape.translation.ensemble import train_ensemble
from prunescape.translation.training import parameters
from prunescape.workflow import ConfigError


def init_weights(arm: str, vocab_size: int) -> dict[str, torch.Tensor]:
    """The starting weights of one init arm (before its mask)."""
    if arm == "random":
        torch.manual_seed(snakemake.params.random_seed)
        return parameters(build_model(snakemake.params.model, vocab_size))
    if arm == "rewind":
        epoch = snakemake.params.rewind_epoch
        path = Path(snakemake.input.init[1]) / f"epoch_{epoch:03d}.pt"
        if not path.exists():
            raise ConfigError(
                f"config key tickets.rewind_epoch: {epoch}, but the baseline stopped before "
                f"it ({path} is missing)"
            )
        return load_weights(path)[0]
    return load_weights(snakemake.input.init[0])[0]


with job(snakemake.threads, snakemake.log[0], snakemake.params.device) as device:
    itos = load_vocab(snakemake.input.vocab)
    tickets = snakemake.params.tickets
    masks = {t["masks"]: load_checkpoint(t["masks"])[0] for t in tickets}
    train_ensemble(
        build_model(snakemake.params.model, len(itos)).to(device),
        [init_weights(t["init"], len(itos)) for t in tickets],
        load_split(snakemake.input.train),
        load_split(snakemake.input.val),
        train_config(snakemake.params.train, snakemake.input.schedule, snakemake.params.order_seed),
        [t["folder"] for t in tickets],
        state_dir=snakemake.params.state_dir,
        masks=[masks[t["masks"]] for t in tickets],
        metas=[{"model_name": t["name"], "init": t["init"]} for t in tickets],
    )
    for ticket in tickets:
        score_best_epoch(
            ticket["folder"],
            snakemake.params.model,
            itos,
            snakemake.input.test,
            snakemake.input.references,
            device,
            ticket["name"],
        )
