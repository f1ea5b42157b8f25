"""E3's landscape claims over seeds: paired log λmax, comparable loss, depth as own loss."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from prunescape.stats import AGREES, DISAGREES, INCONCLUSIVE, NOT_TESTED
from prunescape.summary.landscape import (
    LOSS_TOLERANCE,
    barrier_table,
    grid_table,
    hessian_measures,
    hessian_table,
    landscape_claims,
    trajectory_table,
)

SEEDS = (0, 1, 2)
MODELS = ["baseline", "w0-30", "random-30", "w0-80", "random-80"]


def run_rows(seed, model, *, lam, loss, kept=1000.0, trace=None, epoch=8, k=3):
    """One (seed, model)'s hessian.csv rows: top-k eigenvalues descending from ``lam``
    (trace 2·lam unless given)."""
    trace = 2 * lam if trace is None else trace
    rows = [
        (seed, model, epoch, "loss", 0, loss, math.nan, 0),
        (seed, model, epoch, "kept_weights", 0, kept, math.nan, 0),
        *((seed, model, epoch, "eigenvalue", i, lam / (i + 1), math.nan, 40) for i in range(k)),
        (seed, model, epoch, "trace", 0, trace, 0.1 * abs(trace), 20),
    ]
    return rows


def hessian(lams: dict[str, list[float]], losses: dict[str, list[float]] | None = None, **kw):
    """A hessian.csv frame; each model's λmax and loss per seed (loss 1.0 if not given)."""
    rows = []
    for model, values in lams.items():
        for i, lam in enumerate(values):
            loss = (losses or {}).get(model, [1.0] * len(values))[i]
            rows += run_rows(SEEDS[i], model, lam=lam, loss=loss, **kw)
    columns = ["seed", "model", "epoch", "quantity", "index", "value", "stderr", "hvps"]
    return pd.DataFrame(rows, columns=columns)


# Pruned flatter by about a factor 2, random tickets flatter still: the study's shape.
STUDY_LAMS = {
    "baseline": [10.0, 12.0, 8.0],
    "w0-30": [7.0, 8.0, 6.0],
    "random-30": [3.0, 3.3, 2.6],
    "w0-80": [5.0, 6.3, 3.8],
    "random-80": [2.0, 2.5, 1.8],
}


def by_study(claims):
    return {c.study: c for c in claims}


def test_hessian_measures_take_each_runs_last_epoch_and_top_eigenvalue():
    frame = pd.concat(
        [
            hessian({"baseline": [10.0]}),
            pd.DataFrame(
                run_rows(0, "baseline", lam=99.0, loss=5.0, epoch=3),
                columns=["seed", "model", "epoch", "quantity", "index", "value", "stderr", "hvps"],
            ),
        ]
    )
    measures = hessian_measures(frame)
    assert len(measures) == 1
    row = measures.iloc[0]
    assert row["epoch"] == 8 and row["lambda_max"] == 10.0 and row["loss"] == 1.0
    assert row["trace_per_weight"] == pytest.approx(20.0 / 1000)


def test_clear_paired_sharpness_difference_agrees_with_the_t_interval():
    claims = by_study(landscape_claims(hessian(STUDY_LAMS), MODELS))
    line = claims[
        "the more the model is pruned, the wider (flatter) the minimum: w0-80 vs baseline"
    ]
    assert line.verdict == AGREES
    logs = np.log(np.array(STUDY_LAMS["w0-80"]) / np.array(STUDY_LAMS["baseline"]))
    half = stats.t.ppf(0.975, 2) * logs.std(ddof=1) / math.sqrt(3)
    low, high = math.exp(logs.mean() - half), math.exp(logs.mean() + half)
    assert f"ratio ×{math.exp(logs.mean()):.3g} [×{low:.3g}, ×{high:.3g}]" in line.measured
    assert "n=3" in line.measured and "min effect a factor 1.25" in line.measured
    assert "loss 1 vs 1 (means over seeds)" in line.measured
    assert "comparable loss: yes (they differ by 0 %, tolerance 10 %)" in line.measured
    assert "trace per kept weight 0.0101 vs 0.02" in line.measured
    # 80 % against 30 %: a factor 0.71 [0.54, 0.93], beyond 1/1.25 = 0.8.
    more = claims["the more the model is pruned, the wider (flatter) the minimum: w0-80 vs w0-30"]
    assert more.verdict == AGREES and "ratio ×0.709 [×0.541, ×0.93]" in more.measured
    flat = claims["random-init tickets have a very flat landscape: random-80 vs w0-80"]
    assert flat.verdict == AGREES


def test_sharper_random_tickets_disagree():
    lams = {**STUDY_LAMS, "random-80": [10.0, 13.0, 7.5]}  # twice as sharp as w0-80
    claims = by_study(landscape_claims(hessian(lams), MODELS))
    line = claims["random-init tickets have a very flat landscape: random-80 vs w0-80"]
    assert line.verdict == DISAGREES and "ratio ×2" in line.measured


def test_small_difference_is_inconclusive_below_the_minimum_factor():
    lams = {"baseline": [10.0, 12.0, 8.0], "w0-80": [9.0, 10.9, 7.1]}  # ×0.9, tight
    line = landscape_claims(hessian(lams), MODELS)[-1]
    assert line.study.endswith("w0-80 vs baseline") and line.verdict == INCONCLUSIVE


def test_losses_beyond_tolerance_make_sharpness_inconclusive():
    losses = {"baseline": [1.0, 1.1, 0.9], "w0-80": [1.5, 1.6, 1.4]}  # 50 % higher
    frame = hessian({m: STUDY_LAMS[m] for m in ("baseline", "w0-80")}, losses)
    claims = by_study(landscape_claims(frame, MODELS))
    line = claims[
        "the more the model is pruned, the wider (flatter) the minimum: w0-80 vs baseline"
    ]
    assert line.verdict == INCONCLUSIVE
    assert "comparable loss: no" in line.measured and "confounded" in line.measured
    assert "loss 1.5 vs 1" in line.measured and f"{100 * LOSS_TOLERANCE:.0f} %" in line.measured
    # The same losses judge depth: the baseline is lower, so w0-80 is not deeper.
    depth = claims["WLTs have a deeper minimum than the baseline: w0-80 vs baseline"]
    assert depth.verdict == DISAGREES and "own loss" in depth.measured
    assert "Δ +0.5 [+0.5, +0.5]" in depth.measured


def test_one_seed_is_inconclusive_without_an_interval():
    frame = hessian({"baseline": [10.0], "w0-80": [2.0], "random-80": [1.0]})
    claims = landscape_claims(frame, MODELS)
    assert claims and all(c.verdict == INCONCLUSIVE for c in claims)
    assert all("n=1" in c.measured and "no interval" in c.measured for c in claims)


def test_seed_with_one_side_missing_is_left_out_and_said():
    lams = {"baseline": [10.0, 12.0, 8.0], "w0-80": [5.0, 6.3]}
    line = landscape_claims(hessian(lams), MODELS)[-1]
    assert "n=2: mean λmax 5.65 vs 11" in line.measured
    assert line.measured.endswith("seeds left out (a side missing or non-finite): 2")


def test_non_positive_lambda_max_is_not_tested_and_no_hessian_is_said():
    frame = hessian({"baseline": [10.0, 12.0, 8.0], "w0-80": [5.0, -0.1, 3.0]})
    line = landscape_claims(frame, MODELS)[-1]
    assert line.verdict == NOT_TESTED and "λmax ≤ 0" in line.measured
    empty = landscape_claims(frame.iloc[:0], MODELS)
    assert len(empty) == 1 and empty[0].verdict == NOT_TESTED


def test_hessian_table_per_model_over_seeds():
    table = hessian_table(hessian(STUDY_LAMS), MODELS + MODELS).set_index("model")
    assert list(table.index) == MODELS  # duplicates (one per seed in tickets) dropped
    assert table.loc["baseline", "λmax (mean)"] == pytest.approx(10.0)
    assert table.loc["baseline", "λmax sd over seeds"] == pytest.approx(2.0)
    assert table.loc["w0-80", "seeds"] == 3 and table.loc["w0-80", "last epoch"] == "8"
    assert table.loc["w0-80", "trace / kept weight"] == pytest.approx(
        2 * np.mean(STUDY_LAMS["w0-80"]) / 1000
    )


def bowl(a: float, **extra) -> pd.DataFrame:
    """loss = 0.5 + a·(x² + y²) on a 5 × 5 grid over [-1, 1]²."""
    xs = np.linspace(-1, 1, 5)
    gx, gy = np.meshgrid(xs, xs)
    frame = pd.DataFrame({"x": gx.ravel(), "y": gy.ravel()})
    frame["loss"] = 0.5 + a * (frame["x"] ** 2 + frame["y"] ** 2)
    return frame.assign(**extra)


def test_grid_table_reads_each_runs_last_epoch_and_averages_seeds():
    frames = [
        # Seed 0 stopped at epoch 4, seed 1 at epoch 6; earlier epochs are steep.
        bowl(1.0, seed=0, model="baseline", epoch=4, scale=1.0),
        bowl(3.0, seed=1, model="baseline", epoch=6, scale=1.0),
        bowl(50.0, seed=1, model="baseline", epoch=4, scale=1.0),
        bowl(50.0, seed=0, model="baseline", epoch=0, scale=1.0),
        bowl(0.5, seed=0, model="w0-80", epoch=5, scale=1.0),
    ]
    table = grid_table(pd.concat(frames, ignore_index=True), MODELS).set_index("model")
    assert list(table.index) == ["baseline", "w0-80"]
    assert table.loc["baseline", "seeds"] == 2 and table.loc["baseline", "last epoch"] == "4–6"
    assert table.loc["baseline", "mean curvature"] == pytest.approx(2 * (1.0 + 3.0) / 2)
    assert table.loc["baseline", "own loss (centre)"] == pytest.approx(0.5)
    assert table.loc["w0-80", "loss range"] == pytest.approx(0.5 * 2)


def test_barrier_table_gives_the_mean_and_student_t_interval_over_seeds():
    barriers = pd.DataFrame(
        {
            "seed": [0, 1, 2, 0],
            "kind": ["data order"] * 3 + ["same mask"],
            "a": ["w0-80"] * 4,
            "b": ["w0-80 reordered"] * 3 + ["random-80"],
            "loss_a": [1.0, 2.0, 3.0, 1.0],
            "loss_b": [1.5, 2.5, 3.5, 1.2],
            "loss_barrier": [0.1, 0.2, 0.3, 4.0],
            "error_barrier": [0.01, 0.01, 0.01, np.nan],
        }
    )
    table = barrier_table(barriers).set_index("line")
    stable = table.loc["w0-80 → w0-80 reordered"]
    assert stable["seeds"] == 3 and stable["loss at a"] == 2.0 and stable["loss at b"] == 2.5
    half = stats.t.ppf(0.975, 2) * 0.1 / math.sqrt(3)  # sd of (0.1, 0.2, 0.3) is 0.1
    expected = f"0.2 [{0.2 - half:+.3g}, {0.2 + half:+.3g}] (n=3)"
    assert stable["loss barrier (95 % CI)"] == expected
    assert stable["error barrier (95 % CI)"] == "0.01 [+0.01, +0.01] (n=3)"
    single = table.loc["w0-80 → random-80"]
    assert single["loss barrier (95 % CI)"] == "4 [no interval: n < 2]"
    assert single["error barrier (95 % CI)"] == "n/a (no finite value)"


def test_trajectory_table_averages_the_explained_variance_over_seeds():
    paths = pd.DataFrame(
        {
            "seed": [0, 0, 0, 1, 1, 1, 1],
            "model": ["w0-80"] * 3 + ["w0-80"] * 4,
            "epoch": [0, 1, 2, 0, 1, 2, 3],
            "x": 0.0,
            "y": 0.0,
            "explained_x": [0.8] * 3 + [0.6] * 4,
            "explained_y": [0.1] * 3 + [0.3] * 4,
        }
    )
    row = trajectory_table(paths).iloc[0]
    assert row["model"] == "w0-80" and row["seeds"] == 2 and row["checkpoints"] == 4
    assert row["PC 1 explained"] == pytest.approx(0.7)
    assert row["PC 2 explained"] == pytest.approx(0.2)
