"""Contour and 3-D surface figures of one model's landscapes (render seed, every scale,
the model's last epoch drawn).

Colour limits (and the surfaces' z range) are shared per metric by every model
at the same scale, so figures of different models compare directly.
"""

import numpy as np
import pandas as pd

from prunescape.render import (
    colour_limits,
    contour_figure,
    last_epochs,
    save_figure,
    surface_figure,
)
from prunescape.runtime import job

DRAW = {"contour": contour_figure, "surface": surface_figure}

with job(snakemake.threads, snakemake.log[0]):
    model, seed = snakemake.wildcards.model, snakemake.params.seed
    tidy = pd.read_csv(snakemake.input.landscapes)
    drawn = last_epochs(tidy[(tidy["seed"] == seed) & tidy["model"].isin(snakemake.params.models)])
    for figure in snakemake.params.figures:
        shared = drawn[np.isclose(drawn["scale"], float(figure["scale"]))]
        frame = shared[shared["model"] == model]
        if frame.empty:
            raise ValueError(
                f"{snakemake.input.landscapes} has no {model} landscape of seed {seed} "
                f"at scale {figure['scale']}"
            )
        metric, kind = figure["metric"], figure["kind"]
        epoch = int(frame["epoch"].iloc[0])
        title = f"{model} (seed {seed}): {metric}, scale {figure['scale']}, epoch {epoch}"
        drawing = DRAW[kind](frame, metric, title=title, limits=colour_limits(shared, metric))
        save_figure(drawing, figure["paths"])
