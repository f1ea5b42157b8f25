"""E3's per-(seed, model) table and the mean-over-seeds convergence figure."""

import pandas as pd

from prunescape.io import atomic_path, read_json, write_csv, write_text
from prunescape.runtime import job
from prunescape.tickets import TicketRun, comparison_table, convergence_figure, markdown_table

with job(snakemake.threads, snakemake.log[0]):
    runs = [
        TicketRun(
            seed=int(run["seed"]),
            model=run["model"],
            metrics=pd.read_csv(run["metrics"]),
            status=read_json(run["status"]),
            bleu=read_json(run["bleu"])["bleu"],
        )
        for run in snakemake.params.runs
    ]
    sparsity = {
        (int(report["seed"]), int(report["rate"])): read_json(report["path"])
        for report in snakemake.params.sparsity
    }
    targets = [float(t) for t in snakemake.params.acc_targets]
    table = comparison_table(runs, sparsity, targets)
    write_csv(snakemake.output.table, table)
    write_text(snakemake.output.markdown, markdown_table(table))
    auc_end = float(table["auc_end_step"].iloc[0]) if len(table) else None
    figure = convergence_figure(runs, targets, auc_end)
    with atomic_path(snakemake.output.figure) as tmp:
        figure.savefig(tmp, format="png", dpi=110, metadata={"Software": None})
