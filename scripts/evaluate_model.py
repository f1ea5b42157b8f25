"""Greedy-decode the test set with one model; BLEU and chrF against raw references."""

from prunescape.io import write_json, write_text
from prunescape.runtime import job
from prunescape.translation.artifacts import load_model, load_split, load_vocab
from prunescape.translation.evaluation import scores, translate

with job(snakemake.threads, snakemake.log[0], snakemake.params.device) as device:
    itos = load_vocab(snakemake.input.vocab)
    model = load_model(snakemake.input.weights, snakemake.params.model, len(itos)).to(device)
    with open(snakemake.input.references, encoding="utf-8") as handle:
        references = handle.read().splitlines()
    hypotheses = translate(model, load_split(snakemake.input.test), itos)
    write_text(snakemake.output.hypotheses, "".join(h + "\n" for h in hypotheses))
    write_json(
        snakemake.output.scores,
        {"model": snakemake.wildcards.model, **scores(hypotheses, references)},
    )
