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
from prunescape.landscape import (
    SPECTRUM_COLUMNS,
    classification_sums,
    hessian_spectrum,
    merge_tiles,
    pooled_sums,
)
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


@pytest.fixture
def target_path(tmp_path, toy) -> Path:
    torch.manual_seed(1)
    path = tmp_path / "target.pt"
    torch.save(toy.make_mlp().state_dict(), path)
    return path


def toy_args(state_path: Path, out: Path, *extra: str) -> list[str]:
    return [
        "--model", "landscape_toy:make_mlp", "--checkpoint", str(state_path),
        "--batches", "landscape_toy:batches", "--out", str(out), "--no-progress", *extra,
    ]  # fmt: skip


def test_cli_hessian_writes_the_spectrum_table(tmp_path, state_path, toy, capsys):
    out = tmp_path / "hessian.csv"
    assert main(toy_args(state_path, out, "--hessian", "--top-k", "2", "--seed", "5")) == 0
    frame = pd.read_csv(out)
    assert frame.columns.tolist() == list(SPECTRUM_COLUMNS)
    model = toy.make_mlp()
    model.load_state_dict(torch.load(state_path, weights_only=True))
    direct = hessian_spectrum(model, toy.batches(), classification_sums, k=2, seed=5)
    pd.testing.assert_frame_equal(frame, direct, check_exact=False, rtol=1e-12)
    eigen = frame[frame.quantity == "eigenvalue"].value
    assert eigen.iloc[0] >= eigen.iloc[1] > 0
    assert "top eigenvalue" in capsys.readouterr().err


def test_cli_line_runs_from_the_checkpoint_to_the_target(tmp_path, state_path, target_path, toy):
    out = tmp_path / "line.csv"
    argv = toy_args(state_path, out, "--plane", "line", "--target", str(target_path))
    assert main([*argv, "--t-range=-0.5:1.5", "--per-unit", "4"]) == 0
    frame = pd.read_csv(out).set_index("t")
    assert frame.index.tolist() == [k / 4 for k in range(-2, 7)]
    for t, path in ((0.0, state_path), (1.0, target_path)):
        loss_sum, count, correct = centre_sums(toy, torch.load(path, weights_only=True))
        assert (frame.loss_sum[t], frame["count"][t], frame.correct[t]) == (
            loss_sum,
            count,
            correct,
        )


def test_cli_target_random_plane_reaches_the_target(tmp_path, state_path, target_path, toy):
    out = tmp_path / "plane.csv"
    extra = ("--plane", "target-random", "--target", str(target_path), "--grid", "3x3")
    assert main(toy_args(state_path, out, *extra, "--range=0:1", "--yrange=-1:1")) == 0
    frame = pd.read_csv(out)
    target_point = frame[(frame.x == 1) & (frame.y == 0)].iloc[0]
    loss_sum, _, correct = centre_sums(toy, torch.load(target_path, weights_only=True))
    assert target_point.loss_sum == pytest.approx(loss_sum, rel=1e-7)
    assert target_point.correct == correct


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--plane", "line"], "--plane line needs --target"),
        (["--plane", "target-random"], "--plane target-random needs --target"),
        (["--hessian", "--target", "TARGET"], "--hessian takes no --plane or --target"),
        (["--target", "TARGET"], "--target needs --plane target-random or --plane line"),
        (["--plane", "line", "--target", "TARGET", "--masks", "m.pt"], "give no masks"),
        (["--hessian", "--tiles", "2"], "--tiles splits planes only"),
        (["--hessian", "--top-k", "0"], "--top-k and --per-unit must be at least 1"),
        (["--plane", "line", "--target", "missing.pt"], "missing.pt: target not found"),
    ],
)
def test_bad_measure_options_fail_in_one_line(
    tmp_path, state_path, target_path, capsys, toy, extra, message
):
    out = tmp_path / "out.csv"
    extra = [str(target_path) if e == "TARGET" else e for e in extra]
    with pytest.raises(SystemExit) as exit_info:
        main(toy_args(state_path, out, *extra))
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("prunescape-landscape: error:") and message in last
    assert not out.exists()
