"""Side-by-side landscapes of every E3 model (baseline first) at one scale, shared limits."""

import numpy as np
import pandas as pd

from prunescape.render import comparison_figure, figure_files, save_figure
from prunescape.runtime import job

with job(snakemake.threads, snakemake.log[0]):
    scale, epoch = snakemake.wildcards.scale, snakemake.params.epoch
    tidy = pd.read_csv(snakemake.input.landscapes)
    shared = tidy[(tidy["epoch"] == epoch) & np.isclose(tidy["scale"], float(scale))]
    frames = {model: shared[shared["model"] == model] for model in snakemake.params.models}
    missing = [model for model, frame in frames.items() if frame.empty]
    if missing:
        raise ValueError(
            f"{snakemake.input.landscapes} lacks {missing} at epoch {epoch}, scale {scale}"
        )
    for stem, paths in figure_files(snakemake.output).items():
        metric, kind = stem.name.rsplit("_", 1)
        title = f"{metric} landscapes at scale {scale}, epoch {epoch}"
        save_figure(comparison_figure(frames, metric, kind=kind, title=title), paths)
