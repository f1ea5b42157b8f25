"""Cache the landscape's fixed evaluation subset as padded batches."""

from prunescape.runtime import job
from prunescape.translation.artifacts import load_split, save_batches

with job(snakemake.threads, snakemake.log[0]):
    data = load_split(snakemake.input.split)
    count = min(snakemake.params.sentences, len(data))
    indices = list(range(count))
    size = snakemake.params.batch_size
    batches = [data.collate(indices[i : i + size]) for i in range(0, count, size)]
    save_batches(snakemake.output[0], batches)
