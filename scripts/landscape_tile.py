"""Evaluate one row block of one landscape grid (model, epoch, scale)."""

from prunescape.io import load_checkpoint
from prunescape.landscape import grid_coordinates, load_directions, run_tile
from prunescape.runtime import job
from prunescape.translation.artifacts import load_batches, load_model, load_vocab
from prunescape.translation.batching import batch_sums

with job(snakemake.threads, snakemake.log[0], snakemake.params.device) as device:
    cfg = snakemake.params.landscape
    itos = load_vocab(snakemake.input.vocab)
    model = load_model(snakemake.input.weights, snakemake.params.model, len(itos)).to(device)
    center, _ = load_checkpoint(snakemake.input.weights)
    dx, dy, _ = load_directions(snakemake.input.directions)
    nx, ny = cfg["resolution"]
    span = cfg["range"]
    xs, ys = grid_coordinates(-span, span, nx, -span, span, ny)
    run_tile(
        snakemake.output[0],
        model,
        center,
        (dx, dy),
        xs,
        ys,
        load_batches(snakemake.input.eval_set),
        batch_sums,
        n_tiles=cfg["tiles"],
        tile_index=int(snakemake.wildcards.tile),
        scale=float(snakemake.wildcards.scale),
    )
