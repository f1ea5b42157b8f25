"""Retrain one ticket: a pruning mask applied to an init arm, the baseline's schedule."""

from pathlib import Path

import torch

from prunescape.io import load_checkpoint
from prunescape.runtime import job
from prunescape.translation.artifacts import build_model, load_split, load_vocab, load_weights
from prunescape.translation.training import TrainConfig, parameters, train

with job(snakemake.threads, snakemake.log[0], snakemake.params.device) as device:
    itos = load_vocab(snakemake.input.vocab)
    masks, mask_meta = load_checkpoint(snakemake.input.masks)
    init_arm = snakemake.wildcards.init
    if init_arm == "random":
        torch.manual_seed(snakemake.params.random_seed)
        init = parameters(build_model(snakemake.params.model, len(itos)))
    else:
        init, _ = load_weights(snakemake.input.init)
    model = build_model(snakemake.params.model, len(itos)).to(device)
    train(
        model,
        init,
        load_split(snakemake.input.train),
        load_split(snakemake.input.val),
        TrainConfig.from_config(snakemake.params.train),
        Path(snakemake.output.final).parent,
        masks=masks,
        meta={"model_name": f"{init_arm}-{mask_meta['rate']}", "init": init_arm},
    )
