"""The results summary: the study's claims beside this run's numbers (Markdown and HTML)."""

import pandas as pd

from prunescape.io import write_text
from prunescape.runtime import job
from prunescape.summary import results_summary, setup_sentence

with job(snakemake.threads, snakemake.log[0]):
    document = results_summary(
        attention=pd.read_csv(snakemake.input.attention),
        tickets=pd.read_csv(snakemake.input.tickets),
        e2_summary=pd.read_csv(snakemake.input.e2_summary),
        e2_surfaces=pd.read_csv(snakemake.input.e2_surfaces),
        landscapes=pd.read_csv(snakemake.input.landscapes),
        landscape_epoch=snakemake.params.landscape_epoch,
        run=snakemake.params.run,
        setup=setup_sentence(snakemake.params.run, **snakemake.params.setup),
        e2_rate=snakemake.params.e2_rate,
    )
    write_text(snakemake.output.markdown, document.to_markdown())
    write_text(snakemake.output.html, document.to_html())
