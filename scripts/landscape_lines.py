"""The loss along the straight line between pairs of one seed's models, and the
barrier on each line: a ticket's two inits on one mask, the baseline and each
ticket, and a w0 ticket's two data orders (the instability test)."""

import pandas as pd

from prunescape.io import load_checkpoint, write_csv
from prunescape.landscape import barrier_row, interpolate, line_points
from prunescape.runtime import job
from prunescape.translation.artifacts import build_model, load_batches, load_vocab
from prunescape.translation.batching import batch_sums

with job(snakemake.threads, snakemake.log[0], snakemake.params.device) as device:
    cfg = snakemake.params.line
    model = build_model(snakemake.params.model, len(load_vocab(snakemake.input.vocab))).to(device)
    batches = load_batches(snakemake.input.eval_set)
    ts = line_points(*cfg["range"], per_unit=cfg["per_unit"])
    lines, barriers = [], []
    for pair in snakemake.params.pairs:
        a, b = (load_checkpoint(pair[f"{end}_path"])[0] for end in ("a", "b"))
        print(f"{pair['kind']}: {pair['a']} → {pair['b']}", flush=True)
        line = interpolate(model, a, b, batches, batch_sums, ts=ts, progress=True)
        labels = {"kind": pair["kind"], "a": pair["a"], "b": pair["b"]}
        lines.append(line.assign(**labels)[[*labels, *line.columns]])
        barriers.append({**labels, **barrier_row(line)})
    write_csv(snakemake.output.lines, pd.concat(lines, ignore_index=True))
    write_csv(snakemake.output.barriers, pd.DataFrame(barriers))
