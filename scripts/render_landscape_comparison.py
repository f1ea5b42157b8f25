"""Side-by-side landscapes of every E3 model (baseline first), render seed, each at its
last epoch drawn, one figure per scale, metric and kind, limits shared per figure."""

import numpy as np
import pandas as pd

from prunescape.render import comparison_figure, last_epochs, save_figure
from prunescape.runtime import job

with job(snakemake.threads, snakemake.log[0]):
    seed, models = snakemake.params.seed, snakemake.params.models
    tidy = pd.read_csv(snakemake.input.landscapes)
    drawn = last_epochs(tidy[(tidy["seed"] == seed) & tidy["model"].isin(models)])
    for figure in snakemake.params.figures:
        shared = drawn[np.isclose(drawn["scale"], float(figure["scale"]))]
        frames = {model: shared[shared["model"] == model] for model in models}
        missing = [model for model, frame in frames.items() if frame.empty]
        if missing:
            raise ValueError(
                f"{snakemake.input.landscapes} lacks {missing} (seed {seed}) "
                f"at scale {figure['scale']}"
            )
        metric, kind = figure["metric"], figure["kind"]
        title = f"{metric} landscapes at scale {figure['scale']}, seed {seed}, last epoch drawn"
        save_figure(comparison_figure(frames, metric, kind=kind, title=title), figure["paths"])
