"""Gather every (seed, model) landscape: the tidy grids, the viewer's CSV, the Hessians,
the trajectory paths; and every seed's lines and barriers."""

import pandas as pd

from prunescape.io import write_csv
from prunescape.landscape import viewer_frame
from prunescape.runtime import job


def labelled(path: str, run: dict) -> pd.DataFrame:
    frame = pd.read_csv(path)
    if "model" in run:
        frame.insert(0, "model", run["model"])
    frame.insert(0, "seed", run["seed"])
    return frame


def gathered(key: str) -> pd.DataFrame:
    """Every run's table of ``key``; header-only ones (no grid drawn) add no rows."""
    frames = [labelled(run[key], run) for run in runs]
    return pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)


def seeded(paths: list[str]) -> pd.DataFrame:
    pairs = zip(paths, snakemake.params.seeds, strict=True)
    return pd.concat([labelled(path, {"seed": seed}) for path, seed in pairs], ignore_index=True)


with job(snakemake.threads, snakemake.log[0]):
    runs = snakemake.params.runs
    tidy = gathered("grids")
    write_csv(snakemake.output.tidy, tidy)
    write_csv(snakemake.output.hessian, gathered("hessian"))
    write_csv(snakemake.output.paths, gathered("path"))
    write_csv(snakemake.output.lines, seeded(snakemake.input.lines))
    write_csv(snakemake.output.barriers, seeded(snakemake.input.barriers))
    # The viewer tells seeds apart by the model's label.
    labelled_models = tidy.assign(model=tidy["model"] + " seed " + tidy["seed"].astype(str))
    write_csv(snakemake.output.viewer, viewer_frame(labelled_models.drop(columns="seed")))
