"""E2's axes for one seed: x = w* − w0 and a seeded random y, both zero on pruned weights."""

from prunescape.e2 import axes
from prunescape.io import load_checkpoint
from prunescape.landscape import save_directions
from prunescape.runtime import job

with job(snakemake.threads, snakemake.log[0]):
    cfg = snakemake.params.e2
    w0, _ = load_checkpoint(snakemake.input.w0)
    w_star, _ = load_checkpoint(snakemake.input.final)
    masks, _ = load_checkpoint(snakemake.input.masks)
    x, y = axes(w0, w_star, seed=snakemake.params.seed, norm=cfg["norm"], masks=masks)
    save_directions(snakemake.output[0], (x, y), {"rate": cfg["rate"], "norm": cfg["norm"]})
