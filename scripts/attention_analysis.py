"""Summarise every E1 run (seed × setting) and draw the figures over seeds."""

import pandas as pd

from prunescape.attention.analysis import convergence_summary
from prunescape.attention.plots import curves_figure, rate_figure
from prunescape.io import atomic_path, write_csv
from prunescape.runtime import job


def save(fig, path):
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})


with job(snakemake.threads, snakemake.log[0]):
    keys = [tuple(run) for run in snakemake.params.runs]
    metrics = dict(zip(keys, map(pd.read_csv, snakemake.input.metrics), strict=True))
    steps = dict(zip(keys, map(pd.read_csv, snakemake.input.steps), strict=True))
    runs = {key: (metrics[key], steps[key]) for key in keys}
    summary = convergence_summary(runs, snakemake.params.threshold)
    write_csv(snakemake.output.summary, summary)
    save(curves_figure(metrics), snakemake.output.curves)
    save(curves_figure(metrics, snakemake.params.smoothing), snakemake.output.smoothed)
    save(rate_figure(steps, summary), snakemake.output.rate)
