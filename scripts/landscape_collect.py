"""Gather every (seed, model) landscape: the tidy grids, the viewer's CSV, the Hessians."""

import pandas as pd

from prunescape.io import write_csv
from prunescape.landscape import viewer_frame
from prunescape.runtime import job


def labelled(path: str, run: dict) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame.insert(0, "model", run["model"])
    frame.insert(0, "seed", run["seed"])
    return frame


with job(snakemake.threads, snakemake.log[0]):
    runs = snakemake.params.runs
    tidy = pd.concat([labelled(run["grids"], run) for run in runs], ignore_index=True)
    hessian = pd.concat([labelled(run["hessian"], run) for run in runs], ignore_index=True)
    write_csv(snakemake.output.tidy, tidy)
    write_csv(snakemake.output.hessian, hessian)
    # The viewer tells seeds apart by the model's label.
    seeded = tidy.assign(model=tidy["model"] + " seed " + tidy["seed"].astype(str))
    write_csv(snakemake.output.viewer, viewer_frame(seeded.drop(columns="seed")))
