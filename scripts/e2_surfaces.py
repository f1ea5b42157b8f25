"""E2's tidy surface CSV over (epoch, α, β) and its per-point summary."""

import pandas as pd

from prunescape.e2 import summary, surfaces
from prunescape.io import write_csv
from prunescape.runtime import job

with job(snakemake.threads, snakemake.log[0]):
    metrics = {
        (float(alpha), float(beta)): pd.read_csv(path)
        for (alpha, beta), path in zip(
            snakemake.params.points, snakemake.input.metrics, strict=True
        )
    }
    surface = surfaces(metrics)
    write_csv(snakemake.output.surfaces, surface)
    write_csv(snakemake.output.summary, summary(surface))
