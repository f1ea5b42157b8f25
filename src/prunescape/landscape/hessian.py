"""Hessian spectrum of the pooled mean loss, over the kept (unpruned) weights only.

Sharpness claims need the Hessian itself (top eigenvalues, trace), not the
curvature of one random plane. Everything here works on flat vectors over the
selected parameters: a pruned coordinate is neither perturbed nor counted, so a
pruned model's spectrum is that of the Hessian restricted to its kept weights.
Tied weights appear once, as in ``named_parameters()``.

Hessian-vector products use double backprop through each batch's gradient
graph, built once and reused for every product (``cache_graphs``). Measured on
the study's transformer on CPU (``benchmarks/landscape_bench.py``), a product
then costs about twice a forward+backward, against about three when the graph is
rebuilt per product, and four and more for forward-over-reverse ``torch.func``.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import torch
from torch import nn
from torch.func import functional_call
from torch.nn.attention import SDPBackend, sdpa_kernel

from prunescape.landscape.evaluation import BatchSums, SumsModule, pooled_sums

Tensors = Mapping[str, torch.Tensor]
MatVec = Callable[[torch.Tensor], torch.Tensor]

SPECTRUM_COLUMNS = ("quantity", "index", "value", "stderr", "hvps")


@contextlib.contextmanager
def evaluation_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode (no dropout) and math attention, whose backward is twice differentiable.

    Each module's own training flag is restored afterwards, also on error.
    """
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with sdpa_kernel(SDPBackend.MATH):
            yield
    finally:
        for module, flag in flags:
            module.training = flag


class HessianVectorProduct:
    """v ↦ H·v, H the Hessian of (Σ loss sums) / (Σ counts) over ``batches``.

    Vectors are flat float64 over the selected parameters (``names``, in
    ``named_parameters()`` order); pruned coordinates (mask False) of v are ignored
    and those of H·v are zero. ``trainable_only`` leaves out parameters without
    ``requires_grad``. ``batch_sums`` must return a differentiable loss sum.
    ``cache_graphs`` keeps each batch's gradient graph for all products (faster;
    memory of about two backward passes per batch); the model's weights must not
    change while the operator is in use.
    """

    def __init__(
        self,
        model: nn.Module,
        batches: Iterable[Any],
        batch_sums: BatchSums,
        *,
        masks: Tensors | None = None,
        trainable_only: bool = False,
        cache_graphs: bool = True,
    ) -> None:
        params = dict(model.named_parameters())
        unknown = sorted(set(masks or {}) - set(params))
        if unknown:
            raise ValueError(f"masks name tensors that are not parameters: {unknown[:3]}")
        self.model = model
        self.batches = list(batches)
        if not self.batches:
            raise ValueError("no batches to compute the Hessian on")
        self.batch_sums = batch_sums
        self.names = [n for n, p in params.items() if p.requires_grad or not trainable_only]
        self.shapes = [params[n].shape for n in self.names]
        device = params[self.names[0]].device if self.names else torch.device("cpu")
        parts = []
        for name in self.names:
            mask = (masks or {}).get(name)
            if mask is not None and mask.shape != params[name].shape:
                raise ValueError(
                    f"mask {name!r} has shape {tuple(mask.shape)} but the parameter has "
                    f"{tuple(params[name].shape)}"
                )
            kept = torch.ones(params[name].shape, dtype=torch.bool) if mask is None else mask
            parts.append(kept.to(device=device, dtype=torch.bool).reshape(-1))
        self.mask = torch.cat(parts) if parts else torch.zeros(0, dtype=torch.bool)
        self.dim = int(self.mask.sum())
        self.products = 0
        self._wrapper = SumsModule(model, batch_sums)
        self._graphs = [self._graph(batch) for batch in self.batches] if cache_graphs else None
        if self._graphs is None:
            with evaluation_mode(model), torch.no_grad():
                loss_sum, self.count, _ = pooled_sums(model, self.batches, batch_sums).tolist()
        else:
            loss_sum = sum(loss for _, _, loss, _ in self._graphs)
            self.count = sum(count for *_, count in self._graphs)
        self.loss = loss_sum / self.count

    def flatten(self, tensors: Tensors) -> torch.Tensor:
        """One flat float64 vector from a dict of tensors (missing names count as zero)."""
        return torch.cat(
            [
                tensors[n].detach().reshape(-1).to(self.mask.device, torch.float64)
                if n in tensors
                else torch.zeros(math.prod(s), dtype=torch.float64, device=self.mask.device)
                for n, s in zip(self.names, self.shapes, strict=True)
            ]
        )

    def unflatten(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        """The dict of tensors, shaped like the parameters, that ``flat`` stands for."""
        sizes = [math.prod(s) for s in self.shapes]
        return {
            name: part.view(shape)
            for name, shape, part in zip(self.names, self.shapes, flat.split(sizes), strict=True)
        }

    def _graph(self, batch: Any) -> tuple[list[torch.Tensor], list[torch.Tensor], float, float]:
        """Leaves, their gradient (with graph), loss sum and count of one batch."""
        params = dict(self.model.named_parameters())
        leaves = [params[n].detach().requires_grad_() for n in self.names]
        with evaluation_mode(self.model), torch.enable_grad():
            sums = functional_call(
                self._wrapper,
                {f"model.{n}": leaf for n, leaf in zip(self.names, leaves, strict=True)},
                (batch,),
            )
            if sums.shape != (3,):
                raise ValueError(
                    f"batch_sums must return a tensor of shape [3], got {tuple(sums.shape)}"
                )
            if not sums[0].requires_grad:
                raise ValueError(
                    "batch_sums returned a loss sum without grad: the Hessian needs the "
                    "differentiable summed loss as the first entry"
                )
            grads = torch.autograd.grad(sums[0], leaves, create_graph=True, allow_unused=True)
        grads = [
            torch.zeros_like(p) if g is None else g for p, g in zip(leaves, grads, strict=True)
        ]
        loss_sum, count = sums.detach()[:2].tolist()
        return leaves, grads, loss_sum, count

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        v = torch.where(self.mask, v.to(self.mask.device, torch.float64), 0.0)
        parts = self.unflatten(v)
        total = torch.zeros_like(v)
        for batch_index, batch in enumerate(self.batches):
            graph = self._graphs[batch_index] if self._graphs is not None else self._graph(batch)
            leaves, grads, _, _ = graph
            dot = sum(
                (g * parts[n].to(g.dtype)).sum()
                for n, g in zip(self.names, grads, strict=True)
                if g.requires_grad
            )
            if not isinstance(dot, torch.Tensor):
                continue  # the loss is linear in every selected weight here
            hv = torch.autograd.grad(
                dot, leaves, retain_graph=self._graphs is not None, allow_unused=True
            )
            total += self.flatten(
                {n: h for n, h in zip(self.names, hv, strict=True) if h is not None}
            )
        self.products += 1
        return torch.where(self.mask, total / self.count, 0.0)

    def random_start(self, generator: torch.Generator) -> torch.Tensor:
        """A Gaussian vector on the kept coordinates, drawn on the CPU (same on every device)."""
        draw = torch.randn(self.mask.numel(), generator=generator, dtype=torch.float64)
        return torch.where(self.mask, draw.to(self.mask.device), 0.0)


@dataclass(frozen=True)
class Eigenvalues:
    """Top eigenvalues (descending), the products spent, and the top estimate after each."""

    values: list[float]
    products: int
    converged: bool
    history: list[float] = field(repr=False)


class NonFiniteCurvature(ArithmeticError):
    """The loss or a Hessian-vector product overflowed: the point has no spectrum."""


def lanczos(
    matvec: MatVec, start: torch.Tensor, k: int = 1, *, tol: float = 1e-3, max_iter: int = 100
) -> Eigenvalues:
    """The ``k`` largest (algebraic) eigenvalues of a symmetric operator, by Lanczos.

    Full reorthogonalisation keeps the basis orthogonal in floating point, so no
    spurious copies of converged eigenvalues appear. Stops when each of the top
    ``k`` Ritz values has an error bound min(‖r‖, ‖r‖²/gap) ≤ ``tol``·|θ|, ‖r‖
    the Ritz pair's residual and gap the distance to the next Ritz value, or when
    the Krylov space is exhausted (then the values are exact).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    norm = start.norm()
    if norm == 0:
        raise ValueError("the start vector is zero (are all weights pruned?)")
    basis = [start / norm]
    alphas: list[float] = []
    betas: list[float] = []
    history: list[float] = []
    theta = torch.zeros(0, dtype=torch.float64)
    for _ in range(max_iter):
        w = matvec(basis[-1])
        if not bool(torch.isfinite(w).all()):
            raise NonFiniteCurvature("a Hessian-vector product is not finite")
        alphas.append(float(basis[-1] @ w))
        q = torch.stack(basis)
        for _ in range(2):  # twice is enough (Kahan: "twice is enough")
            w = w - q.T @ (q @ w)
        beta = float(w.norm())
        t = torch.diag(torch.tensor(alphas, dtype=torch.float64))
        if betas:
            off = torch.tensor(betas, dtype=torch.float64)
            t += torch.diag(off, 1) + torch.diag(off, -1)
        try:
            theta, vectors = torch.linalg.eigh(t)
        except torch.linalg.LinAlgError as err:  # entries near float64's limits
            raise NonFiniteCurvature(
                f"the Lanczos matrix has no eigendecomposition ({err})"
            ) from err
        theta, vectors = theta.flip(0), vectors.flip(1)
        history.append(float(theta[0]))
        exhausted = beta <= 1e-12 * max(1.0, float(theta.abs().max()))
        if len(alphas) >= k and (exhausted or _ritz_converged(theta, vectors, beta, k, tol)):
            return Eigenvalues(theta[:k].tolist(), len(alphas), True, history)
        if exhausted:
            break
        betas.append(beta)
        basis.append(w / beta)
    return Eigenvalues(theta[:k].tolist(), len(alphas), False, history)


def _ritz_converged(
    theta: torch.Tensor, vectors: torch.Tensor, beta: float, k: int, tol: float
) -> bool:
    residual = beta * vectors[-1, :k].abs()
    distance = (theta[:k, None] - theta[None, :]).abs()
    distance[range(k), range(k)] = math.inf
    gaps = distance.min(dim=1).values
    bound = torch.where(gaps.isinf(), residual, torch.minimum(residual, residual**2 / gaps))
    return bool((bound <= tol * theta[:k].abs()).all())


def power_iteration(
    matvec: MatVec, start: torch.Tensor, *, tol: float = 1e-3, max_iter: int = 100
) -> Eigenvalues:
    """The eigenvalue of largest magnitude by power iteration (as PyHessian does).

    Stops when the Rayleigh quotient changes by less than ``tol`` relative between
    two products, a looser rule than :func:`lanczos` uses.
    """
    v = start / start.norm()
    estimate = math.nan
    history: list[float] = []
    for step in range(1, max_iter + 1):
        w = matvec(v)
        previous, estimate = estimate, float(v @ w)
        history.append(estimate)
        v = w / w.norm()
        if abs(estimate - previous) <= tol * abs(previous):
            return Eigenvalues([estimate], step, True, history)
    return Eigenvalues([estimate], max_iter, False, history)


@dataclass(frozen=True)
class TraceEstimate:
    """Hutchinson's estimate of the trace, its standard error and the probes used."""

    value: float
    stderr: float
    samples: int


def hutchinson_trace(
    matvec: MatVec,
    support: torch.Tensor,
    generator: torch.Generator,
    *,
    rel_stderr: float = 0.05,
    min_samples: int = 10,
    max_samples: int = 100,
) -> TraceEstimate:
    """Trace as the mean of zᵀHz over Rademacher probes z on ``support`` (a flat bool mask).

    Stops once the standard error of the mean is at most ``rel_stderr`` of its
    absolute value (after at least ``min_samples``), or after ``max_samples``.
    Probes are drawn on the CPU, so a seed gives the same estimate on any device.
    """
    if not 2 <= min_samples <= max_samples:
        raise ValueError(f"need 2 <= min_samples <= max_samples, got {min_samples}, {max_samples}")
    samples: list[float] = []
    while True:
        signs = torch.randint(0, 2, (support.numel(),), generator=generator, dtype=torch.int8)
        z = torch.where(support, signs.to(support.device, torch.float64) * 2 - 1, 0.0)
        samples.append(float(z @ matvec(z)))
        n = len(samples)
        if n < min_samples:
            continue
        values = torch.tensor(samples, dtype=torch.float64)
        mean, stderr = float(values.mean()), float(values.std() / math.sqrt(n))
        if stderr <= rel_stderr * abs(mean) or n >= max_samples:
            return TraceEstimate(mean, stderr, n)


def hessian_spectrum(
    model: nn.Module,
    batches: Iterable[Any],
    batch_sums: BatchSums,
    *,
    k: int = 1,
    seed: int = 0,
    masks: Tensors | None = None,
    trainable_only: bool = False,
    tol: float = 1e-3,
    max_iter: int = 100,
    trace_rel_stderr: float = 0.05,
    trace_samples: tuple[int, int] = (10, 100),
) -> pd.DataFrame:
    """Top-``k`` Hessian eigenvalues (Lanczos) and trace (Hutchinson) as one long table.

    Rows, with columns ``quantity,index,value,stderr,hvps``: ``loss`` (the mean loss
    the Hessian is taken of), ``kept_weights`` (dimension of the space: compare
    traces of models with different masks per kept weight), ``eigenvalue`` 0..k−1
    (stderr NaN; hvps = Lanczos products) and ``trace`` (stderr from the probes;
    hvps = probes). Deterministic for a given ``seed``.
    """
    hvp = HessianVectorProduct(
        model, batches, batch_sums, masks=masks, trainable_only=trainable_only
    )
    generator = torch.Generator().manual_seed(seed)
    try:
        if not math.isfinite(hvp.loss):
            raise NonFiniteCurvature(f"the loss is {hvp.loss}")
        eigen = lanczos(hvp, hvp.random_start(generator), k, tol=tol, max_iter=max_iter)
    except NonFiniteCurvature as err:
        warnings.warn(f"no Hessian spectrum: {err} (a diverging model?)", stacklevel=2)
        return undefined_spectrum(k).assign(
            value=lambda frame: frame["value"].mask(frame["quantity"] == "loss", hvp.loss)
        )
    if not eigen.converged:
        warnings.warn(f"Lanczos did not reach tol={tol} in {eigen.products} products", stacklevel=2)
    trace = hutchinson_trace(
        hvp,
        hvp.mask,
        generator,
        rel_stderr=trace_rel_stderr,
        min_samples=trace_samples[0],
        max_samples=trace_samples[1],
    )
    rows = [
        ("loss", 0, hvp.loss, math.nan, 0),
        ("kept_weights", 0, float(hvp.dim), math.nan, 0),
        *(("eigenvalue", i, v, math.nan, eigen.products) for i, v in enumerate(eigen.values)),
        ("trace", 0, trace.value, trace.stderr, trace.samples),
    ]
    return pd.DataFrame(rows, columns=list(SPECTRUM_COLUMNS))


def undefined_spectrum(k: int = 1) -> pd.DataFrame:
    """:func:`hessian_spectrum`'s table with every value NaN, for a model whose
    weights or loss are not finite (a diverging run): it has no curvature to report."""
    rows = [
        ("loss", 0, math.nan, math.nan, 0),
        ("kept_weights", 0, math.nan, math.nan, 0),
        *(("eigenvalue", i, math.nan, math.nan, 0) for i in range(k)),
        ("trace", 0, math.nan, math.nan, 0),
    ]
    return pd.DataFrame(rows, columns=list(SPECTRUM_COLUMNS))
