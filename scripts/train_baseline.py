"""Train a dense baseline from a seeded init: one seed's baseline (then scored on the
test set at its best epoch), or the tune seed's baseline at one lr_mul of the grid."""

from pathlib import Path

import torch

from prunescape.runtime import job
from prunescape.translation.arms import score_best_epoch, train_config
from prunescape.translation.artifacts import build_model, load_split, load_vocab
from prunescape.translation.training import parameters, train

with job(snakemake.threads, snakemake.log[0], snakemake.params.device) as device:
    itos = load_vocab(snakemake.input.vocab)
    pinned = {"lr_mul": snakemake.params.lr_mul} if snakemake.params.lr_mul else {}
    cfg = train_config(
        snakemake.params.train,
        snakemake.input.get("schedule", []),
        snakemake.params.order_seed,
        **pinned,
    )
    torch.manual_seed(snakemake.params.init_seed)
    model = build_model(snakemake.params.model, len(itos))
    folder = Path(snakemake.output.final).parent
    train(
        model.to(device),
        parameters(model),
        load_split(snakemake.input.train),
        load_split(snakemake.input.val),
        cfg,
        folder,
        meta={"model_name": snakemake.params.name, "init_seed": snakemake.params.init_seed},
    )
    if hasattr(snakemake.output, "bleu"):
        score_best_epoch(
            folder,
            snakemake.params.model,
            itos,
            snakemake.input.test,
            snakemake.input.references,
            device,
            snakemake.params.name,
        )
