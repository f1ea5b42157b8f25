"""Contour and 3-D surface figures of one model's landscape at one scale, last epoch drawn.

Colour limits (and the surfaces' z range) are shared per metric by every model
at this scale and epoch, so figures of different models compare directly.
"""

import numpy as np
import pandas as pd

from prunescape.render import (
    colour_limits,
    contour_figure,
    figure_files,
    save_figure,
    surface_figure,
)
from prunescape.runtime import job

DRAW = {"contour": contour_figure, "surface": surface_figure}

with job(snakemake.threads, snakemake.log[0]):
    model, scale, epoch = (
        snakemake.wildcards.model,
        snakemake.wildcards.scale,
        snakemake.params.epoch,
    )
    tidy = pd.read_csv(snakemake.input.landscapes)
    shared = tidy[
        (tidy["epoch"] == epoch)
        & np.isclose(tidy["scale"], float(scale))
        & tidy["model"].isin(snakemake.params.models)
    ]
    frame = shared[shared["model"] == model]
    if frame.empty:
        raise ValueError(
            f"{snakemake.input.landscapes} has no {model} landscape at epoch {epoch}, scale {scale}"
        )
    for stem, paths in figure_files(snakemake.output).items():
        metric, kind = stem.name.rsplit("_", 1)
        title = f"{model}: {metric}, scale {scale}, epoch {epoch}"
        figure = DRAW[kind](frame, metric, title=title, limits=colour_limits(shared, metric))
        save_figure(figure, paths)
