"""Prune one seed's baseline w* globally by magnitude at every rate; masks and reports."""

from prunescape.io import save_checkpoint, write_json
from prunescape.pruning import global_magnitude_masks, prunable_names, sparsity_report
from prunescape.runtime import job
from prunescape.translation.artifacts import load_model, load_vocab
from prunescape.translation.training import parameters

with job(snakemake.threads, snakemake.log[0]):
    prune = snakemake.params.prune
    itos = load_vocab(snakemake.input.vocab)
    model = load_model(snakemake.input.final, snakemake.params.model, len(itos))
    names = prunable_names(model, prune["patterns"], include_embeddings=prune["include_embeddings"])
    params = dict(model.named_parameters())
    # parameters() lists a tied matrix once, so the share of all weights counts it once.
    total = sum(p.numel() for p in parameters(model).values())
    outputs = zip(prune["rates"], snakemake.output.masks, snakemake.output.reports, strict=True)
    for rate, mask_path, report_path in outputs:
        masks = global_magnitude_masks(params, names, rate / 100)
        save_checkpoint(mask_path, masks, {"rate": rate, "names": names})
        write_json(report_path, sparsity_report(masks, rate / 100, total))
        print(f"rate {rate} %: {report_path}", flush=True)
