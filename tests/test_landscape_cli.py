"""Tests of the prunescape-landscape command line on a tiny MLP (tests/landscape_toy.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from prunescape import io
from prunescape.landscape import classification_sums, merge_tiles, pooled_sums
from prunescape.landscape.cli import main

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.syspath_prepend(str(TESTS))
    import landscape_toy

    return landscape_toy


@pytest.fixture
def state_path(tmp_path, toy) -> Path:
    torch.manual_seed(0)
    path = tmp_path / "mlp.pt"
    torch.save(toy.make_mlp().state_dict(), path)
    return path


def centre_sums(toy, state: dict[str, torch.Tensor]) -> list[float]:
    model = toy.make_mlp()
    model.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        return pooled_sums(model, toy.batches(), classification_sums).tolist()


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "prunescape.landscape.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_writes_the_grid_with_the_model_at_its_centre(tmp_path, state_path, toy):
    out = tmp_path / "grid.csv"
    done = run_cli(
        "--model", "landscape_toy:make_mlp", "--checkpoint", str(state_path),
        "--batches", "landscape_toy:batches", "--grid", "3x5", "--range=-0.5:0.5",
        "--out", str(out), "--no-progress",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "15 grid points" in done.stderr
    frame = pd.read_csv(out)
    assert len(frame) == 15
    assert frame.x.tolist() == [-0.5, 0.0, 0.5] * 5
    centre = frame[(frame.x == 0) & (frame.y == 0)].iloc[0]
    loss_sum, count, correct = centre_sums(toy, torch.load(state_path, weights_only=True))
    assert centre.loss_sum == pytest.approx(loss_sum, rel=1e-7)
    assert (centre["count"], centre.correct) == (count, correct)
    assert frame.loss.nunique() > 1


def test_masks_that_prune_every_weight_matrix_freeze_the_landscape(tmp_path, toy):
    torch.manual_seed(0)
    model = toy.make_mlp()
    state = model.state_dict()
    io.save_checkpoint(tmp_path / "mlp.ckpt", state, {"epoch": 3})
    masks = {
        name: torch.zeros_like(p, dtype=torch.bool) for name, p in state.items() if p.dim() == 2
    }
    io.save_checkpoint(tmp_path / "masks.ckpt", masks, {})
    out = tmp_path / "grid.csv"
    argv = [
        "--model", "landscape_toy:make_mlp", "--checkpoint", str(tmp_path / "mlp.ckpt"),
        "--batches", "landscape_toy:batches", "--masks", str(tmp_path / "masks.ckpt"),
        "--grid", "3x3", "--out", str(out), "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 0
    frame = pd.read_csv(out)
    assert frame.loss_sum.nunique() == 1  # only zero directions: every point is the centre
    assert frame.loss_sum[0] == pytest.approx(centre_sums(toy, state)[0], rel=1e-7)


def test_tiles_from_the_cli_merge_into_the_full_grid(tmp_path, state_path, toy):
    base = [
        "--model", "landscape_toy:make_mlp", "--checkpoint", str(state_path),
        "--batches", "landscape_toy:batches", "--batch-sums", "landscape_toy:squared_error_sums",
        "--grid", "3x5", "--yrange=-2:2", "--seed", "4", "--no-progress",
    ]  # fmt: skip
    assert main([*base, "--out", str(tmp_path / "full.csv")]) == 0
    tiles = [tmp_path / f"tile{i}.csv" for i in range(2)]
    for i, path in enumerate(tiles):
        assert main([*base, "--tiles", "2", "--tile", str(i), "--out", str(path)]) == 0
    full = pd.read_csv(tmp_path / "full.csv")
    pd.testing.assert_frame_equal(merge_tiles(tiles), full)
    assert full.y.tolist()[::3] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert (full.correct == 0).all()  # the custom sums were used


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--model": "landscape_toy"}, "expected 'package.module:name'"),
        ({"--model": "no_such_module_zz:make"}, "cannot import 'no_such_module_zz'"),
        ({"--model": "landscape_toy:nope"}, "'landscape_toy' has no attribute 'nope'"),
        ({"--batches": "landscape_toy:NOT_CALLABLE"}, "'NOT_CALLABLE' is not callable"),
        ({"--checkpoint": "missing.pt"}, "missing.pt: checkpoint not found"),
        ({"--model": "landscape_toy:make_wide_mlp"}, "tensor '0.weight' has shape (8, 4)"),
        ({"--grid": "3by5"}, "expected NXxNY"),
        ({"--range": "1:-1"}, "expected MIN:MAX"),
        ({"--tile": "2"}, "tile index 2 is outside 0..0"),
        ({"--device": "nosuchdevice"}, "--device 'nosuchdevice'"),
    ],
)
def test_bad_arguments_fail_in_one_line_before_any_work(
    tmp_path, state_path, toy, capsys, change, message
):
    options = {
        "--model": "landscape_toy:make_mlp",
        "--checkpoint": str(state_path),
        "--batches": "landscape_toy:batches",
        "--out": str(tmp_path / "grid.csv"),
        **change,
    }
    argv = [f"{key}={value}" for key, value in options.items()]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("prunescape-landscape: error:")
    assert message in last
    assert not (tmp_path / "grid.csv").exists()
