"""Generate E1's teacher-labelled dataset and its statistics."""

from prunescape.attention.data import DatasetConfig, generate, statistics
from prunescape.io import save_checkpoint, write_json
from prunescape.runtime import job

with job(snakemake.threads, snakemake.log[0]):
    cfg = DatasetConfig(**snakemake.params.dataset)
    data = generate(cfg)
    save_checkpoint(snakemake.output.data, data, {"dataset": snakemake.params.dataset})
    write_json(snakemake.output.stats, statistics(cfg, data))
