"""The results summary: the study's claims beside this run's numbers (Markdown and HTML)."""

import pandas as pd

from prunescape.io import read_json, write_text
from prunescape.runtime import job
from prunescape.summary import results_summary, setup_sentence


def by_seed(paths: list[str], seeds: list[int]) -> pd.DataFrame:
    """Per-seed tables stacked, each row labelled with its seed."""
    frames = [pd.read_csv(path).assign(seed=seed) for path, seed in zip(paths, seeds, strict=True)]
    return pd.concat(frames, ignore_index=True)


with job(snakemake.threads, snakemake.log[0]):
    if snakemake.input.tune:
        choice = read_json(snakemake.input.tune[0])
        schedule = f"lr_mul {choice['lr_mul']:g} chosen by the tune stage from {choice['grid']}"
        if choice["at_edge"]:
            schedule += " (at the edge of its grid: widen tune.lr_muls)"
    else:
        schedule = f"lr_mul {snakemake.params.lr_mul:g} pinned by the config"
    e2_seeds = snakemake.params.e2_seeds
    document = results_summary(
        attention=pd.read_csv(snakemake.input.attention),
        tickets=pd.read_csv(snakemake.input.tickets),
        e2_summary=by_seed(snakemake.input.e2_summary, e2_seeds),
        e2_surfaces=by_seed(snakemake.input.e2_surfaces, e2_seeds),
        landscapes=pd.read_csv(snakemake.input.landscapes),
        hessian=pd.read_csv(snakemake.input.hessian),
        run=snakemake.params.run,
        setup=setup_sentence(snakemake.params.run, **snakemake.params.setup, schedule=schedule),
        e2_rate=snakemake.params.e2_rate,
        barriers=pd.read_csv(snakemake.input.barriers),
        paths=pd.read_csv(snakemake.input.paths),
    )
    write_text(snakemake.output.markdown, document.to_markdown())
    write_text(snakemake.output.html, document.to_html())
