"""How much a landscape grid point costs beyond one forward pass over the eval set.

Measures in one run, on a small transformer-like language model (CPU by default):
(a) a bare forward pass over the evaluation batches; (b) one grid point with
``evaluate_grid``; (c) one grid point the reference way (checkpoint and
directions re-read from disk, every tensor perturbed, a new state dict loaded);
(d) the FLOP/s a grid point achieves against this machine's float32 matmul peak;
(e) on the study's transformer (d_model 64, 2+2 layers, about 512 target tokens):
one Hessian-vector product against one forward+backward, for the library's cached
double backprop, plain double backprop and forward-over-reverse (torch.func); and
(f) products Lanczos and power iteration need for the top eigenvalue at 1e-3.
It also times the engine's own per-point work alone (a grid whose batch sums skip
the forward pass), which stays readable when machine noise swamps (b) − (a).
Times are CPU time of this process, so other jobs on a shared machine distort
them less than wall time; with one thread (the default) they equal wall time on
an idle machine.

    python benchmarks/landscape_bench.py            # about 90 s on 2 cores
    python benchmarks/landscape_bench.py --vocab 32000 --d-model 256 --batches 1  # big model
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, jvp
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from prunescape.landscape import (
    HessianVectorProduct,
    classification_sums,
    evaluate_grid,
    grid_coordinates,
    lanczos,
    parameter_centre,
    plane,
    pooled_sums,
    power_iteration,
)
from prunescape.translation.batching import token_loss
from prunescape.translation.corpus import BOS, PAD
from prunescape.translation.model import Transformer, TransformerConfig


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


def transformer_sums(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """The translation batch sums with a differentiable loss sum, as the Hessian needs."""
    loss, sums = token_loss(model, batch)
    return torch.cat([loss.double().reshape(1), sums[1:]])


class SummedLoss(nn.Module):
    """token_loss as a module, so torch.func.functional_call can swap its weights."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return token_loss(self.model, batch)[0]


def forward_over_reverse(model: nn.Module, batch: tuple) -> Callable[[dict], dict]:
    """H·v as the jvp of torch.func.grad: the alternative the library measured and dropped."""
    wrapper = SummedLoss(model)
    params = {f"model.{n}": p.detach() for n, p in model.named_parameters()}

    def summed(p: dict) -> torch.Tensor:
        return functional_call(wrapper, p, (batch,))

    def hvp(v: dict) -> dict:
        tangents = {f"model.{n}": t for n, t in v.items()}
        with torch.no_grad(), sdpa_kernel(SDPBackend.MATH):
            return jvp(grad(summed), (params,), (tangents,))[1]

    return hvp


def first_within(history: list[float], reference: float, tol: float) -> int | None:
    """Products after which the estimate stays within ``tol`` (relative) of ``reference``."""
    inside = [abs(h - reference) <= tol * abs(reference) for h in history]
    for i in range(len(inside)):
        if all(inside[i:]):
            return i + 1
    return None


def hessian_section(threads: int, repeats: int) -> None:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = TransformerConfig(vocab_size=1000, d_model=64, d_inner=256, layers=2, heads=4)
    model = Transformer(config).eval()
    g = torch.Generator().manual_seed(0)
    src = torch.randint(4, 1000, (32, 17), generator=g)
    trg = torch.cat([torch.full((32, 1), BOS), torch.randint(4, 1000, (32, 16), generator=g)], 1)
    batch = (src, trg)
    tokens = int((trg[:, 1:] != PAD).sum())

    def forward_backward() -> None:
        model.zero_grad()
        token_loss(model, batch)[0].backward()

    cached = HessianVectorProduct(model, [batch], transformer_sums)
    plain = HessianVectorProduct(model, [batch], transformer_sums, cache_graphs=False)
    fwd_rev = forward_over_reverse(model, batch)
    v = cached.random_start(torch.Generator().manual_seed(1))
    v_dict = {n: t.float() for n, t in cached.unflatten(v).items()}
    methods = {
        "forward+backward": forward_backward,
        "HVP, cached double backprop (library)": lambda: cached(v),
        "HVP, double backprop": lambda: plain(v),
        "HVP, forward-over-reverse": lambda: fwd_rev(v_dict),
    }
    times: dict[str, list[float]] = {k: [] for k in methods}
    for fn in methods.values():
        fn()  # warm-up
    for _ in range(repeats):  # the methods take turns, so drifting load hits all alike
        for name, fn in methods.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["forward+backward"])
    print(
        f"(e) transformer d_model 64, 2+2 layers, {tokens} target tokens, "
        f"{torch.get_num_threads()} threads; medians of {repeats}, wall time"
    )
    for name in methods:
        t = statistics.median(times[name])
        print(f"    {name:40s} {t * 1e3:8.1f} ms = {t / base:.2f}x forward+backward")

    start = cached.random_start(torch.Generator().manual_seed(2))
    reference = lanczos(cached, start, tol=1e-9, max_iter=40)
    quick = lanczos(cached, start)
    power = power_iteration(cached, start, tol=0.0, max_iter=40)
    stop = next(
        (i + 1 for i in range(1, len(power.history))
         if abs(power.history[i] - power.history[i - 1]) <= 1e-3 * abs(power.history[i - 1])),
        None,
    )  # fmt: skip
    top = reference.values[0]
    print(f"(f) top eigenvalue {top:.6g} (Lanczos, {reference.products} products, tol 1e-9)")
    lanczos_in = first_within(reference.history, top, 1e-3)
    power_in = first_within(power.history, top, 1e-3)
    print(f"    HVPs to stay within 1e-3 of it: Lanczos {lanczos_in}, power iteration {power_in}")
    print("    (power iteration finds the largest |λ|; None: it never settles on the top λ)")
    power_error = abs(power.history[stop - 1] - top) / top if stop else math.nan
    print(
        f"    HVPs by each stop rule at tol 1e-3: Lanczos {quick.products} (error "
        f"{abs(quick.values[0] - top) / top:.1e}), power iteration {stop} (error {power_error:.1e})"
    )


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
    parser.add_argument("--hessian-threads", type=int, default=2, help="threads of (e) and (f)")
    parser.add_argument("--hessian-repeats", type=int, default=7, help="timings per HVP method")
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
    hessian_section(args.hessian_threads, args.hessian_repeats)


if __name__ == "__main__":
    main()
