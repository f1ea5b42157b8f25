"""E2's claims over E2 seeds: n = 1 is inconclusive, several seeds judged by intervals."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from prunescape.stats import AGREES, DISAGREES, INCONCLUSIVE, NOT_TESTED
from prunescape.summary.e2 import (
    best_points,
    centre_best,
    e2_claims,
    e2_table,
    point_ranks,
    seed_ranks,
)

GRID = (-1, -0.5, 0, 0.5, 1)


def e2_summary(seeds=(0,)) -> pd.DataFrame:
    """Loss falls with α, (−1, 0) is the study's surprise; each seed shifts β's slope a little."""
    rows = []
    for seed in seeds:
        for alpha in GRID:
            for beta in GRID:
                loss = 2.0 - alpha + (0.1 + 0.02 * seed) * abs(beta)
                if (alpha, beta) == (-1, 0):
                    loss = 0.2
                rows.append(
                    {
                        "seed": seed,
                        "alpha": float(alpha),
                        "beta": float(beta),
                        "final_loss": loss,
                        "final_ppl": math.exp(loss),
                        "final_acc": 1 / (1 + loss),
                        "loss_rate": -0.1 - 0.01 * alpha,
                        "acc_rate": 0.02,
                    }
                )
    frame = pd.DataFrame(rows)
    frame["beats_centre"] = frame["final_loss"] < 2.0
    return frame.sort_values(["seed", "final_loss"], ignore_index=True)


def e2_surfaces(seeds=(0,), centre=((3.0, 2.1, 2.0, 2.05),)) -> pd.DataFrame:
    """Per seed, epochs 0..3: the centre's losses from ``centre``, every other point flat."""
    rows = []
    for seed, losses in zip(seeds, centre, strict=True):
        for alpha in GRID:
            for beta in GRID:
                for epoch, loss in enumerate(losses):
                    value = loss if (alpha, beta) == (0, 0) else 1.0
                    rows.append((seed, epoch, float(alpha), float(beta), value, 0.0, 0.5 + seed))
    return pd.DataFrame(rows, columns=["seed", "epoch", "alpha", "beta", "loss", "ppl", "acc"])


def tickets(best=(1.5,), converged=True) -> pd.DataFrame:
    """Per-seed rows of the E3 table (only the columns E2 reads, and a ticket to ignore)."""
    rows = []
    for seed, loss in enumerate(best):
        rows.append((seed, "baseline", loss, 0.7, converged, False))
        rows.append((seed, "w0-80", 0.1, 0.9, True, False))
    columns = ["seed", "model", "best_val_loss", "best_val_acc", "converged", "diverged"]
    return pd.DataFrame(rows, columns=columns)


def claim(claims, word):
    return next(c for c in claims if word in c.study)


def test_point_ranks_average_seeds_and_need_every_seed_to_beat_the_centre():
    summary = e2_summary((0, 1))
    summary.loc[
        (summary["seed"] == 1) & (summary["alpha"] == 1) & (summary["beta"] == 1),
        [
            "final_loss",
            "beats_centre",
        ],
    ] = [2.5, False]
    ranked = point_ranks(summary).set_index(["alpha", "beta"])
    assert len(ranked) == 25 and (ranked["seeds"] == 2).all()
    assert ranked.loc[(-1.0, 0.0), "rank"] == 1
    assert ranked.loc[(1.0, 0.0), "beats_centre"]
    assert not ranked.loc[(1.0, 1.0), "beats_centre"]
    assert ranked.loc[(1.0, 1.0), "beats_centre_seeds"] == 1
    best = best_points(summary, n=3)
    assert list(zip(best["alpha"], best["beta"], strict=True)) == [(-1, 0), (1, 0), (1, -0.5)]
    per_seed = seed_ranks(summary)
    assert set(per_seed["count"]) == {25} and per_seed["percentile"].between(0, 1).all()


def test_old_single_seed_frame_without_seed_column_still_works():
    summary = e2_summary().drop(columns="seed")
    claims = e2_claims(summary, tickets(), rate=10, e2_surfaces=e2_surfaces().drop(columns="seed"))
    assert all("n=1" in c.measured for c in claims)


def test_one_e2_seed_states_n1_and_judges_nothing():
    claims = e2_claims(e2_summary(), tickets(), rate=10, e2_surfaces=e2_surfaces())
    alpha = claim(claims, "larger α")
    assert alpha.verdict == INCONCLUSIVE
    assert "n=1 E2 seed" in alpha.measured and "ρ(α, final loss) = -" in alpha.measured
    assert "needs replication" in alpha.measured
    points = claim(claims, "also do well")
    assert points.verdict == INCONCLUSIVE and "(-1, 0) rank 1/25" in points.measured
    centre = claim(claims, "winning ticket")
    assert centre.verdict == INCONCLUSIVE
    assert "n=1: 2 vs 1.5, Δ +0.5 [no interval: n < 2]" in centre.measured
    assert "best validation loss" in centre.measured and "10 % pruned" in centre.measured
    assert "may still be improving" not in centre.measured  # best at epoch 2 of 3
    rates = claim(claims, "rate of change")
    assert rates.verdict == NOT_TESTED and "seed 0:" in rates.measured


def test_two_e2_seeds_judge_by_intervals_over_seeds():
    surfaces = e2_surfaces((0, 1), centre=((3.0, 2.1, 2.0, 2.05), (3.0, 2.2, 2.15, 2.1)))
    claims = e2_claims(e2_summary((0, 1)), tickets(best=(1.5, 1.55)), 10, surfaces)
    alpha = claim(claims, "larger α")
    assert alpha.verdict == AGREES and "n=2 E2 seeds" in alpha.measured
    assert "95 % CI over seeds" in alpha.measured
    # (−1, 0) is first in both seeds; (−0.5, 1) and (0, 1) sit in the worse half.
    points = claim(claims, "also do well")
    assert points.verdict == DISAGREES
    assert "(-1, 0) rank 1/25, 1/25, percentile mean 0 [0, 0] (agrees)" in points.measured
    centre = claim(claims, "winning ticket")
    assert centre.verdict == AGREES
    assert "n=2: 2.05 vs 1.52, Δ +0.525" in centre.measured
    assert "best val acc 100.0 % vs 70.0 %" in centre.measured  # acc 0.5 + seed, max over epochs
    assert "may still be improving" in centre.measured and "seed(s) 1" in centre.measured


def test_centre_matching_the_baseline_disagrees_and_unconverged_baseline_is_not_tested():
    surfaces = e2_surfaces((0, 1), centre=((3.0, 2.0, 1.5, 1.6), (3.0, 2.0, 1.551, 1.6)))
    summary = e2_summary((0, 1))
    matched = claim(e2_claims(summary, tickets(best=(1.5, 1.55)), 10, surfaces), "winning ticket")
    assert matched.verdict == DISAGREES
    stalled = claim(
        e2_claims(summary, tickets(best=(1.5, 1.55), converged=False), 10, surfaces),
        "winning ticket",
    )
    assert stalled.verdict == NOT_TESTED and "did not converge in seed(s) 0, 1" in stalled.measured


def test_centre_without_surfaces_or_baseline_is_not_tested():
    assert claim(e2_claims(e2_summary(), tickets(), 10), "winning ticket").verdict == NOT_TESTED
    other = tickets().assign(seed=5)
    result = claim(e2_claims(e2_summary(), other, 10, e2_surfaces()), "winning ticket")
    assert result.verdict == NOT_TESTED and "same seed" in result.measured
    assert e2_claims(e2_summary().iloc[:0])[0].verdict == NOT_TESTED


def test_centre_best_is_the_lowest_trained_epoch():
    best = centre_best(e2_surfaces()).iloc[0]
    assert best["best_loss"] == pytest.approx(2.0) and best["best_epoch"] == 2
    assert best["last_epoch"] == 3


def test_e2_table_means_over_seeds():
    surfaces = e2_surfaces((0, 1), centre=((3.0, 2.1, 2.0, 2.05), (5.0, 2.2, 2.1, 2.1)))
    table = e2_table(e2_summary((0, 1)), surfaces, n=3)
    assert list(table["(α, β)"]) == ["(-1, 0)", "(1, 0)", "(1, -0.5)"]
    assert list(table["beats centre (seeds)"]) == ["2/2", "2/2", "2/2"]
    assert (table["seeds"] == 2).all() and "final loss sd over seeds" in table.columns
    single = e2_table(e2_summary(), e2_surfaces(), n=25)
    assert "final loss sd over seeds" not in single.columns
    centre = single[single["(α, β)"] == "(0, 0)"].iloc[0]
    assert centre["start loss"] == pytest.approx(3.0)
