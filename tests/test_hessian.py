"""Hessian-vector products, Lanczos, power iteration and Hutchinson's trace, checked
against exact Hessians of small models (an MLP and the study's tiny transformer)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from prunescape.landscape import (
    HessianVectorProduct,
    NonFiniteCurvature,
    evaluation_mode,
    hessian_spectrum,
    hutchinson_trace,
    lanczos,
    power_iteration,
)
from prunescape.translation.batching import batch_sums as translation_sums
from prunescape.translation.batching import differentiable_sums
from prunescape.translation.corpus import BOS, EOS, PAD
from prunescape.translation.model import Transformer, TransformerConfig


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 3)).double()


def mlp_batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    return [
        (
            torch.randn(n, 3, generator=g, dtype=torch.float64),
            torch.randint(0, 3, (n,), generator=g),
        )
        for n in (6, 3)
    ]


def ce_sums(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Float64 cross-entropy sums, so exact and iterative Hessians agree to 1e-10."""
    inputs, labels = batch
    logits = model(inputs)
    loss = F.cross_entropy(logits, labels, reduction="sum")
    correct = (logits.argmax(-1) == labels).sum().double()
    return torch.stack([loss, torch.tensor(float(labels.numel()), dtype=loss.dtype), correct])


def exact_mlp_hessian(model: nn.Module, batches) -> torch.Tensor:
    """The Hessian of the pooled mean loss over the flattened parameters."""
    names, params = zip(*((n, p.detach()) for n, p in model.named_parameters()), strict=True)
    sizes = [p.numel() for p in params]
    count = sum(len(labels) for _, labels in batches)

    def mean_loss(flat: torch.Tensor) -> torch.Tensor:
        tensors = {
            n: part.view(p.shape)
            for n, p, part in zip(names, params, flat.split(sizes), strict=True)
        }
        total = sum(
            F.cross_entropy(functional_call(model, tensors, (x,)), y, reduction="sum")
            for x, y in batches
        )
        return total / count

    flat = torch.cat([p.reshape(-1) for p in params])
    return torch.autograd.functional.hessian(mean_loss, flat)


def first_layer_masks(model: nn.Module) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(2)
    weight = model[0].weight
    return {"0.weight": torch.rand(weight.shape, generator=g) < 0.5}


def test_products_equal_the_exact_hessian_times_the_vector():
    model, batches = mlp(), mlp_batches()
    exact = exact_mlp_hessian(model, batches)
    for cache in (True, False):
        hvp = HessianVectorProduct(model, batches, ce_sums, cache_graphs=cache)
        v = torch.randn(exact.shape[0], generator=torch.Generator().manual_seed(3))
        torch.testing.assert_close(hvp(v), exact @ v.double(), rtol=1e-10, atol=1e-12)
        assert hvp.products == 1
    assert hvp.dim == exact.shape[0] == 3 * 5 + 5 + 5 * 3 + 3
    sums = torch.stack([ce_sums(model, b) for b in batches]).sum(0).detach()
    assert hvp.loss == pytest.approx(float(sums[0] / sums[1]), rel=1e-12)


def test_lanczos_finds_the_top_eigenvalues_of_the_exact_hessian():
    model, batches = mlp(), mlp_batches()
    exact = torch.linalg.eigvalsh(exact_mlp_hessian(model, batches)).flip(0)
    hvp = HessianVectorProduct(model, batches, ce_sums)
    start = hvp.random_start(torch.Generator().manual_seed(0))
    result = lanczos(hvp, start, k=3)
    assert result.converged
    assert result.products == hvp.products < exact.numel()
    assert result.values[0] == pytest.approx(float(exact[0]), rel=1e-4)
    assert result.values == pytest.approx(exact[:3].tolist(), rel=1e-3)
    assert len(result.history) == result.products


def test_masks_restrict_the_hessian_to_kept_weights():
    model, batches = mlp(), mlp_batches()
    masks = first_layer_masks(model)
    kept = torch.cat(
        [masks.get(n, torch.ones_like(p, dtype=torch.bool)).reshape(-1)
         for n, p in model.named_parameters()]
    )  # fmt: skip
    exact = exact_mlp_hessian(model, batches)
    restricted = exact[kept][:, kept]
    hvp = HessianVectorProduct(model, batches, ce_sums, masks=masks)
    assert hvp.dim == int(kept.sum()) < kept.numel()
    v = torch.randn(kept.numel(), generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    hv = hvp(v)
    assert torch.all(hv[~kept] == 0)
    # pruned coordinates of v are not perturbed: the product ignores them
    torch.testing.assert_close(hv[kept], restricted @ v[kept], rtol=1e-10, atol=1e-12)
    top = torch.linalg.eigvalsh(restricted).flip(0)
    result = lanczos(hvp, hvp.random_start(torch.Generator().manual_seed(0)), k=2, tol=1e-6)
    assert result.values == pytest.approx(top[:2].tolist(), rel=1e-6)
    assert top[0] < torch.linalg.eigvalsh(exact)[-1]  # the dense top would be wrong here


def test_lanczos_and_power_iteration_on_a_known_spectrum():
    spectrum = torch.cat([torch.tensor([10.0, 9.0, 4.0]), torch.linspace(-2, 1, 97)]).double()
    q, _ = torch.linalg.qr(
        torch.randn(100, 100, generator=torch.Generator().manual_seed(5)).double()
    )
    matrix = q @ torch.diag(spectrum) @ q.T
    start = torch.randn(100, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    exact = lanczos(lambda v: matrix @ v, start, k=3, tol=1e-10)
    assert exact.values == pytest.approx([10.0, 9.0, 4.0], rel=1e-9)
    quick = lanczos(lambda v: matrix @ v, start, k=1)
    power = power_iteration(lambda v: matrix @ v, start, tol=1e-6, max_iter=500)
    assert power.values[0] == pytest.approx(10.0, rel=1e-4)
    assert quick.values[0] == pytest.approx(10.0, rel=1e-3)
    assert quick.products < power.products  # eigengap 0.9: power iteration crawls


def test_hutchinson_trace_within_three_standard_errors():
    model, batches = mlp(), mlp_batches()
    masks = first_layer_masks(model)
    hvp = HessianVectorProduct(model, batches, ce_sums, masks=masks)
    exact = exact_mlp_hessian(model, batches)
    true_trace = float(torch.diag(exact)[hvp.mask].sum())
    estimate = hutchinson_trace(
        hvp, hvp.mask, torch.Generator().manual_seed(7), rel_stderr=0.0, max_samples=60
    )
    assert estimate.samples == 60
    assert 0 < estimate.stderr < 0.2 * abs(true_trace)
    assert abs(estimate.value - true_trace) <= 3 * estimate.stderr
    quick = hutchinson_trace(hvp, hvp.mask, torch.Generator().manual_seed(7), rel_stderr=0.5)
    assert quick.samples == 10 and quick.stderr <= 0.5 * abs(quick.value)


def test_spectrum_table_is_deterministic_and_complete():
    model, batches = mlp(), mlp_batches()
    first = hessian_spectrum(model, batches, ce_sums, k=2, seed=3, trace_samples=(10, 20))
    again = hessian_spectrum(model, batches, ce_sums, k=2, seed=3, trace_samples=(10, 20))
    assert first.equals(again)
    assert first.quantity.tolist() == ["loss", "kept_weights", "eigenvalue", "eigenvalue", "trace"]
    exact = torch.linalg.eigvalsh(exact_mlp_hessian(model, batches))
    values = first.set_index(["quantity", "index"]).value
    assert values["eigenvalue", 0] == pytest.approx(float(exact[-1]), rel=1e-4)
    assert values["kept_weights", 0] == exact.shape[0]
    assert math.isnan(first.stderr[0]) and first.stderr.iloc[-1] > 0


def test_an_overflowing_model_gets_an_undefined_spectrum_and_a_warning():
    """A diverging run can end where the loss overflows (float32): the table keeps the
    loss and leaves every curvature NaN instead of failing the job."""
    model = mlp().float()
    with torch.no_grad():  # logits ±3e38: the cross-entropy of class 0 overflows
        model[2].bias.copy_(torch.tensor([-3e38, 3e38, 3e38]))
    batches = [(x.float(), y) for x, y in mlp_batches()]
    with pytest.warns(UserWarning, match="no Hessian spectrum"):
        table = hessian_spectrum(model, batches, ce_sums, k=2, trace_samples=(2, 4))
    values = table.set_index(["quantity", "index"]).value
    assert table.quantity.tolist() == ["loss", "kept_weights", "eigenvalue", "eigenvalue", "trace"]
    assert values["loss", 0] == math.inf
    assert table.value.iloc[1:].isna().all()


def test_lanczos_refuses_non_finite_products():
    with pytest.raises(NonFiniteCurvature, match="not finite"):
        lanczos(lambda v: v * math.inf, torch.ones(4, dtype=torch.float64), 1)


# ---------------------------------------------------------------- the study's transformer


def tiny_transformer() -> Transformer:
    torch.manual_seed(1)
    config = TransformerConfig(vocab_size=20, d_model=16, d_inner=32, layers=1, heads=2)
    return Transformer(config)


def sentence_batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    src = torch.randint(4, 20, (3, 6), generator=g)
    trg = torch.cat([torch.full((3, 1), BOS), torch.randint(4, 20, (3, 5), generator=g)], 1)
    trg[:, -1] = EOS
    src[2, 4:], trg[2, 4:] = PAD, PAD  # ragged
    return src, trg


def test_transformer_products_match_the_exact_hessian_on_a_subset():
    """Kept coordinates: a few weights of the tied embedding (source, target and output
    projection at once), of a query projection and of a LayerNorm."""
    model = tiny_transformer().train()
    model.encoder[0].ffn.eval()  # mixed flags must come back as they were
    batch = sentence_batch()
    params = dict(model.named_parameters())
    chosen = {
        "src_embed.weight": [(5, 0), (5, 3), (9, 1)],
        "decoder.0.self_attn.q.weight": [(0, 0), (2, 7)],
        "decoder.0.ffn.norm.weight": [(4,)],
    }
    masks = {n: torch.zeros_like(p, dtype=torch.bool) for n, p in params.items()}
    for name, spots in chosen.items():
        for spot in spots:
            masks[name][spot] = True
    assert "trg_embed.weight" not in params and "project.weight" not in params
    hvp = HessianVectorProduct(model, [batch], differentiable_sums, masks=masks)
    assert hvp.dim == 6

    base = {n: p.detach() for n, p in params.items()}
    spots = [(n, s) for n, ss in chosen.items() for s in ss]
    src, trg = batch
    keep = trg[:, 1:] != PAD

    def mean_loss(x: torch.Tensor) -> torch.Tensor:
        tensors = dict(base)
        for i, (name, spot) in enumerate(spots):
            tensors[name] = tensors[name].index_put(
                tuple(torch.tensor([j]) for j in spot), x[i : i + 1]
            )
        logits = functional_call(model, tensors, (src, trg[:, :-1], keep))
        return F.cross_entropy(logits, trg[:, 1:][keep])

    x0 = torch.stack([base[n][s] for n, s in spots])
    with evaluation_mode(model):
        exact = torch.autograd.functional.hessian(mean_loss, x0).double()
    positions = {n: i for i, n in enumerate(hvp.names)}
    offsets = torch.tensor([0, *[math.prod(s) for s in hvp.shapes]]).cumsum(0)
    flat_index = [
        int(offsets[positions[n]]) + int(torch.tensor(s) @ torch.tensor(params[n].stride()))
        for n, s in spots
    ]
    for column in range(6):
        v = torch.zeros(hvp.mask.numel(), dtype=torch.float64)
        v[flat_index[column]] = 1.0
        hv = hvp(v)
        torch.testing.assert_close(hv[flat_index], exact[:, column], rtol=2e-4, atol=1e-6)
        assert int(torch.count_nonzero(hv[~hvp.mask])) == 0
    assert exact[0, 0].abs() > 1e-3  # the embedding coordinate does curve the loss
    assert model.training and not model.encoder[0].ffn.training
    assert model.decoder[0].self_attn.training


def test_translation_batch_sums_without_grad_are_refused():
    with pytest.raises(ValueError, match="loss sum without grad"):
        HessianVectorProduct(tiny_transformer(), [sentence_batch()], translation_sums)


def test_transformer_spectrum_runs_with_dropout_off():
    model = tiny_transformer().train()
    frames = [
        hessian_spectrum(
            model, [sentence_batch()], differentiable_sums, seed=0, trace_samples=(4, 4)
        )
        for _ in range(2)
    ]
    assert frames[0].equals(frames[1])  # dropout would make two runs differ
    assert frames[0].value[2] > 0 and model.training
