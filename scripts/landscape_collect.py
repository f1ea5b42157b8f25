"""Merge every grid's tiles into one tidy CSV, and the viewer's id,x,y,loss CSV."""

import pandas as pd

from prunescape.io import write_csv
from prunescape.landscape import merge_tiles, viewer_frame
from prunescape.runtime import job

with job(snakemake.threads, snakemake.log[0]):
    per_grid = len(snakemake.input.tiles) // len(snakemake.params.landscapes)
    frames = []
    for i, (model, epoch, scale) in enumerate(snakemake.params.landscapes):
        frame = merge_tiles(snakemake.input.tiles[i * per_grid : (i + 1) * per_grid])
        frame.insert(0, "scale", float(scale))
        frame.insert(0, "epoch", epoch)
        frame.insert(0, "model", model)
        frames.append(frame)
    tidy = pd.concat(frames, ignore_index=True)
    write_csv(snakemake.output.tidy, tidy)
    write_csv(snakemake.output.viewer, viewer_frame(tidy))
