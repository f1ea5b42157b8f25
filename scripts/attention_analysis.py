"""Summarise E1's convergence and draw its figures."""

import pandas as pd

from prunescape.attention.analysis import summarise
from prunescape.attention.plots import curves_figure, loglog_figure
from prunescape.io import atomic_path, write_csv
from prunescape.runtime import job


def save(fig, path):
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})


with job(snakemake.threads, snakemake.log[0]):
    runs = {
        setting: pd.read_csv(path)
        for setting, path in zip(snakemake.params.settings, snakemake.input.metrics, strict=True)
    }
    write_csv(snakemake.output.summary, summarise(runs, snakemake.params.threshold))
    save(curves_figure(runs), snakemake.output.curves)
    save(curves_figure(runs, snakemake.params.smoothing), snakemake.output.smoothed)
    save(loglog_figure(runs), snakemake.output.loglog)
