"""Build the translation corpus: vocabulary, encoded splits, references and stats."""

from pathlib import Path

from prunescape.io import save_checkpoint, write_json, write_text
from prunescape.runtime import job
from prunescape.translation import corpus, multi30k
from prunescape.translation.synthetic import ceiling, corpus_lexicon, generate_corpus

with job(snakemake.threads, snakemake.log[0]):
    cfg = snakemake.params.data
    if cfg["source"] == "multi30k":
        pairs = multi30k.read(Path(snakemake.input.raw[0]).parent, cfg["train_pairs"])
    else:
        synthetic = cfg["synthetic"]
        pairs = generate_corpus(
            seed=synthetic["seed"],
            sizes={"train": synthetic["train"], "val": synthetic["val"], "test": synthetic["test"]},
            nouns=synthetic["nouns"],
            adjectives=synthetic["adjectives"],
            verbs=synthetic["verbs"],
            max_adjectives=synthetic["max_adjectives"],
            synonym_rate=synthetic["synonym_rate"],
        )
    itos = corpus.build_vocab(pairs["train"], cfg["min_freq"])
    stoi = {token: i for i, token in enumerate(itos)}
    encoded = {split: corpus.encode_pairs(pairs[split], stoi) for split in ("train", "val", "test")}
    for split, tensors in encoded.items():
        save_checkpoint(getattr(snakemake.output, split), tensors, {"split": split})
    write_json(snakemake.output.vocab, {"itos": itos, "specials": list(corpus.SPECIALS)})
    write_text(snakemake.output.references, "".join(trg + "\n" for _, trg in pairs["test"]))
    stats = corpus.statistics(itos, encoded, cfg["min_freq"])
    stats["source"] = cfg["source"]
    if cfg["source"] == "synthetic":
        # The best validation accuracy and loss any model can reach: final-quality
        # comparisons read as a gap to this limit.
        lexicon = corpus_lexicon(
            seed=synthetic["seed"],
            nouns=synthetic["nouns"],
            adjectives=synthetic["adjectives"],
            verbs=synthetic["verbs"],
            synonym_rate=synthetic["synonym_rate"],
        )
        stats["val_limit"] = ceiling(pairs["val"], lexicon, synthetic["synonym_rate"])
    write_json(snakemake.output.stats, stats)
