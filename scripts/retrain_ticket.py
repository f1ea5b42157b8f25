"""Retrain one ticket of one seed: a pruning mask applied to an init arm, the shared
schedule; then score its best epoch on the test set."""

from pathlib import Path

import torch

from prunescape.io import load_checkpoint
from prunescape.runtime import job
from prunescape.translation.arms import score_best_epoch, train_config
from prunescape.translation.artifacts import build_model, load_split, load_vocab, load_weights
from prunescape.translation.training import parameters, train
from prunescape.workflow import ConfigError

with job(snakemake.threads, snakemake.log[0], snakemake.params.device) as device:
    itos = load_vocab(snakemake.input.vocab)
    masks, mask_meta = load_checkpoint(snakemake.input.masks)
    init_arm = snakemake.wildcards.init
    if init_arm == "random":
        torch.manual_seed(snakemake.params.random_seed)
        init = parameters(build_model(snakemake.params.model, len(itos)))
    elif init_arm == "rewind":
        epoch = snakemake.params.rewind_epoch
        path = Path(snakemake.input.init) / f"epoch_{epoch:03d}.pt"
        if not path.exists():
            raise ConfigError(
                f"config key tickets.rewind_epoch: {epoch}, but the baseline stopped before "
                f"it ({path} is missing)"
            )
        init, _ = load_weights(path)
    else:
        init, _ = load_weights(snakemake.input.init)
    name = f"{init_arm}-{mask_meta['rate']}"
    folder = Path(snakemake.output.final).parent
    train(
        build_model(snakemake.params.model, len(itos)).to(device),
        init,
        load_split(snakemake.input.train),
        load_split(snakemake.input.val),
        train_config(snakemake.params.train, snakemake.input.schedule, snakemake.params.order_seed),
        folder,
        masks=masks,
        meta={"model_name": name, "init": init_arm},
    )
    score_best_epoch(
        folder,
        snakemake.params.model,
        itos,
        snakemake.input.test,
        snakemake.input.references,
        device,
        name,
    )
