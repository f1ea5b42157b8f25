"""E2's tidy surface CSV over (epoch, α, β) and its per-point summary, for one seed."""

import pandas as pd

from prunescape.e2 import summary, surfaces
from prunescape.io import write_csv
from prunescape.runtime import job

with job(snakemake.threads, snakemake.log[0]):
    metrics = {
        (point["alpha"], point["beta"]): pd.read_csv(point["metrics"])
        for point in snakemake.params.points
    }
    surface = surfaces(metrics, snakemake.params.epochs)
    write_csv(snakemake.output.surfaces, surface)
    write_csv(snakemake.output.summary, summary(surface))
