"""Prune the baseline's w* globally by magnitude at one rate; write mask and report."""

from prunescape.io import save_checkpoint, write_json
from prunescape.pruning import global_magnitude_masks, prunable_names, sparsity_report
from prunescape.runtime import job
from prunescape.translation.artifacts import load_model, load_vocab

with job(snakemake.threads, snakemake.log[0]):
    prune = snakemake.params.prune
    rate = int(snakemake.wildcards.rate)
    itos = load_vocab(snakemake.input.vocab)
    model = load_model(snakemake.input.final, snakemake.params.model, len(itos))
    names = prunable_names(model, prune["patterns"], include_embeddings=prune["include_embeddings"])
    params = dict(model.named_parameters())
    masks = global_magnitude_masks(params, names, rate / 100)
    save_checkpoint(snakemake.output.masks, masks, {"rate": rate, "names": names})
    write_json(snakemake.output.report, sparsity_report(masks, rate / 100))
