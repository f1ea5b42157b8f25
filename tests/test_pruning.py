"""Global magnitude pruning and masks that hold through training."""

import pytest
import torch
from torch import nn

from prunescape.pruning import (
    MaskEnforcer,
    apply_masks,
    global_magnitude_masks,
    prunable_names,
    sparsity_report,
)
from prunescape.translation.model import Transformer, TransformerConfig


class Toy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.small = nn.Linear(20, 10)
        self.large = nn.Linear(20, 10)
        self.norm = nn.LayerNorm(10)
        with torch.no_grad():
            self.large.weight.mul_(10)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5, 0.8])
def test_kept_fraction_is_one_minus_rate(rate):
    toy = Toy()
    params = dict(toy.named_parameters())
    masks = global_magnitude_masks(params, ["small.weight", "large.weight"], rate)
    kept = sum(int(m.sum()) for m in masks.values())
    assert abs(kept - (1 - rate) * 400) <= 1
    report = sparsity_report(masks, rate, sum(p.numel() for p in params.values()))
    assert report["kept"] == kept and report["total"] == 400
    assert report["pruned_prunable"] == pytest.approx(rate, abs=1 / 400)
    assert report["pruned_all"] == pytest.approx((400 - kept) / 440)  # + biases and norm
    assert report["kept_fraction"] == pytest.approx(1 - rate, abs=1 / 400)


def test_threshold_is_global_not_per_layer():
    toy = Toy()
    masks = global_magnitude_masks(
        dict(toy.named_parameters()), ["small.weight", "large.weight"], 0.5
    )
    # The ×10 layer keeps nearly all its weights; a per-layer rule would keep half of each.
    assert masks["large.weight"].float().mean() > 0.9
    assert masks["small.weight"].float().mean() < 0.1
    pruned = torch.cat(
        [toy.small.weight[~masks["small.weight"]], toy.large.weight[~masks["large.weight"]]]
    )
    kept = torch.cat(
        [toy.small.weight[masks["small.weight"]], toy.large.weight[masks["large.weight"]]]
    )
    assert pruned.abs().max() <= kept.abs().min()


def test_layernorm_and_biases_are_never_prunable():
    model = Transformer(TransformerConfig(vocab_size=30, d_model=8, d_inner=16, layers=1, heads=2))
    names = prunable_names(
        model, [r"attn\.(q|k|v|o)\.weight$", r"ffn\.w_(1|2)\.weight$", "norm", "bias"]
    )
    assert names and all(model.get_parameter(n).dim() == 2 for n in names)
    assert not any("norm" in n or n.endswith("bias") for n in names)
    assert "src_embed.weight" not in names
    # 6 attention matrices per decoder layer + 4 encoder + 2 ffn each side
    assert len(names) == 4 + 2 + 8 + 2


def test_pruned_weights_stay_zero_through_adam_with_nonzero_gradients():
    torch.manual_seed(0)
    layer = nn.Linear(16, 16)
    masks = global_magnitude_masks({"weight": layer.weight}, ["weight"], 0.6)
    enforcer = MaskEnforcer(layer, masks)
    enforcer.apply()
    opt = torch.optim.Adam(layer.parameters(), lr=0.1, weight_decay=0.1)
    before = layer.weight.detach().clone()
    for _ in range(20):
        opt.zero_grad()
        # A loss whose raw gradient is nonzero on every entry, pruned ones included.
        (layer.weight.sum() * 3 + layer(torch.randn(4, 16)).pow(2).sum()).backward()
        assert torch.all(layer.weight.grad[~masks["weight"]] == 0)
        opt.step()
        enforcer.apply()
        assert torch.all(layer.weight[~masks["weight"]] == 0)
    state = opt.state[layer.weight]
    assert torch.all(state["exp_avg"][~masks["weight"]] == 0)
    assert not torch.equal(layer.weight[masks["weight"]], before[masks["weight"]])


def test_tied_embedding_is_pruned_once_for_every_user():
    model = Transformer(TransformerConfig(vocab_size=40, d_model=8, d_inner=16, layers=1, heads=2))
    names = prunable_names(model, [r"ffn\.w_1\.weight$"], include_embeddings=True)
    # The shared matrix appears once, under its first name.
    assert names.count("src_embed.weight") == 1 and "project.weight" not in names
    params = dict(model.named_parameters())
    masks = global_magnitude_masks(params, names, 0.5)
    MaskEnforcer(model, masks).apply()
    pruned = ~masks["src_embed.weight"]
    for module in (model.src_embed, model.trg_embed, model.project):
        assert torch.all(module.weight[pruned] == 0)
    assert model.src_embed.weight.data_ptr() == model.project.weight.data_ptr()


def test_apply_masks_leaves_dense_tensors_alone():
    params = {"a": torch.ones(2, 2), "b": torch.ones(3)}
    masks = {"a": torch.tensor([[True, False], [False, True]])}
    out = apply_masks(params, masks)
    assert out["a"].tolist() == [[1.0, 0.0], [0.0, 1.0]] and out["b"].tolist() == [1.0] * 3


def test_bad_rates_and_masks_are_rejected():
    toy = Toy()
    with pytest.raises(ValueError, match="rate"):
        global_magnitude_masks(dict(toy.named_parameters()), ["small.weight"], 1.0)
    with pytest.raises(ValueError, match="lacks"):
        MaskEnforcer(toy, {"missing.weight": torch.ones(1, dtype=torch.bool)})
    with pytest.raises(ValueError, match="shape"):
        MaskEnforcer(toy, {"small.weight": torch.ones(3, dtype=torch.bool)})
