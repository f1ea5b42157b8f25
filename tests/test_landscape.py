"""Tests of the loss-landscape engine: directions, grid evaluation, tiles, viewer CSV."""

from __future__ import annotations

import copy
import functools
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from prunescape import io
from prunescape.landscape import (
    GRID_COLUMNS,
    VIEWER_COLUMNS,
    centre_included,
    classification_sums,
    cli,
    difference_direction,
    evaluate_grid,
    grid_axis,
    grid_coordinates,
    load_directions,
    merge_tiles,
    metrics_from_sums,
    parameter_centre,
    plane,
    pooled_sums,
    random_direction,
    run_tile,
    save_directions,
    tile_rows,
    viewer_frame,
)
from prunescape.landscape.grid import frozen_parameters
from prunescape.translation.batching import batch_sums
from prunescape.translation.corpus import BOS, PAD
from prunescape.translation.model import Transformer, TransformerConfig

DOC = Path(__file__).resolve().parents[1] / "README.md"


def make_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))


def make_batches(sizes: tuple[int, ...] = (5, 3), seed: int = 1) -> list:
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(n, 4, generator=g), torch.randint(0, 3, (n,), generator=g)) for n in sizes]


def plain_sums(model: nn.Module, batches: list) -> list[float]:
    model.eval()
    with torch.no_grad():
        return pooled_sums(model, batches, classification_sums).tolist()


def model_at(model: nn.Module, weights: dict[str, torch.Tensor]) -> nn.Module:
    clone = copy.deepcopy(model)
    clone.load_state_dict(weights, strict=False)
    return clone


def recording(log: list):
    """classification_sums that also records the parameters it saw."""

    def sums(model: nn.Module, batch) -> torch.Tensor:
        log.append({n: p.detach().clone() for n, p in model.named_parameters()})
        return classification_sums(model, batch)

    return sums


# Directions ----------------------------------------------------------------


@pytest.fixture
def weights() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    return {
        "fc.weight": torch.randn(5, 7, generator=g),
        "conv.weight": torch.randn(4, 3, 2, 2, generator=g),
        "fc.bias": torch.randn(5, generator=g),
    }


def test_filter_rows_take_the_norm_of_their_masked_weight_rows(weights):
    mask = torch.rand(5, 7, generator=torch.Generator().manual_seed(4)) > 0.4
    mask[2] = False  # a fully pruned row
    d = random_direction(weights, seed=0, masks={"fc.weight": mask})
    kept = weights["fc.weight"] * mask
    torch.testing.assert_close(d["fc.weight"].norm(dim=1), kept.norm(dim=1))
    assert d["fc.weight"][2].abs().sum() == 0
    assert torch.all(d["fc.weight"][~mask] == 0)
    assert torch.count_nonzero(d["fc.weight"][mask]) == mask.sum()
    conv_rows = weights["conv.weight"].reshape(4, -1).norm(dim=1)
    torch.testing.assert_close(d["conv.weight"].reshape(4, -1).norm(dim=1), conv_rows)
    assert torch.all(d["fc.bias"] == 0)


def test_layer_norm_is_per_tensor_and_filter_keeps_the_raw_draw_directions(weights):
    layer = random_direction(weights, seed=0, norm="layer")
    raw = random_direction(weights, seed=0, norm="none")
    filt = random_direction(weights, seed=0, norm="filter")
    for name in ("fc.weight", "conv.weight"):
        torch.testing.assert_close(layer[name].norm(), weights[name].norm())
        rows = weights[name].shape[0]
        ratio = filt[name].reshape(rows, -1) / raw[name].reshape(rows, -1)
        assert torch.all(ratio > 0)
        torch.testing.assert_close(ratio, ratio[:, :1].expand_as(ratio))
    assert not torch.allclose(layer["fc.weight"].norm(dim=1), weights["fc.weight"].norm(dim=1))
    assert not torch.allclose(raw["fc.weight"].norm(), weights["fc.weight"].norm())


def test_seeds_are_reproducible_and_independent_of_dict_order(weights):
    first = random_direction(weights, seed=7)
    again = random_direction(dict(reversed(weights.items())), seed=7)
    other = random_direction(weights, seed=8)
    assert list(first) == list(weights)
    for name in weights:
        assert torch.equal(first[name], again[name])
    assert not torch.equal(first["fc.weight"], other["fc.weight"])


def test_including_1d_tensors_moves_them_without_changing_the_rest(weights):
    ignored = random_direction(weights, seed=2)
    included = random_direction(weights, seed=2, ignore_1d=False)
    assert torch.count_nonzero(included["fc.bias"]) == 5
    torch.testing.assert_close(included["fc.bias"].abs(), weights["fc.bias"].abs())
    assert torch.equal(ignored["fc.weight"], included["fc.weight"])


def test_bad_norm_and_mask_names_are_rejected(weights):
    with pytest.raises(ValueError, match="norm"):
        random_direction(weights, seed=0, norm="bogus")
    with pytest.raises(ValueError, match="not parameters"):
        random_direction(weights, seed=0, masks={"fc.weight_mask": torch.ones(5, 7)})


def test_difference_direction_is_masked_target_minus_origin(weights):
    target = {k: v * 2 + 1 for k, v in weights.items()}
    mask = torch.zeros(5, 7, dtype=torch.bool)
    mask[:, :3] = True
    d = difference_direction(target, weights, masks={"fc.weight": mask})
    expected = (target["fc.weight"].double() - weights["fc.weight"].double()) * mask
    assert torch.equal(d["fc.weight"], expected)
    back = (weights["fc.bias"].double() + d["fc.bias"]).float()
    assert torch.equal(back, target["fc.bias"])  # exact, unlike a float32 difference


def test_planes_share_the_random_axis_and_round_trip_through_a_file(weights, tmp_path):
    dx, dy = plane("random-random", weights, seed=5)
    assert not torch.equal(dx["fc.weight"], dy["fc.weight"])
    target = {k: v + 1 for k, v in weights.items()}
    tx, ty = plane("target-random", weights, seed=5, target=target)
    assert torch.equal(ty["fc.weight"], dy["fc.weight"])
    expected = target["fc.weight"].double() - weights["fc.weight"].double()
    assert torch.equal(tx["fc.weight"], expected)
    save_directions(tmp_path / "d.pt", (dx, dy), {"seed": 5})
    lx, ly, meta = load_directions(tmp_path / "d.pt")
    assert meta["seed"] == 5
    for name in weights:
        assert torch.equal(lx[name], dx[name]) and torch.equal(ly[name], dy[name])
    with pytest.raises(ValueError, match="target"):
        plane("target-random", weights, seed=5)


# Grid coordinates ----------------------------------------------------------


def test_grid_axes_hit_the_centre_exactly_and_need_not_be_square():
    xs, ys = grid_coordinates(-0.3, 0.3, 7, -1.0, 1.0, 21)
    assert len(xs) == 7 and len(ys) == 21
    assert xs[3] == 0.0 and ys[10] == 0.0
    assert xs[0] == -0.3 and xs[-1] == 0.3
    assert list(ys) == [-v for v in ys[::-1]]
    assert centre_included(xs, ys)
    assert not centre_included(*grid_coordinates(-1, 1, 10, -1, 1, 9))
    assert list(grid_axis(0.1, 0.3, 3)) == [0.1, pytest.approx(0.2), 0.3]
    assert list(grid_axis(-2, 2, 1)) == [0.0]
    for bad in ((1, -1, 3), (0, 0, 3), (-1, 1, 0)):
        with pytest.raises(ValueError):
            grid_axis(*bad)


# Grid evaluation -----------------------------------------------------------


def test_centre_equals_a_plain_evaluation_and_ppl_pools_ragged_batches():
    model, batches = make_model(), make_batches(sizes=(1, 9))
    expected = plain_sums(model, batches)
    center = parameter_centre(model)
    xs, ys = grid_coordinates(-1, 1, 3, -1, 1, 3)
    frame = evaluate_grid(
        model, center, plane("random-random", center, seed=0), xs, ys, batches,
        classification_sums, progress=False,
    )  # fmt: skip
    centre = frame[(frame.x == 0) & (frame.y == 0)].iloc[0]
    assert [centre.loss_sum, centre["count"], centre.correct] == expected
    pooled = expected[0] / expected[1]
    means = [plain_sums(model, [b])[0] / len(b[1]) for b in batches]
    assert abs(sum(means) / len(means) - pooled) > 1e-2  # the batches are ragged enough
    assert centre.loss == pooled
    assert centre.ppl == pytest.approx(math.exp(pooled), rel=1e-12)
    assert centre.acc == expected[2] / expected[1]


def test_grid_is_y_major_and_evaluates_the_right_point():
    model, batches = make_model(), make_batches()
    center = parameter_centre(model)
    dx, dy = plane("random-random", center, seed=1, ignore_1d=False)
    xs, ys = grid_coordinates(-1, 1, 3, -1, 1, 5)
    frame = evaluate_grid(
        model, center, (dx, dy), xs, ys, batches, classification_sums, scale=0.5, progress=False
    )
    assert list(frame.columns) == list(GRID_COLUMNS)
    assert len(frame) == 15
    assert frame.x.tolist() == [-1.0, 0.0, 1.0] * 5
    assert frame.y.tolist() == [y for y in (-1.0, -0.5, 0.0, 0.5, 1.0) for _ in range(3)]
    row = frame.iloc[5]  # x = 1, y = -0.5
    assert (row.x, row.y) == (1.0, -0.5)
    moved = {n: center[n] + 0.5 * (1.0 * dx[n] - 0.5 * dy[n]) for n in center}
    loss_sum, count, correct = plain_sums(model_at(model, moved), batches)
    assert row.loss_sum == pytest.approx(loss_sum, rel=1e-6)
    assert (row["count"], row.correct) == (count, correct)
    assert row.loss != frame.iloc[7].loss  # off-centre differs from the centre


def test_target_random_point_one_zero_is_the_target_and_pruned_weights_stay_zero():
    w0_model, w_star_model = make_model(seed=0), make_model(seed=1)
    batches = make_batches(sizes=(6,))
    masks = {name: p.abs() > 0.2 for name, p in w0_model.named_parameters() if p.dim() == 2}
    w0 = {n: p * masks[n] if n in masks else p for n, p in parameter_centre(w0_model).items()}
    w_star = {
        n: p * masks[n] if n in masks else p for n, p in parameter_centre(w_star_model).items()
    }
    directions = plane("target-random", w0, seed=3, target=w_star, masks=masks)
    log: list = []
    xs, ys = grid_coordinates(0, 1, 2, 0, 1, 3)
    frame = evaluate_grid(w0_model, w0, directions, xs, ys, batches, recording(log), progress=False)
    seen_at_target = log[1]  # x = 1, y = 0
    for name in w_star:
        assert torch.equal(seen_at_target[name], w_star[name])
    for point in log:
        for name, mask in masks.items():
            assert torch.all(point[name][~mask] == 0)
    expected = plain_sums(model_at(w0_model, w_star), batches)
    assert frame.iloc[1].loss_sum == expected[0]


def test_parameters_and_mode_are_restored_also_after_an_error():
    model, batches = make_model(), make_batches()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    center = {n: p + 1 for n, p in before.items()}
    directions = plane("random-random", center, seed=0)
    xs, ys = grid_coordinates(-1, 1, 3, -1, 1, 3)
    model.train()
    evaluate_grid(model, center, directions, xs, ys, batches, classification_sums, progress=False)
    calls = []

    def failing(model: nn.Module, batch) -> torch.Tensor:
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("boom")
        return classification_sums(model, batch)

    with pytest.raises(RuntimeError, match="boom"):
        evaluate_grid(model, center, directions, xs, ys, batches, failing, progress=False)
    assert model.training
    for name, p in model.named_parameters():
        assert torch.equal(p, before[name])


def test_grid_rejects_iterators_and_unknown_names():
    model, batches = make_model(), make_batches()
    center = parameter_centre(model)
    directions = plane("random-random", center, seed=0)
    with pytest.raises(TypeError, match="re-iterable"):
        evaluate_grid(model, center, directions, [0.0], [0.0], iter(batches), classification_sums)
    alias = {**center, "tied.weight": center["0.weight"]}
    with pytest.raises(ValueError, match="named_parameters"):
        evaluate_grid(model, alias, directions, [0.0], [0.0], batches, classification_sums)


def test_each_module_gets_its_own_mode_back():
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    model.train()
    model[1].eval()  # a frozen BatchNorm inside a model in training mode
    center = parameter_centre(model)
    batches = [(torch.randn(16, 4), torch.randint(0, 2, (16,)))]
    directions = plane("random-random", center, seed=0)
    evaluate_grid(model, center, directions, [0.0], [0.0], batches, classification_sums)
    assert [m.training for m in model] == [True, False, True]
    assert model.training


def make_frozen_model() -> nn.Module:
    """make_model with its first layer frozen, as fine-tuning leaves it."""
    model = make_model()
    model[0].requires_grad_(False)
    return model


@pytest.mark.parametrize("keep_frozen", [False, True])
def test_frozen_parameters_move_unless_held_still(keep_frozen):
    model = make_frozen_model()
    frozen = frozen_parameters(model)
    assert frozen == ["0.weight", "0.bias"]
    center = parameter_centre(model)
    dx, dy = plane(
        "random-random", center, seed=0, ignore_1d=False, still=frozen if keep_frozen else ()
    )
    free_dx, free_dy = plane("random-random", center, seed=0, ignore_1d=False)
    for name in center:
        for axis, free in ((dx, free_dx), (dy, free_dy)):
            if keep_frozen and name in frozen:
                assert not axis[name].any()
            else:
                assert axis[name].any()
                assert torch.equal(axis[name], free[name])
    log: list = []
    batches = make_batches()
    evaluate_grid(model, center, (dx, dy), [1.0], [1.0], batches, recording(log), progress=False)
    assert torch.equal(log[0]["0.weight"], center["0.weight"]) is keep_frozen
    assert not torch.equal(log[0]["2.weight"], center["2.weight"])


def test_still_rejects_unknown_names():
    center = parameter_centre(make_model())
    with pytest.raises(ValueError, match="still names tensors"):
        plane("random-random", center, seed=0, still=["nope.weight"])


def test_cli_keep_frozen_leaves_frozen_parameters_still(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent))
    torch.save(make_frozen_model().state_dict(), tmp_path / "model.pt")
    sums = {}
    for keep in (False, True):
        out = tmp_path / f"keep_{keep}.csv"
        args = ["--model", "test_landscape:make_frozen_model", "--checkpoint"]
        args += [str(tmp_path / "model.pt"), "--batches", "landscape_toy:batches"]
        args += ["--grid", "1x1", "--range=0.5:1.5", "--out", str(out), "--no-progress"]
        assert cli.main(args + (["--keep-frozen"] if keep else [])) == 0
        sums[keep] = pd.read_csv(out).loss_sum.iloc[0]
    model = make_frozen_model()
    center = parameter_centre(model)
    batches = landscape_batches()
    for keep in (False, True):
        still = frozen_parameters(model) if keep else ()
        directions = plane("random-random", center, seed=0, still=still)
        frame = evaluate_grid(
            model, center, directions, [1.0], [1.0], batches, classification_sums, progress=False
        )
        assert sums[keep] == pytest.approx(frame.loss_sum.iloc[0], rel=1e-6)  # CSV precision
    assert sums[False] != pytest.approx(sums[True], rel=1e-3)


def landscape_batches() -> list:
    import landscape_toy

    return landscape_toy.batches()


def test_points_per_pass_gives_the_sequential_sums_on_an_mlp():
    model = nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.Tanh(), nn.Linear(6, 3))
    center = parameter_centre(model)
    directions = plane("random-random", center, seed=0, ignore_1d=False)
    xs, ys = grid_coordinates(-1, 1, 5, -1, 1, 3)
    batches = make_batches(sizes=(5, 3, 7))
    run = functools.partial(
        evaluate_grid, model, center, directions, xs, ys, batches, classification_sums,
        scale=0.7, rows=[2, 0], progress=False,
    )  # fmt: skip
    sequential = run()
    for k in (2, 4, 10, 64):  # chunks that split rows, a ragged last chunk, more than the grid
        batched = run(points_per_pass=k)
        pd.testing.assert_frame_equal(batched, sequential, check_exact=False, rtol=1e-6)
        assert batched.correct.tolist() == sequential.correct.tolist()
    for name, p in model.named_parameters():
        assert torch.equal(p, center[name])


def test_points_per_pass_gives_the_sequential_sums_on_the_transformer():
    torch.manual_seed(0)
    cfg = TransformerConfig(vocab_size=40, d_model=16, d_inner=32, layers=2, heads=2)
    model = Transformer(cfg)
    g = torch.Generator().manual_seed(1)
    src = torch.randint(4, 40, (6, 7), generator=g)
    src[0, 5:] = PAD
    trg = torch.randint(4, 40, (6, 6), generator=g)
    trg[:, 0] = BOS
    trg[2, 3:] = PAD
    batches = [(src, trg), (src[:3, :4], trg[:3])]
    center = parameter_centre(model)
    directions = plane("random-random", center, seed=0)
    xs, ys = grid_coordinates(-1, 1, 3, -1, 1, 3)
    model.train()
    sequential = evaluate_grid(model, center, directions, xs, ys, batches, batch_sums)
    batched = evaluate_grid(
        model, center, directions, xs, ys, batches, batch_sums, points_per_pass=4
    )
    pd.testing.assert_frame_equal(batched, sequential, check_exact=False, rtol=1e-6)
    tokens = sum(int((t[:, 1:] != PAD).sum()) for _, t in batches)
    assert batched["count"].tolist() == [float(tokens)] * 9
    assert model.training


def test_points_per_pass_must_be_positive():
    model = make_model()
    center = parameter_centre(model)
    directions = plane("random-random", center, seed=0)
    with pytest.raises(ValueError, match="points_per_pass"):
        evaluate_grid(
            model, center, directions, [0.0], [0.0], make_batches(), classification_sums,
            points_per_pass=0,
        )  # fmt: skip


class Tied(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encode = nn.Linear(3, 3, bias=False)
        self.decode = nn.Linear(3, 3)
        self.decode.weight = self.encode.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(torch.tanh(self.encode(x)))


def test_tied_weights_move_once_for_all_their_users():
    torch.manual_seed(0)
    model = Tied()
    center = parameter_centre(model)
    assert sorted(center) == ["decode.bias", "encode.weight"]
    assert sorted(random_direction(center, seed=0)) == sorted(center)
    step = torch.full((3, 3), 0.25)
    dx = {"encode.weight": step}
    dy = {"encode.weight": torch.zeros(3, 3)}
    log: list = []

    def sums(model: Tied, batch) -> torch.Tensor:
        log.append((model.encode.weight.detach().clone(), model.decode.weight.detach().clone()))
        return classification_sums(model, batch)

    batches = [(torch.randn(4, 3), torch.tensor([0, 1, 2, 0]))]
    evaluate_grid(model, center, (dx, dy), [1.0], [0.0], batches, sums, progress=False)
    encode, decode = log[0]
    assert torch.equal(encode, center["encode.weight"] + step)
    assert torch.equal(decode, encode)


def test_summarise_handles_empty_and_huge_losses():
    assert math.isnan(metrics_from_sums(1.0, 0, 0)["loss"])
    assert metrics_from_sums(1e6, 1, 0)["ppl"] == math.inf
    assert metrics_from_sums(3.0, 2, 1) == {"loss": 1.5, "ppl": math.exp(1.5), "acc": 0.5}


# Tiles and viewer ----------------------------------------------------------


def test_tile_rows_cover_every_row_once():
    assert [tile_rows(5, 3, i) for i in range(3)] == [range(0, 2), range(2, 4), range(4, 5)]
    assert [len(tile_rows(2, 3, i)) for i in range(3)] == [1, 1, 0]
    with pytest.raises(ValueError):
        tile_rows(5, 3, 3)


def test_merged_tiles_equal_the_untiled_grid(tmp_path):
    model, batches = make_model(), make_batches()
    center = parameter_centre(model)
    directions = plane("random-random", center, seed=0)
    xs, ys = grid_coordinates(-1, 1, 3, -1, 1, 5)
    args = (model, center, directions, xs, ys, batches, classification_sums)
    io.write_csv(tmp_path / "full.csv", evaluate_grid(*args, progress=False))
    paths = [tmp_path / f"tile{i}.csv" for i in range(3)]
    for i, path in enumerate(paths):
        run_tile(path, *args, n_tiles=3, tile_index=i, progress=False)
    merged = merge_tiles(reversed(paths))
    pd.testing.assert_frame_equal(merged, pd.read_csv(tmp_path / "full.csv"))
    io.write_csv(tmp_path / "merged.csv", merged)
    assert (tmp_path / "merged.csv").read_bytes() == (tmp_path / "full.csv").read_bytes()
    with pytest.raises(ValueError, match="overlap"):
        merge_tiles([paths[0], paths[0]])


def test_viewer_frame_numbers_experiments_in_order_of_first_appearance():
    def grid(model: str, epoch: int, scale: float, offset: float) -> pd.DataFrame:
        points = [(x, y) for y in (1.0, -1.0) for x in (1.0, -1.0)]  # deliberately unsorted
        return pd.DataFrame(
            {
                "x": [p[0] for p in points],
                "y": [p[1] for p in points],
                "loss": [offset + p[0] + 10 * p[1] for p in points],
                "ppl": 1.0,
                "acc": 0.5,
                "model": model,
                "epoch": epoch,
                "scale": scale,
            }
        )

    frames = [grid("wlt80", 2, 1.0, 0), grid("base", 1, 0.2, 100), grid("wlt80", 1, 1.0, 200)]
    out = viewer_frame(frames)
    assert list(out.columns) == list(VIEWER_COLUMNS)
    assert out.id.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert out.model.tolist()[::4] == ["wlt80", "base", "wlt80"]
    assert out.epoch.tolist()[::4] == [2, 1, 1]
    assert out.y.tolist()[:4] == [-1.0, -1.0, 1.0, 1.0]
    assert out.x.tolist()[:4] == [-1.0, 1.0, -1.0, 1.0]
    assert out.loss.tolist()[4:8] == [89.0, 91.0, 109.0, 111.0]
    with pytest.raises(ValueError, match="lack"):
        viewer_frame(frames[0].drop(columns="scale"))


# The README example ----------------------------------------------------------


def test_readme_example_runs(tmp_path, monkeypatch):
    section = DOC.read_text().split("## Loss landscapes of your own model", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    frame, model = namespace["frame"], namespace["model"]
    assert len(frame) == 63 and centre_included(frame.x, frame.y)
    centre = frame[(frame.x == 0) & (frame.y == 0)].iloc[0]
    assert [centre.loss_sum, centre["count"], centre.correct] == plain_sums(
        model, namespace["batches"]
    )
    assert len(pd.read_csv(tmp_path / "landscape.csv")) == 63
    assert (tmp_path / "directions.pt").is_file()


def test_readme_sharpness_example_runs(capsys):
    section = DOC.read_text().split("### Sharpness, barriers and training paths", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    line, surface, steps = namespace["line"], namespace["surface"], namespace["steps"]
    assert line.t.min() == pytest.approx(-0.2) and line.t.max() == pytest.approx(1.2)
    assert steps["epoch"].tolist() == [1, 2, 3, 4, 5]
    # The one-call trajectory and the step-by-step one are the same surface.
    assert len(surface) == 121
    np.testing.assert_allclose(surface["loss"], namespace["grid"]["loss"], rtol=1e-12)
    assert "eigenvalue" in capsys.readouterr().out
