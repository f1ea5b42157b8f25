"""Retrain the pruned transformer from every E2 starting point w0 + αx + βy of one
seed, together (one vmapped pass: the points share the schedule, mask and data order)."""

from pathlib import Path

from prunescape.e2 import starting_point
from prunescape.io import load_checkpoint
from prunescape.landscape import load_directions
from prunescape.runtime import job
from prunescape.translation.arms import train_config
from prunescape.translation.artifacts import build_model, load_split, load_vocab
from prunescape.translation.ensemble import train_ensemble

with job(snakemake.threads, snakemake.log[0], snakemake.params.device) as device:
    points = snakemake.params.points
    itos = load_vocab(snakemake.input.vocab)
    w0, _ = load_checkpoint(snakemake.input.w0)
    masks, _ = load_checkpoint(snakemake.input.masks)
    x, y, _ = load_directions(snakemake.input.axes)
    train_ensemble(
        build_model(snakemake.params.model, len(itos)).to(device),
        [starting_point(w0, x, y, p["alpha"], p["beta"], masks) for p in points],
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
        [Path(path).parent for path in snakemake.output.metrics],
        state_dir=snakemake.params.state_dir,
        masks=[masks] * len(points),
        metas=[{"model_name": f"e2 alpha={p['alpha']:g} beta={p['beta']:g}", **p} for p in points],
    )
