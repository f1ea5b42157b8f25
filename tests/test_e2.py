"""Experiment 2: starting points, surfaces and the summary."""

import math
import runpy
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import torch

from prunescape.e2 import axes, starting_point, summary, surfaces
from prunescape.io import save_checkpoint
from prunescape.landscape import load_directions, random_direction
from prunescape.pruning import global_magnitude_masks
from prunescape.seeding import derive_seed

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def weights(seed: int) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return {
        "a.weight": torch.randn(6, 4, generator=gen),
        "b.weight": torch.randn(3, 6, generator=gen),
        "norm.weight": torch.randn(6, generator=gen),
    }


@pytest.fixture
def setup():
    w0, w_star = weights(0), weights(1)
    masks = global_magnitude_masks(w_star, ["a.weight", "b.weight"], 0.3)
    x, y = axes(w0, w_star, seed=5, norm="filter", masks=masks)
    return w0, w_star, masks, x, y


def test_point_one_zero_is_masked_w_star(setup):
    w0, w_star, masks, x, y = setup
    point = starting_point(w0, x, y, 1.0, 0.0, masks)
    for name in masks:
        assert torch.equal(point[name], w_star[name] * masks[name])


def test_point_zero_zero_is_masked_w0(setup):
    w0, w_star, masks, x, y = setup
    point = starting_point(w0, x, y, 0.0, 0.0, masks)
    for name in masks:
        assert torch.equal(point[name], w0[name] * masks[name])
    # 1-D tensors move along x = w* − w0 only: the random direction ignores them.
    assert torch.all(y["norm.weight"] == 0)
    moved = starting_point(w0, x, y, 0.5, 1.0, masks)["norm.weight"]
    assert torch.allclose(moved, (w0["norm.weight"] + w_star["norm.weight"]) / 2)


def test_random_axis_is_filter_normalised_to_w0_and_masked(setup):
    w0, _, masks, _, y = setup
    for name, mask in masks.items():
        assert torch.all(y[name][~mask] == 0)
        kept_rows = (w0[name] * mask).norm(dim=1)
        assert torch.allclose(y[name].norm(dim=1), kept_rows, atol=1e-5)


def test_random_axis_comes_from_the_one_seed_derivation(setup):
    w0, _, masks, _, y = setup
    expected = random_direction(w0, seed=derive_seed(5, "y"), norm="filter", masks=masks)
    assert all(torch.equal(y[name], expected[name]) for name in w0)


def test_axes_script_writes_a_directions_file(setup, tmp_path):
    """The axes file is the library's directions format, so retraining reads it back."""
    w0, w_star, masks, _, _ = setup
    paths = {}
    for name, tensors in {"w0": w0, "final": w_star, "masks": masks}.items():
        paths[name] = str(tmp_path / f"{name}.pt")
        save_checkpoint(paths[name], tensors, {})
    snakemake = SimpleNamespace(
        threads=1,
        log=[str(tmp_path / "axes.log")],
        params=SimpleNamespace(e2={"norm": "filter", "rate": 30}, seed=7),
        input=SimpleNamespace(**paths),
        output=[str(tmp_path / "axes.pt")],
    )
    runpy.run_path(str(SCRIPTS / "e2_axes.py"), init_globals={"snakemake": snakemake})
    x, y, meta = load_directions(tmp_path / "axes.pt")
    expected = axes(w0, w_star, seed=7, norm="filter", masks=masks)
    assert all(torch.equal(x[n], expected[0][n]) and torch.equal(y[n], expected[1][n]) for n in w0)
    assert meta["rate"] == 30 and meta["norm"] == "filter"


def test_points_off_the_axes_keep_the_mask(setup):
    w0, _, masks, x, y = setup
    point = starting_point(w0, x, y, -0.5, 1.0, masks)
    for name, mask in masks.items():
        assert torch.all(point[name][~mask] == 0)
        expected = (w0[name].double() - 0.5 * x[name].double() + y[name].double()) * mask
        assert torch.allclose(point[name].double(), expected, atol=1e-6)


def run_metrics(loss_by_epoch):
    return pd.DataFrame(
        {
            "epoch": range(len(loss_by_epoch)),
            "val_loss": loss_by_epoch,
            "val_ppl": [float(torch.tensor(v).exp()) for v in loss_by_epoch],
            "val_acc": [1 - v / 10 for v in loss_by_epoch],
        }
    )


def test_surface_is_a_complete_grid_in_order():
    metrics = {
        (a, b): run_metrics([5.0, 4.0 - a, 3.0 - a - b])
        for a in (-1.0, 0.0, 1.0)
        for b in (-1.0, 0.0, 1.0)
    }
    surface = surfaces(metrics, epochs=2)
    assert len(surface) == 3 * 9
    assert surface.groupby("epoch").size().tolist() == [9, 9, 9]
    epoch2 = surface[surface.epoch == 2]
    assert epoch2[["alpha", "beta"]].drop_duplicates().shape[0] == 9
    assert epoch2.set_index(["alpha", "beta"]).loc[(1.0, 1.0), "loss"] == pytest.approx(1.0)
    # y-major, α fastest within each epoch, as the viewer and heat maps expect
    assert epoch2["alpha"].tolist()[:3] == [-1.0, 0.0, 1.0]
    table = summary(surface)
    assert table.iloc[0][["alpha", "beta"]].tolist() == [1.0, 1.0]
    beats = table.set_index(["alpha", "beta"])["beats_centre"]
    assert beats[(1.0, 1.0)] and not beats[(-1.0, -1.0)] and not beats[(0.0, 0.0)]
    # loss goes from 4 − α to 3 − α − β between epochs 1 and 2: slope −1 − β
    rates = table.set_index(["alpha", "beta"])["loss_rate"]
    assert rates[(1.0, 0.0)] == pytest.approx(-1.0)
    assert rates[(0.0, 1.0)] == pytest.approx(-2.0)
    assert rates[(-1.0, -1.0)] == pytest.approx(0.0)


def test_a_diverged_point_keeps_its_cells_as_nan():
    """A run that diverged at epoch 1 stops there: its later epochs are gaps."""
    metrics = {(0.0, 0.0): run_metrics([5.0, 4.0, 3.0]), (1.0, 0.0): run_metrics([5.0, math.nan])}
    surface = surfaces(metrics, epochs=2)
    assert surface.groupby("epoch").size().tolist() == [2, 2, 2]
    diverged = surface[(surface.alpha == 1.0)].set_index("epoch")["loss"]
    assert diverged[0] == 5.0 and math.isnan(diverged[1]) and math.isnan(diverged[2])
    table = summary(surface).set_index(["alpha", "beta"])
    assert math.isnan(table.loc[(1.0, 0.0), "final_loss"])
    assert math.isnan(table.loc[(1.0, 0.0), "loss_rate"])  # no two finite epochs
    assert table.loc[(0.0, 0.0), "loss_rate"] == pytest.approx(-1.0)
