"""Throughput of the translation transformer against this machine's matmul peak.

Measures in one run, on real padded batches of the synthetic corpus (CPU by default):
(a) the float32 matmul peak (best of a few large square products);
(b) training throughput: target tokens/s of the training step (forward, label-smoothed
    loss, backward, Adam with the warm-up schedule), as in ``training.train``,
    timed over ``--steps`` steps after ``--warmup-steps`` untimed ones;
(c) evaluation throughput: target tokens/s of ``batching.eval_metrics``, and greedy
    decoding (``evaluation.greedy_decode``) in sentences/s (tokens/s: tokens emitted);
(d) the FLOP/s each achieves as a fraction of (a). FLOPs are counted with
    ``torch.utils.flop_counter.FlopCounterMode`` on the same batches (padded positions
    included, as the hardware computes them); an analytic estimate (2 FLOPs per weight
    per position forward, 3× that for training, plus attention scores) is printed
    beside it as a cross-check;
(e) training's batching and loss against the textbook baseline, timed on the same
    number of steps from the same model: shuffled batches and logits at every padded
    position, versus length-grouped batches and logits only where the loss counts.
    The gain grows with vocabulary and length spread (try ``--multi30k``);
(f) equal work against the reference implementation the study forked
    (``reference_transformer.py``): training and evaluation tokens/s of both models on
    the same padding-free random batches (``--ref-*`` options), with ``--ref-threads``
    threads (2 by default): once interleaved in one process (the models alone), once
    each in its own process as its code runs it; the ratios are printed.

Times are CPU time of this process with one thread (the default: steadiest on a
shared machine, where it equals wall time when the machine is idle), wall time otherwise.

    python benchmarks/train_bench.py                      # about 30 s on 2 cores
    python benchmarks/train_bench.py --multi30k resources/multi30k --d-model 64 \\
        --d-inner 128 --train-sentences 10000        # the multi30k-cpu config's setting
    python benchmarks/train_bench.py --d-model 512 --d-inner 2048 --layers 6 --heads 8 \\
        --batch-size 192 --nouns 2000 --threads 2         # the study's model (slow on a CPU)
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from reference_transformer import ReferenceTransformer, train_py_performance
from torch.utils.flop_counter import FlopCounterMode

from prunescape.runtime import keep_freed_memory
from prunescape.translation import corpus, multi30k
from prunescape.translation.batching import Batch, Batcher, eval_metrics
from prunescape.translation.corpus import PAD
from prunescape.translation.evaluation import greedy_decode
from prunescape.translation.model import Transformer, TransformerConfig, count_parameters
from prunescape.translation.schedule import learning_rate
from prunescape.translation.synthetic import generate_corpus
from prunescape.translation.training import study_adam, train_step


def make_data(args: argparse.Namespace) -> tuple[list[str], dict[str, Batcher]]:
    sizes = {"train": args.train_sentences, "val": args.eval_sentences, "test": args.decode}
    if args.multi30k:
        released = multi30k.read(args.multi30k, args.train_sentences)
        pairs = {split: released[split][: sizes[split]] for split in sizes}
        itos = corpus.build_vocab(pairs["train"], 3)
        stoi = {t: i for i, t in enumerate(itos)}
        return itos, {split: Batcher(corpus.encode_pairs(p, stoi)) for split, p in pairs.items()}
    pairs = generate_corpus(
        seed=0,
        sizes=sizes,
        nouns=args.nouns,
        adjectives=max(4, args.nouns // 3),
        verbs=max(4, args.nouns // 3),
        max_adjectives=args.max_adjectives,
    )
    itos = corpus.build_vocab(pairs["train"], 1)
    stoi = {t: i for i, t in enumerate(itos)}
    return itos, {split: Batcher(corpus.encode_pairs(p, stoi)) for split, p in pairs.items()}


def target_tokens(batches: list[Batch]) -> int:
    """Predicted (non-pad) target tokens: what training and evaluation are measured in."""
    return sum(int((trg[:, 1:] != PAD).sum()) for _, trg in batches)


def padded_positions(batches: list[Batch]) -> int:
    return sum(trg[:, 1:].numel() for _, trg in batches)


def plain_step(
    model: Transformer, optimizer: torch.optim.Optimizer, batch: Batch, lr: float, smoothing: float
) -> None:
    """The textbook step (e) compares against: logits at every padded position."""
    src, trg = batch
    for group in optimizer.param_groups:
        group["lr"] = lr
    gold = trg[:, 1:]
    logits = model(src, trg[:, :-1])
    loss_sum = F.cross_entropy(
        logits.transpose(1, 2), gold, ignore_index=PAD, reduction="sum", label_smoothing=smoothing
    )
    optimizer.zero_grad(set_to_none=True)
    (loss_sum / (gold != PAD).sum()).backward()
    optimizer.step()


def counted_flops(fn: Callable[[], object]) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def analytic_forward_flops(model: Transformer, batches: list[Batch]) -> int:
    """2 FLOPs per weight per position, plus QKᵀ and AV (4·Lq·Lk·d per layer), padded shapes;
    the output projection only at counted (non-pad) target tokens."""
    cfg = model.cfg
    enc = sum(p.numel() for p in model.encoder.parameters() if p.dim() == 2)
    dec = sum(p.numel() for p in model.decoder.parameters() if p.dim() == 2)
    total = 0
    for src, trg in batches:
        b, s, t = src.shape[0], src.shape[1], trg.shape[1] - 1
        projected = int((trg[:, 1:] != PAD).sum())  # training projects counted tokens only
        weights = enc * b * s + dec * b * t + cfg.vocab_size * cfg.d_model * projected
        attention = cfg.layers * 4 * b * cfg.d_model * (s * s + t * t + t * s)
        total += 2 * weights + attention
    return total


def random_batches(vocab: int, n: int, size: int, length: int, seed: int) -> list[Batch]:
    """Padding-free (src, trg) batches of random non-special tokens: equal work for any model."""
    g = torch.Generator().manual_seed(seed)
    return [
        (
            torch.randint(4, vocab, (size, length), generator=g),
            torch.randint(4, vocab, (size, length + 1), generator=g),
        )
        for _ in range(n)
    ]


def reference_step(
    model: ReferenceTransformer,
    optimizer: torch.optim.Optimizer,
    batch: Batch,
    lr: float,
    as_train_py: bool = False,
) -> None:
    """The reference model's training step. By default with the work of ``train_step``
    (the same label-smoothed loss and the correct-token count); ``as_train_py`` as the
    reference's train.py does it (its one-hot smoothing, summed loss, host syncs)."""
    src, trg = batch
    for group in optimizer.param_groups:
        group["lr"] = lr
    gold = trg[:, 1:].reshape(-1)
    optimizer.zero_grad(set_to_none=True)
    logits = model(src, trg[:, :-1])
    if as_train_py:
        loss, correct = train_py_performance(logits, gold, PAD)
        loss.backward()
        optimizer.step()
        loss.item(), correct.item(), gold.ne(PAD).sum().item()
        return
    loss = F.cross_entropy(logits, gold, ignore_index=PAD, reduction="sum", label_smoothing=0.1)
    with torch.no_grad():
        (logits.argmax(-1) == gold).sum()
    (loss / gold.numel()).backward()
    optimizer.step()


@torch.no_grad()
def reference_eval(model: ReferenceTransformer, batches: list[Batch]) -> list[float]:
    """Summed loss, tokens and correct argmax tokens, as ``eval_metrics`` computes them."""
    model.eval()
    total = torch.zeros(3, dtype=torch.float64)
    for src, trg in batches:
        gold = trg[:, 1:].reshape(-1)
        logits = model(src, trg[:, :-1])
        loss = F.cross_entropy(logits, gold, ignore_index=PAD, reduction="sum")
        correct = (logits.argmax(-1) == gold).sum()
        total += torch.stack([loss.double(), torch.tensor(gold.numel()), correct.double()])
    return total.tolist()


def reference_pair(args: argparse.Namespace) -> tuple[Transformer, ReferenceTransformer]:
    """Both models at the benchmark's size, each initialised from torch seed 0."""
    sizes = dict(d_model=args.d_model, d_inner=args.d_inner, layers=args.layers, heads=args.heads)
    torch.manual_seed(0)
    ours = Transformer(TransformerConfig(vocab_size=args.ref_vocab, **sizes))
    torch.manual_seed(0)
    return ours, ReferenceTransformer(args.ref_vocab, PAD, **sizes)


def reference_runs(
    args: argparse.Namespace, side: str, shipped: bool
) -> dict[str, Callable[[], object]]:
    """The timed work of one side (f) compares: a training pass and an evaluation pass
    over the same padding-free batches. ``shipped``: ours with the Adam prunescape
    trains with; the reference's step as its train.py takes it (torch's default Adam)."""
    ours, reference = reference_pair(args)
    shape = (args.batch_size, args.ref_length)
    train_batches = random_batches(args.ref_vocab, args.ref_steps, *shape, seed=1)
    eval_batches = random_batches(args.ref_vocab, args.ref_steps, *shape, seed=2)
    lr = learning_rate(1, d_model=args.d_model, lr_mul=0.5, warmup=4000)

    def adam(m: torch.nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(m.parameters(), lr=0.0, betas=(0.9, 0.98), eps=1e-9)

    if side == "ours":
        optimizer = study_adam(ours.parameters()) if shipped else adam(ours)
        runs = {
            "train": lambda: [train_step(ours, optimizer, b, lr, 0.1) for b in train_batches],
            "eval": lambda: eval_metrics(ours, eval_batches),
        }
    else:
        optimizer = adam(reference)
        runs = {
            "train": lambda: [
                reference_step(reference, optimizer, b, lr, as_train_py=shipped)
                for b in train_batches
            ],
            "eval": lambda: reference_eval(reference, eval_batches),
        }
    for run in runs.values():  # warm-up
        run()
    (ours if side == "ours" else reference).train()
    return runs


def timed_side(args: argparse.Namespace) -> None:
    """(f) in a child process: one side, set up as its own code runs, prints its times."""
    torch.set_num_threads(args.ref_threads)
    if args.ref_side == "ours":
        keep_freed_memory()  # as every prunescape job does (prunescape.runtime.job)
    clock = clock_for(args.ref_threads)
    times = {}
    for name, run in reference_runs(args, args.ref_side, shipped=True).items():
        start = clock()
        run()
        times[name] = clock() - start
    print(json.dumps(times))


def compare_reference(args: argparse.Namespace) -> None:
    """(f) Tokens/s of ours and the reference on identical padding-free batches.

    Twice: both models in this one process doing the same work per step (the models'
    code alone: same loss, same allocator, same optimiser), then each side in a fresh
    process of its own, alternating, set up as it runs in practice (prunescape's job
    runtime and Adam; the reference's train.py step with torch's defaults), which is
    how a side-by-side check of the two codes sees them.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(args.ref_threads)
    clock = clock_for(args.ref_threads)
    tokens = args.ref_steps * args.batch_size * args.ref_length
    print(
        f"(f) padding-free, equal work: batch {args.batch_size}×{args.ref_length} tokens, "
        f"vocabulary {args.ref_vocab}, {args.ref_steps} batches × {args.ref_repeats} "
        f"interleaved repeats, {args.ref_threads} thread(s), "
        f"{'CPU time' if args.ref_threads == 1 else 'wall time'}"
    )
    same_process = [reference_runs(args, side, shipped=False) for side in ("ours", "reference")]
    seconds: dict[str, dict[str, list[float]]] = {}
    for _ in range(args.ref_repeats):
        for side, runs in zip(("ours", "reference"), same_process, strict=True):
            for name, run in runs.items():
                start = clock()
                run()
                seconds.setdefault(f"{name}, one process", {}).setdefault(side, []).append(
                    clock() - start
                )
    command = [sys.executable, __file__, *sys.argv[1:], "--ref-side"]
    for _ in range(args.ref_repeats):
        for side in ("ours", "reference"):
            child = subprocess.run([*command, side], capture_output=True, text=True, check=True)
            for name, value in json.loads(child.stdout.splitlines()[-1]).items():
                seconds.setdefault(f"{name}, own process", {}).setdefault(side, []).append(value)
    print(f"{'':22}{'ours tok/s':>12}{'ref tok/s':>12}{'ours/ref':>10}  (median of repeats)")
    for label, sides in seconds.items():
        ours_s, ref_s = sides["ours"], sides["reference"]
        ratios = [r / o for o, r in zip(ours_s, ref_s, strict=True)]
        print(
            f"{label:22}{tokens / statistics.median(ours_s):12.0f}"
            f"{tokens / statistics.median(ref_s):12.0f}{statistics.median(ratios):10.2f}"
        )
    torch.set_num_threads(threads)


def clock_for(threads: int) -> Callable[[], float]:
    return time.process_time if threads == 1 else time.perf_counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--d-inner", type=int, default=512)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--multi30k", help="folder of the released Multi30k files (else synthetic)")
    parser.add_argument("--nouns", type=int, default=24, help="synthetic lexicon (vocabulary)")
    parser.add_argument("--max-adjectives", type=int, default=2, help="longer sentences")
    parser.add_argument("--train-sentences", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=10, help="timed training steps")
    parser.add_argument("--warmup-steps", type=int, default=2, help="untimed first steps")
    parser.add_argument("--eval-sentences", type=int, default=512)
    parser.add_argument("--eval-batch-size", type=int, default=128)
    parser.add_argument("--decode", type=int, default=128, help="sentences greedily decoded")
    parser.add_argument("--repeats", type=int, default=3, help="evaluation/decoding repeats")
    parser.add_argument("--matmul", type=int, default=1024, help="size of the peak matmul")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads; 1 is steadiest on a shared machine"
    )
    parser.add_argument("--ref-vocab", type=int, default=8000, help="(f) vocabulary")
    parser.add_argument("--ref-length", type=int, default=20, help="(f) tokens per sentence")
    parser.add_argument("--ref-steps", type=int, default=3, help="(f) batches per repeat")
    parser.add_argument("--ref-repeats", type=int, default=5, help="(f) interleaved repeats")
    parser.add_argument("--ref-threads", type=int, default=2, help="(f) torch threads")
    parser.add_argument("--only-reference", action="store_true", help="run (f) only")
    parser.add_argument("--ref-side", choices=["ours", "reference"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ref_side:
        timed_side(args)
        return
    keep_freed_memory()  # (a)-(e) time prunescape's training as its jobs run it
    if args.only_reference:
        compare_reference(args)
        return
    torch.set_num_threads(args.threads)
    clock = clock_for(args.threads)

    def timed(fn: Callable[[], object]) -> float:
        start = clock()
        fn()
        return clock() - start

    itos, data = make_data(args)
    torch.manual_seed(0)
    cfg = TransformerConfig(
        vocab_size=len(itos),
        d_model=args.d_model,
        d_inner=args.d_inner,
        layers=args.layers,
        heads=args.heads,
    )
    model = Transformer(cfg)
    generator = torch.Generator().manual_seed(0)
    train_batches = data["train"].batches(args.batch_size, generator, by_length=True)
    needed = args.warmup_steps + args.steps
    train_batches = (train_batches * (needed // len(train_batches) + 1))[:needed]
    eval_batches = data["val"].batches(args.eval_batch_size)
    decode_batches = data["test"].batches(args.eval_batch_size)
    embedding = model.src_embed.weight.numel()
    print(
        f"model: {count_parameters(model) / 1e6:.2f} M parameters "
        f"({(count_parameters(model) - embedding) / 1e6:.2f} M besides the shared embedding), "
        f"vocabulary {len(itos)}, {args.layers}+{args.layers} layers, d_model {args.d_model}; "
        f"{torch.get_num_threads()} thread(s), "
        f"{'CPU time' if args.threads == 1 else 'wall time'}"
    )

    # (a) matmul peak
    a, b = torch.randn(args.matmul, args.matmul), torch.randn(args.matmul, args.matmul)
    torch.mm(a, b)
    matmul_s = min(timed(lambda: torch.mm(a, b)) for _ in range(5))
    peak = 2 * args.matmul**3 / matmul_s

    plain_model = copy.deepcopy(model)
    optimizer = study_adam(model.parameters())

    # (b) training
    model.train()
    step_times = []
    for step, batch in enumerate(train_batches, start=1):
        lr = learning_rate(step, d_model=cfg.d_model, lr_mul=0.5, warmup=4000)
        seconds = timed(lambda lr=lr, batch=batch: train_step(model, optimizer, batch, lr, 0.1))
        if step > args.warmup_steps:
            step_times.append(seconds)
    timed_batches = train_batches[args.warmup_steps :]
    train_s = sum(step_times)
    train_tokens = target_tokens(timed_batches)
    train_flops = sum(  # lr 0: the counted step leaves the weights as they are
        counted_flops(lambda b=b: train_step(model, optimizer, b, 0.0, 0.1)) for b in timed_batches
    )
    train_analytic = 3 * analytic_forward_flops(model, timed_batches)

    # (e) the textbook baseline on the same steps: shuffled batches, full logits
    plain_model.train()
    plain_optimizer = study_adam(plain_model.parameters())
    plain_batches = data["train"].batches(args.batch_size, torch.Generator().manual_seed(0))
    plain_batches = (plain_batches * (needed // len(plain_batches) + 1))[:needed]
    plain_s = 0.0
    for step, batch in enumerate(plain_batches, start=1):
        lr = learning_rate(step, d_model=cfg.d_model, lr_mul=0.5, warmup=4000)
        seconds = timed(
            lambda lr=lr, batch=batch: plain_step(plain_model, plain_optimizer, batch, lr, 0.1)
        )
        if step > args.warmup_steps:
            plain_s += seconds
    plain_tokens = target_tokens(plain_batches[args.warmup_steps :])
    plain_real = plain_tokens / padded_positions(plain_batches[args.warmup_steps :])

    # (c) evaluation and greedy decoding
    model.eval()
    eval_metrics(model, eval_batches[:1])  # warm-up
    eval_s = min(timed(lambda: eval_metrics(model, eval_batches)) for _ in range(args.repeats))
    eval_tokens = target_tokens(eval_batches)
    eval_flops = counted_flops(lambda: eval_metrics(model, eval_batches))
    eval_analytic = analytic_forward_flops(model, eval_batches)

    def decode_all() -> list[torch.Tensor]:
        return [greedy_decode(model, src) for src, _ in decode_batches]

    decode_s = min(timed(decode_all) for _ in range(args.repeats))
    decode_flops = counted_flops(decode_all)
    decoded = decode_all()
    decoded_tokens = sum(int(((out != PAD) & (out != corpus.BOS)).sum()) for out in decoded)

    print(
        f"train: {len(timed_batches)} steps of batch {args.batch_size}, "
        f"median {statistics.median(step_times) * 1e3:.1f} ms/step; "
        f"{train_tokens} target tokens in {padded_positions(timed_batches)} padded positions "
        f"({train_tokens / padded_positions(timed_batches):.0%} real)"
    )
    print(
        f"FLOPs counted / analytic estimate: train {train_flops / train_analytic:.3f}, "
        f"eval {eval_flops / eval_analytic:.3f}"
    )
    header = f"{'':26}{'seconds':>9}{'tokens/s':>11}{'sent/s':>9}{'GFLOP':>9}{'GFLOP/s':>9}"
    print(header + f"{'of peak':>9}")
    print(
        f"{'(a) matmul ' + str(args.matmul) + '²':26}{matmul_s:9.4f}{'':11}{'':9}"
        f"{2 * args.matmul**3 / 1e9:9.2f}{peak / 1e9:9.1f}{1:9.0%}"
    )
    rows = [
        (
            "(b) train step",
            train_s,
            train_tokens,
            sum(len(src) for src, _ in timed_batches),
            train_flops,
        ),
        ("(c) eval_metrics", eval_s, eval_tokens, len(data["val"]), eval_flops),
        ("(c) greedy decode", decode_s, decoded_tokens, len(data["test"]), decode_flops),
    ]
    for name, seconds, tokens, sentences, flops in rows:
        print(
            f"{name:26}{seconds:9.4f}{tokens / seconds:11.0f}{sentences / seconds:9.1f}"
            f"{flops / 1e9:9.2f}{flops / seconds / 1e9:9.1f}{flops / seconds / peak:9.1%}"
        )
    train_rate, eval_rate = train_tokens / train_s, eval_tokens / eval_s
    print(f"evaluate / train tokens/s      = {eval_rate / train_rate:.2f}  (FLOPs alone: ~3)")
    print(f"(d) train FLOP/s / matmul peak = {train_flops / train_s / peak:.2f}")
    print(f"    eval FLOP/s / matmul peak  = {eval_flops / eval_s / peak:.2f}")
    print(
        f"(e) training tokens/s, ours / textbook step = "
        f"{(train_tokens / train_s) / (plain_tokens / plain_s):.2f}  (the textbook step: "
        f"shuffled batches, {plain_real:.0%} real tokens, logits at every position)"
    )
    print(
        f"greedy decode: {decode_flops / eval_flops * len(data['val']) / len(data['test']):.1f}× "
        "the FLOPs per sentence of teacher-forced evaluation (the prefix is recomputed each step)"
    )
    compare_reference(args)


if __name__ == "__main__":
    main()
