"""E3's table and convergence figure of the baseline and every ticket."""

import pandas as pd

from prunescape.io import atomic_path, read_json, write_csv, write_text
from prunescape.runtime import job
from prunescape.tickets import comparison_table, convergence_figure, markdown_table

with job(snakemake.threads, snakemake.log[0]):
    models = snakemake.params.models
    metrics = {m: pd.read_csv(p) for m, p in zip(models, snakemake.input.metrics, strict=True)}
    bleu = {m: read_json(p)["bleu"] for m, p in zip(models, snakemake.input.bleu, strict=True)}
    pruned = {
        rate: 1 - read_json(p)["kept_fraction"]
        for rate, p in zip(snakemake.params.rates, snakemake.input.sparsity, strict=True)
    }
    sparsity = {m: pruned[int(m.rsplit("-", 1)[1])] for m in models if m != "baseline"}
    table = comparison_table(metrics, bleu, sparsity)
    write_csv(snakemake.output.table, table)
    write_text(snakemake.output.markdown, markdown_table(table))
    with atomic_path(snakemake.output.figure) as tmp:
        convergence_figure(metrics).savefig(tmp, format="png", dpi=110, metadata={"Software": None})
