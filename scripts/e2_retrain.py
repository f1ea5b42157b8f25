"""Retrain the pruned transformer from one starting point w0 + αx + βy."""

from pathlib import Path

from prunescape.e2 import starting_point
from prunescape.io import load_checkpoint
from prunescape.landscape import load_directions
from prunescape.runtime import job
from prunescape.translation.arms import train_config
from prunescape.translation.artifacts import build_model, load_split, load_vocab
from prunescape.translation.training import train

with job(snakemake.threads, snakemake.log[0], snakemake.params.device) as device:
    alpha, beta = float(snakemake.wildcards.alpha), float(snakemake.wildcards.beta)
    itos = load_vocab(snakemake.input.vocab)
    w0, _ = load_checkpoint(snakemake.input.w0)
    masks, _ = load_checkpoint(snakemake.input.masks)
    x, y, _ = load_directions(snakemake.input.axes)
    train(
        build_model(snakemake.params.model, len(itos)).to(device),
        starting_point(w0, x, y, alpha, beta, masks),
        load_split(snakemake.input.train),
        load_split(snakemake.input.val),
        # Every epoch runs: the surfaces are drawn epoch by epoch.
        train_config(
            snakemake.params.train,
            snakemake.input.schedule,
            snakemake.params.order_seed,
            epochs=snakemake.params.epochs,
            patience=None,
        ),
        Path(snakemake.output.final).parent,
        masks=masks,
        meta={"model_name": f"e2 alpha={alpha:g} beta={beta:g}", "alpha": alpha, "beta": beta},
    )
