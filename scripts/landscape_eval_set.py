"""Cache the landscape's fixed evaluation subset as padded batches.

Whole sentences from the start of the split until landscape.eval_tokens target
tokens are counted (the tokens a loss is averaged over), or the whole split. They
are batched in order of length, so batches carry little padding: every grid point,
line point and Hessian-vector product computes on them.
"""

from itertools import accumulate

from prunescape.runtime import job
from prunescape.translation.artifacts import load_split, save_batches

with job(snakemake.threads, snakemake.log[0]):
    data = load_split(snakemake.input.split)
    wanted = snakemake.params.tokens
    # Each sentence's counted targets: every token after <s>, </s> included.
    counted = list(accumulate(len(trg) - 1 for trg in data.trg))
    if wanted == "all" or counted[-1] <= wanted:
        count = len(data)
    else:
        count = next(i + 1 for i, total in enumerate(counted) if total >= wanted)
    if wanted != "all" and counted[count - 1] < wanted:
        print(
            f"WARNING: {snakemake.input.split} has only {counted[-1]} target tokens, "
            f"fewer than landscape.eval_tokens = {wanted}; using the whole split",
            flush=True,
        )
    indices = data.length_key[:count].sort(stable=True).indices.tolist()
    size = snakemake.params.batch_size
    batches = [data.collate(indices[i : i + size]) for i in range(0, count, size)]
    save_batches(snakemake.output[0], batches)
    print(f"{count} sentences, {counted[count - 1]} target tokens", flush=True)
