"""Draw one model's landscape plane once; every epoch and tile reuses it."""

from prunescape.io import load_checkpoint
from prunescape.landscape import plane, save_directions
from prunescape.runtime import job
from prunescape.seeding import derive_seed

with job(snakemake.threads, snakemake.log[0]):
    cfg = snakemake.params.landscape
    final, _ = load_checkpoint(snakemake.input.final)
    w0, _ = load_checkpoint(snakemake.input.w0)
    masks = load_checkpoint(snakemake.input.masks)[0] if snakemake.input.masks else None
    seed = derive_seed(cfg["seed"], "landscape")
    if cfg["plane"] == "target-random":
        # x = w* − w0 of this model; y normalised to w*.
        dx, _ = plane("target-random", w0, seed=seed, target=final, masks=masks)
        _, dy = plane("random-random", final, seed=seed, norm=cfg["norm"], masks=masks)
    else:
        dx, dy = plane("random-random", final, seed=seed, norm=cfg["norm"], masks=masks)
    save_directions(snakemake.output[0], (dx, dy), {"model": snakemake.wildcards.model, **cfg})
