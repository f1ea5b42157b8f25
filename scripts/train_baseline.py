"""Train the baseline transformer from a seeded init, recording w0 and every epoch."""

from pathlib import Path

import torch

from prunescape.runtime import job
from prunescape.translation.artifacts import build_model, load_split, load_vocab
from prunescape.translation.training import TrainConfig, parameters, train

with job(snakemake.threads, snakemake.log[0], snakemake.params.device) as device:
    itos = load_vocab(snakemake.input.vocab)
    cfg = TrainConfig.from_config(snakemake.params.train)
    torch.manual_seed(snakemake.params.init_seed)
    model = build_model(snakemake.params.model, len(itos))
    train(
        model.to(device),
        parameters(model),
        load_split(snakemake.input.train),
        load_split(snakemake.input.val),
        cfg,
        Path(snakemake.output.final).parent,
        meta={"model_name": "baseline", "init_seed": snakemake.params.init_seed},
    )
