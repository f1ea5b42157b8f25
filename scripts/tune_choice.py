"""Pick the tuned learning-rate multiplier; write the grid table, choice and figure."""

import pandas as pd

from prunescape.io import atomic_path, read_json, write_csv, write_json
from prunescape.runtime import job
from prunescape.translation.tuning import choose, tune_figure, tune_grid

with job(snakemake.threads, snakemake.log[0]):
    runs = [{**read_json(r["status"]), "lr_mul": r["lr_mul"]} for r in snakemake.params.runs]
    metrics = {r["lr_mul"]: pd.read_csv(r["metrics"]) for r in snakemake.params.runs}
    grid = tune_grid(runs, metrics)
    choice = choose(grid)
    print(grid.to_string(index=False))
    if choice["at_edge"]:
        print(
            f"WARNING: the chosen lr_mul {choice['lr_mul']:g} is at the edge of the grid "
            f"{choice['grid']}; widen tune.lr_muls",
            flush=True,
        )
    write_csv(snakemake.output.grid, grid)
    write_json(snakemake.output.choice, choice)
    with atomic_path(snakemake.output.figure) as tmp:
        tune_figure(grid, metrics, choice).savefig(
            tmp, format="png", dpi=100, metadata={"Software": None}
        )
