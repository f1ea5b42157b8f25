"""Time the paper-size study's units on one device and estimate the whole study.

Measures (a) one training epoch of config/paper.yaml's model (d_model 512, 6+6 layers,
8 heads, batch 192) on Multi30k and (b) landscape grid points per second with
``points_per_pass`` 1 and K, then multiplies them out. ``--tiny`` shrinks model and
data so the whole script runs in seconds on a CPU (a dry run of the code path).

    python benchmarks/gpu_check.py --device cuda --multi30k resources/multi30k
    python benchmarks/gpu_check.py --device cpu --tiny    # dry run
"""

from __future__ import annotations

import argparse
import time

import torch

from prunescape.landscape import evaluate_grid, parameter_centre, plane
from prunescape.translation import corpus, multi30k
from prunescape.translation.batching import Batcher, batch_sums
from prunescape.translation.model import Transformer, TransformerConfig
from prunescape.translation.synthetic import generate_corpus
from prunescape.translation.training import train_step


def load_pairs(args: argparse.Namespace) -> dict[str, list[tuple[str, str]]]:
    if args.multi30k:
        return multi30k.read(args.multi30k, 256 if args.tiny else None)
    sizes = {"train": 256, "val": 64, "test": 64}
    return generate_corpus(seed=0, sizes=sizes, nouns=24, adjectives=8, verbs=8, max_adjectives=2)


def synced(device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--multi30k", help="folder of the released Multi30k files")
    parser.add_argument("--tiny", action="store_true", help="small model and data (dry run)")
    parser.add_argument("--points-per-pass", type=int, default=8, help="K of the batched grid")
    parser.add_argument("--grid", type=int, default=21, help="grid points per axis (estimate)")
    parser.add_argument("--eval-sentences", type=int, default=1014, help="per grid point")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--e2-runs", type=int, default=25, help="E2 retrainings (5×5 grid)")
    parser.add_argument("--landscapes", type=int, default=30, help="grids: 5 models×2 scales×seeds")
    args = parser.parse_args()
    device = torch.device(args.device)
    pairs = load_pairs(args)
    itos = corpus.build_vocab(pairs["train"], 1 if args.tiny else 3)
    stoi = {t: i for i, t in enumerate(itos)}
    train = Batcher(corpus.encode_pairs(pairs["train"], stoi))
    val = Batcher(corpus.encode_pairs(pairs["val"][: args.eval_sentences], stoi))
    sizes = (
        dict(d_model=32, d_inner=64, layers=1, heads=2)
        if args.tiny
        else dict(d_model=512, d_inner=2048, layers=6, heads=8)
    )
    batch_size = 32 if args.tiny else 192
    torch.manual_seed(0)
    model = Transformer(TransformerConfig(vocab_size=len(itos), **sizes)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.0, betas=(0.9, 0.98), eps=1e-9)
    batches = train.batches(batch_size, torch.Generator().manual_seed(0), by_length=True)
    model.train()
    train_step(model, optimizer, batches[0], 1e-4, 0.1)  # warm-up
    start = synced(device)
    for batch in batches:
        train_step(model, optimizer, batch, 1e-4, 0.1)
    epoch_s = synced(device) - start
    print(
        f"device {device}: one epoch, {len(batches)} steps of batch {batch_size}: {epoch_s:.1f} s"
    )

    eval_batches = val.batches(batch_size)
    center = parameter_centre(model)
    directions = plane("random-random", center, seed=0)
    rates = {}
    for k in (1, args.points_per_pass):
        xs = [0.1 * i for i in range(2 * k)]
        run = lambda xs=xs, k=k: evaluate_grid(  # noqa: E731
            model, center, directions, xs, [0.0], eval_batches, batch_sums,
            progress=False, points_per_pass=k,
        )  # fmt: skip
        run(xs[:k])  # warm-up
        start = synced(device)
        run()
        rates[k] = len(xs) / (synced(device) - start)
        print(f"landscape: {rates[k]:.2f} grid points/s at points_per_pass {k}")

    train_epochs = args.epochs * (5 * args.seeds + args.e2_runs)
    points = args.landscapes * args.grid**2
    best = max(rates.values())
    train_h, grid_h = train_epochs * epoch_s / 3600, points / best / 3600
    print(
        f"estimate: {train_epochs} training epochs ({args.epochs} × (1 baseline + 4 tickets) × "
        f"{args.seeds} seeds + {args.e2_runs} E2 retrainings) = {train_h:.1f} h"
        f"; {args.landscapes} landscapes × {args.grid}² points = {grid_h:.1f} h; "
        f"whole study ≈ {train_h + grid_h:.1f} h on this device"
    )


if __name__ == "__main__":
    main()
