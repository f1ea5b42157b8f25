"""The Hessian spectra, the loss along lines between models and the trajectory planes."""

import pandas as pd

from prunescape.render import save_figure
from prunescape.render.measures import lines_figure, spectrum_figure, trajectory_figure
from prunescape.runtime import job

with job(snakemake.threads, snakemake.log[0]):
    seed, models = snakemake.params.seed, snakemake.params.models
    hessian = pd.read_csv(snakemake.input.hessian)
    save_figure(spectrum_figure(hessian, models, seed), snakemake.output.spectrum)
    lines, barriers = pd.read_csv(snakemake.input.lines), pd.read_csv(snakemake.input.barriers)
    save_figure(lines_figure(lines, barriers), snakemake.output.lines)
    paths = pd.read_csv(snakemake.input.paths)
    surfaces = dict(zip(models, map(pd.read_csv, snakemake.input.trajectories), strict=True))
    drawn = {model: paths[(paths["seed"] == seed) & (paths["model"] == model)] for model in models}
    title = f"loss on each model's trajectory plane (PCA of its epoch checkpoints), seed {seed}"
    save_figure(trajectory_figure(surfaces, drawn, title=title), snakemake.output.trajectories)
