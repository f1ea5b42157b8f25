"""Train a dense baseline from a seeded init: one seed's baseline (then scored on the
test set at its best epoch), or the tune seed's baseline at one lr_mul of the grid.

The tune seed's baseline under a tuned schedule is the tune run at the chosen
lr_mul, same init, data order and config: it is adopted, not trained again."""

from pathlib import Path

import torch

from prunescape.io import read_json
from prunescape.runtime import job
from prunescape.translation.arms import score_best_epoch, train_config
from prunescape.translation.artifacts import build_model, load_split, load_vocab
from prunescape.translation.training import adopt_run, parameters, train
from prunescape.translation.tuning import chosen_run

with job(snakemake.threads, snakemake.log[0], snakemake.params.device) as device:
    itos = load_vocab(snakemake.input.vocab)
    pinned = {"lr_mul": snakemake.params.lr_mul} if snakemake.params.lr_mul else {}
    cfg = train_config(
        snakemake.params.train,
        snakemake.input.get("schedule", []),
        snakemake.params.order_seed,
        **pinned,
    )
    folder = Path(snakemake.output.final).parent
    if snakemake.input.get("tuned"):
        source = chosen_run(read_json(snakemake.input.schedule), snakemake.input.tuned)
        print(f"adopting the tune run {source} as this baseline", flush=True)
        adopt_run(source, folder)
    else:
        torch.manual_seed(snakemake.params.init_seed)
        model = build_model(snakemake.params.model, len(itos))
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
