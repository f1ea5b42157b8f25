"""How much a landscape grid point costs beyond one forward pass over the eval set.

Measures in one run, on a small transformer-like language model (CPU by default):
(a) a bare forward pass over the evaluation batches; (b) one grid point with
``evaluate_grid``; (c) one grid point the reference way (checkpoint and
directions re-read from disk, every tensor perturbed, a new state dict loaded);
(d) the FLOP/s a grid point achieves against this machine's float32 matmul peak.
It also times the engine's own per-point work alone (a grid whose batch sums skip
the forward pass), which stays readable when machine noise swamps (b) − (a).
Times are CPU time of this process, so other jobs on a shared machine distort
them less than wall time; with one thread (the default) they equal wall time on
an idle machine.

    python benchmarks/landscape_bench.py            # about 20 s on 2 cores
    python benchmarks/landscape_bench.py --vocab 32000 --d-model 256 --batches 1  # big model
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from prunescape.landscape import (
    classification_sums,
    pooled_sums,
    evaluate_grid,
    grid_coordinates,
    parameter_centre,
    plane,
)


class Block(nn.Module):
    """Post-LayerNorm causal self-attention and feed-forward, bias-free q/k/v/o."""

    def __init__(self, d_model: int, heads: int, d_inner: int) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(d_model, d_model, bias=False) for _ in "qkvo")
        self.ff = nn.Sequential(nn.Linear(d_model, d_inner), nn.ReLU(), nn.Linear(d_inner, d_model))
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, self.heads, d // self.heads).transpose(1, 2)

        att = F.scaled_dot_product_attention(
            split(self.q(x)), split(self.k(x)), split(self.v(x)), is_causal=True
        )
        x = self.norm1(x + self.o(att.transpose(1, 2).reshape(b, t, d)))
        return self.norm2(x + self.ff(x))


class TinyLM(nn.Module):
    """A decoder-only language model whose output projection is tied to the embedding."""

    def __init__(self, vocab: int, d_model: int, heads: int, d_inner: int, layers: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.randn(512, d_model) * 0.02)
        self.blocks = nn.Sequential(*(Block(d_model, heads, d_inner) for _ in range(layers)))
        self.out = nn.Linear(d_model, vocab, bias=False)
        self.out.weight = self.embed.weight

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens) + self.pos[: tokens.shape[1]]
        return self.out(self.blocks(x)) * self.embed.embedding_dim**-0.5


def make_batches(args: argparse.Namespace) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Ragged sentences padded to ``seq_len``; pad targets are -100 (not counted)."""
    g = torch.Generator().manual_seed(0)
    batches = []
    for _ in range(args.batches):
        tokens = torch.randint(0, args.vocab, (args.batch_size, args.seq_len + 1), generator=g)
        lengths = torch.randint(
            args.seq_len // 2, args.seq_len + 1, (args.batch_size,), generator=g
        )
        targets = tokens[:, 1:].clone()
        targets[torch.arange(args.seq_len) >= lengths[:, None]] = -100
        batches.append((tokens[:, :-1], targets))
    return batches


clock = time.process_time


def timed(fn: Callable[[], object]) -> float:
    start = clock()
    fn()
    return clock() - start


class PointClock:
    """Batch sums that note when each grid point's first batch starts.

    The time from one such start to the next is one whole point inside
    ``evaluate_grid``: parameter update, forward passes and bookkeeping.
    """

    def __init__(self, n_batches: int) -> None:
        self.n_batches = n_batches
        self.calls = 0
        self.starts: list[float] = []

    def __call__(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        if self.calls % self.n_batches == 0:
            self.starts.append(clock())
        self.calls += 1
        return classification_sums(model, batch)

    def durations(self, end: float) -> list[float]:
        stamps = [*self.starts, end]
        return [b - a for a, b in itertools.pairwise(stamps)]


def skip(model: nn.Module, batch: None) -> torch.Tensor:
    return torch.ones(3, dtype=torch.float64)


def matmul_peak(n: int) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    return 2 * n**3 / min(timed(lambda: torch.mm(a, b)) for _ in range(5))


def save_reference(path: Path, model: nn.Module, directions: tuple[dict, dict]) -> None:
    """Checkpoint and our directions in one file, keyed like ``state_dict()`` (tied aliases too)."""
    canonical = {id(p): name for name, p in model.named_parameters()}
    alias = {name: canonical[id(p)] for name, p in model.named_parameters(remove_duplicate=False)}
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    dx, dy = ({k: d[alias[k]].to(v.dtype) for k, v in state.items()} for d in directions)
    torch.save({"state": state, "dx": dx, "dy": dy}, path)


def reference_point(model: nn.Module, path: Path, x: float, y: float, batches: list) -> None:
    """The common practice: reload everything and perturb every tensor, 1-D ones included."""
    saved = torch.load(path, weights_only=True)
    state = {
        name: w + x * saved["dx"][name] + y * saved["dy"][name]
        for name, w in saved["state"].items()
    }
    model.load_state_dict(state)
    pooled_sums(model, batches, classification_sums)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vocab", type=int, default=4000)
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--d-inner", type=int, default=512)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--seq-len", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--points", type=int, default=3, help="grid is points × points")
    parser.add_argument(
        "--rounds", type=int, default=6, help="grid rows timed; each adds --points samples"
    )
    parser.add_argument("--matmul", type=int, default=1024, help="size of the peak matmul")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads; 1 is steadiest on a shared machine"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    model = TinyLM(args.vocab, args.d_model, args.heads, args.d_inner, args.layers).eval()
    batches = make_batches(args)
    center = parameter_centre(model)
    directions = plane("random-random", center, seed=0)
    xs, ys = grid_coordinates(-1, 1, args.points, -1, 1, args.points)
    n_params = sum(p.numel() for p in center.values())
    print(
        f"model: {n_params / 1e6:.2f} M parameters, {args.batches} batches of "
        f"{args.batch_size}×{args.seq_len} tokens, {torch.get_num_threads()} threads"
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reference.pt"
        save_reference(path, model, directions)
        with torch.no_grad():
            pooled_sums(model, batches, classification_sums)  # warm-up
        times: dict[str, list[float]] = {"bare": [], "ours": [], "reference": []}
        for r in range(args.rounds):  # the methods take turns, so drifting load hits all alike
            y = float(ys[r % len(ys)])
            point_clock = PointClock(len(batches))
            evaluate_grid(model, center, directions, xs, [y], batches, point_clock, progress=False)
            times["ours"] += point_clock.durations(clock())
            with torch.no_grad():
                for x in xs:
                    times["reference"].append(
                        timed(lambda x=x, y=y: reference_point(model, path, x, y, batches))
                    )
                    # the reference left the model at (x, y), so the bare pass sees the
                    # same weights as ours did (a forward's cost can depend on the values)
                    times["bare"].append(
                        timed(lambda: pooled_sums(model, batches, classification_sums))
                    )
    bare_s, ours_s, ref_s = (statistics.median(times[k]) for k in ("bare", "ours", "reference"))

    # the engine's own per-point work, without the model: batch sums that skip the forward
    skip_points = len(xs) * len(ys) * args.rounds
    engine_s = timed(
        lambda: evaluate_grid(
            model, center, directions, [0.0] * skip_points, [0.0], [None], skip, progress=False
        )
    )
    engine_s /= skip_points

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        pooled_sums(model, batches, classification_sums)
    flops = counter.get_total_flops()
    peak = matmul_peak(args.matmul)
    achieved = flops / ours_s

    print(f"medians of {len(times['ours'])} samples each, CPU time of this process")
    print(f"(a) bare forward pass over the eval set: {bare_s * 1e3:9.2f} ms")
    print(f"(b) grid point, evaluate_grid:           {ours_s * 1e3:9.2f} ms")
    print(
        f"    of which the engine's own work (no forward): {engine_s * 1e3:.2f} ms "
        f"= {engine_s / bare_s:.1%} of (a)"
    )
    print(f"(c) grid point, reference method:        {ref_s * 1e3:9.2f} ms")
    print(
        f"(d) matmul FLOPs per point {flops / 1e9:.2f} G; achieved {achieved / 1e9:.1f} GFLOP/s; "
        f"float32 matmul peak ({args.matmul}²) {peak / 1e9:.1f} GFLOP/s"
    )
    print(f"ours / bare      = {ours_s / bare_s:.3f}  (target ≤ 1.05)")
    print(f"reference / ours = {ref_s / ours_s:.2f}")
    print(f"fraction of peak = {achieved / peak:.2f}")


if __name__ == "__main__":
    main()
