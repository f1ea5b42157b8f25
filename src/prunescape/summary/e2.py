"""E2: retraining from starting points w0 + αx + βy, over E2 seeds, beside the study's claims.

Inputs: the per-point summary and the per-epoch surfaces of every E2 seed, each
with a leading ``seed`` column (a table without one is a single seed 0). Every
E2 seed retrains the pruned baseline of the same training seed, so the centre
(0, 0) is paired with that seed's baseline. One E2 seed decides nothing: with
n = 1 every claim that needs replication is inconclusive, and says n = 1.
Over several seeds, a per-seed statistic (Spearman ρ, a point's rank) is judged
by its 95 % t-interval over seeds and a stated minimum effect.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from prunescape.stats import (
    AGREES,
    DISAGREES,
    INCONCLUSIVE,
    NOT_TESTED,
    directional_verdict,
    paired_difference,
)
from prunescape.summary.claims import Claim, num, pct
from prunescape.summary.e1 import combined_verdict

STUDY_E2_POINTS = ((-1.0, 0.0), (-0.5, 1.0), (0.0, 1.0))
# Smallest mean Spearman ρ (either sign) worth a verdict on "larger α ends better".
MIN_RHO = 0.3
# A point "does well" when its rank percentile (0 best, 1 worst) is below the median
# 0.5 by at least this much, mean over seeds.
MIN_PERCENTILE_EFFECT = 0.1
# Smallest difference in best validation loss (nats per token) worth a verdict.
MIN_LOSS_EFFECT = 0.02


def _seeded(frame: pd.DataFrame) -> pd.DataFrame:
    return frame if "seed" in frame.columns else frame.assign(seed=0)


def _seeds_text(n: int) -> str:
    return f"n={n} E2 seed" + ("s" if n != 1 else "")


def seed_ranks(e2_summary: pd.DataFrame) -> pd.DataFrame:
    """Per seed, each point's rank by final validation loss (1 = lowest), of ``count``,
    and its rank percentile (0 = best, 1 = worst)."""
    frames = []
    for _, points in _seeded(e2_summary).groupby("seed", sort=True):
        ranked = points.sort_values(["final_loss", "alpha", "beta"]).reset_index(drop=True)
        count = len(ranked)
        ranked["rank"] = np.arange(1, count + 1)
        ranked["count"] = count
        ranked["percentile"] = (ranked["rank"] - 1) / max(count - 1, 1)
        frames.append(ranked)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def point_ranks(e2_summary: pd.DataFrame) -> pd.DataFrame:
    """One row per point, means over seeds, ranked by mean final validation loss (1 = lowest).

    ``beats_centre`` is true when the point ends below the centre in every seed;
    ``beats_centre_seeds`` counts the seeds where it does.
    """
    frame = _seeded(e2_summary)
    if frame.empty:
        return frame.assign(rank=pd.Series(dtype=int))
    grouped = frame.assign(beats=frame["beats_centre"].astype(bool)).groupby(["alpha", "beta"])
    points = grouped.agg(
        seeds=("seed", "nunique"),
        final_loss=("final_loss", "mean"),
        final_loss_sd=("final_loss", "std"),
        final_acc=("final_acc", "mean"),
        loss_rate=("loss_rate", "mean"),
        beats_centre=("beats", "all"),
        beats_centre_seeds=("beats", "sum"),
    ).reset_index()
    ranked = points.sort_values(["final_loss", "alpha", "beta"]).reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked


def best_points(e2_summary: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The ``n`` points with the lowest mean final validation loss over seeds, best first."""
    return point_ranks(e2_summary).head(n)


def _find(ranked: pd.DataFrame, alpha: float, beta: float) -> pd.DataFrame:
    return ranked[np.isclose(ranked["alpha"], alpha) & np.isclose(ranked["beta"], beta)]


def rank_correlation(a: pd.Series, b: pd.Series) -> float:
    """Spearman's ρ (Pearson correlation of the ranks)."""
    if len(a) < 2:
        return math.nan
    return float(a.rank().corr(b.rank()))


def point_name(alpha: float, beta: float) -> str:
    return f"({alpha:g}, {beta:g})"


def _over_seeds(values: list[float], expected_sign: int, min_effect: float, centre: float = 0.0):
    """Mean of a per-seed statistic, its 95 % interval and the verdict on its sign about ``centre``.

    One seed (or none finite) gives no interval and an inconclusive verdict.
    """
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return None, NOT_TESTED
    diff = paired_difference(finite, [centre] * len(finite))
    return diff, directional_verdict(diff, expected_sign, min_effect)


def _stat_text(diff, name: str) -> str:
    if diff is None:
        return f"{name} undefined"
    mean = diff.mean_a
    if diff.n < 2:
        return f"{name} = {num(mean, 2)}"
    low, high = diff.low + diff.mean_b, diff.high + diff.mean_b
    return f"{name} mean {num(mean, 2)} [{num(low, 2)}, {num(high, 2)}]"


def alpha_claim(e2_summary: pd.DataFrame) -> Claim:
    """Larger α ends with lower loss and higher accuracy: Spearman ρ per seed, over seeds."""
    study = "points with larger α end with lower loss and higher accuracy"
    per_seed = [
        (
            rank_correlation(p["alpha"], p["final_loss"]),
            rank_correlation(p["alpha"], p["final_acc"]),
        )
        for _, p in _seeded(e2_summary).groupby("seed", sort=True)
    ]
    n = len(per_seed)
    loss, loss_verdict = _over_seeds([r for r, _ in per_seed], -1, MIN_RHO)
    acc, acc_verdict = _over_seeds([r for _, r in per_seed], 1, MIN_RHO)
    points = _seeded(e2_summary).groupby("seed").size()
    measured = (
        f"Spearman ρ per E2 seed over {int(points.iloc[0])} points after the last E2 epoch, "
        f"{_seeds_text(n)}: {_stat_text(loss, 'ρ(α, final loss)')}, "
        f"{_stat_text(acc, 'ρ(α, final acc)')}"
    )
    if n > 1:
        rhos = [r for r, _ in per_seed if math.isfinite(r)]
        if rhos:
            measured += f" (ρ(α, loss) per seed from {num(min(rhos), 2)} to {num(max(rhos), 2)})"
        measured += (
            f"; 95 % CI over seeds; agrees if both CIs exclude 0 in the study's direction "
            f"with |mean ρ| ≥ {MIN_RHO:g}"
        )
    else:
        measured += "; one seed decides nothing: needs replication"
    return Claim("E2", study, measured, combined_verdict([loss_verdict, acc_verdict]))


def points_claim(e2_summary: pd.DataFrame) -> Claim:
    """The study's three good points sit in the better half by final loss, over seeds."""
    ranks = seed_ranks(e2_summary)
    n = ranks["seed"].nunique()
    verdicts, lines = [], []
    for alpha, beta in STUDY_E2_POINTS:
        rows = _find(ranks, alpha, beta)
        if rows.empty:
            verdicts.append(NOT_TESTED)
            lines.append(f"{point_name(alpha, beta)} not on our grid")
            continue
        diff, verdict = _over_seeds(list(rows["percentile"]), -1, MIN_PERCENTILE_EFFECT, centre=0.5)
        verdicts.append(verdict)
        seats = ", ".join(f"{int(r['rank'])}/{int(r['count'])}" for _, r in rows.iterrows())
        text = f"{point_name(alpha, beta)} rank {seats}"
        if diff is not None and diff.n > 1:
            text += f", {_stat_text(diff, 'percentile')} ({verdict})"
        lines.append(text)
    measured = f"rank by final validation loss per seed, {_seeds_text(n)}: " + "; ".join(lines)
    if n > 1:
        measured += (
            f". Rank percentile 0 = best, 1 = worst, 95 % CI over seeds; a point does well if "
            f"its CI lies below 0.5 and its mean is ≤ {0.5 - MIN_PERCENTILE_EFFECT:g}"
        )
    else:
        measured += "; one seed decides nothing: needs replication"
    return Claim(
        "E2",
        "(−1, 0), (−0.5, 1) and (0, 1) also do well (here: in the better half by final loss)",
        measured,
        combined_verdict(verdicts),
    )


def centre_best(e2_surfaces: pd.DataFrame) -> pd.DataFrame:
    """Per seed, the centre (0, 0)'s best validation loss and accuracy over its trained epochs,
    the epoch of that loss and its last epoch."""
    surfaces = _seeded(e2_surfaces)
    centre = _find(surfaces, 0.0, 0.0)
    centre = centre[centre["epoch"] > 0]
    rows = []
    for seed, run in centre.groupby("seed", sort=True):
        finite = run[np.isfinite(run["loss"])]
        best = finite.loc[finite["loss"].idxmin()] if len(finite) else None
        rows.append(
            {
                "seed": seed,
                "best_loss": float(best["loss"]) if best is not None else math.nan,
                "best_acc": float(run["acc"].max()),
                "best_epoch": int(best["epoch"]) if best is not None else -1,
                "last_epoch": int(run["epoch"].max()),
            }
        )
    return pd.DataFrame(rows, columns=["seed", "best_loss", "best_acc", "best_epoch", "last_epoch"])


def centre_claim(
    e2_surfaces: pd.DataFrame | None, tickets: pd.DataFrame | None, rate: int | None
) -> Claim:
    """The centre (0, 0), retrained from w0 itself, against the dense baseline of its seed.

    Both sides by best validation loss over their epochs. Agrees ("not a winning
    ticket") when the centre is worse by at least ``MIN_LOSS_EFFECT`` with the CI
    above 0; disagrees when the CI's upper end is below ``MIN_LOSS_EFFECT`` (the
    centre matches or beats the baseline: a winning ticket); else inconclusive. A
    baseline that did not converge (or diverged) leaves a quality verdict untested.
    """
    study = "retrained from w0 itself, the 10 %-pruned network is not a winning ticket"
    pruned = f"{rate} %" if rate is not None else "the E2 mask"
    if e2_surfaces is None or e2_surfaces.empty:
        return Claim("E2", study, "no E2 surfaces to read the centre's best loss from", NOT_TESTED)
    centre = centre_best(e2_surfaces).set_index("seed")
    if centre.empty:
        return Claim("E2", study, "the E2 surfaces hold no trained epoch of (0, 0)", NOT_TESTED)
    base = pd.DataFrame() if tickets is None else _seeded(tickets)
    base = base[base["model"] == "baseline"].set_index("seed") if len(base) else base
    seeds = [
        s for s in centre.index if s in base.index and math.isfinite(centre.loc[s, "best_loss"])
    ]
    if not seeds:
        return Claim("E2", study, "no E2 seed has a baseline of the same seed", NOT_TESTED)
    centre, base = centre.loc[seeds], base.loc[seeds]
    diff = paired_difference(centre["best_loss"].to_numpy(), base["best_val_loss"].to_numpy())
    measured = (
        f"best validation loss over epochs (E2 runs all its epochs, the baseline until its "
        f"plateau rule stopped it), centre (0, 0) with {pruned} pruned vs the baseline of the "
        f"same seed, paired by E2 seed: {diff.text()}; best val acc "
        f"{pct(centre['best_acc'].mean())} vs {pct(base['best_val_acc'].mean())}"
    )
    improving = [s for s in seeds if centre.loc[s, "best_epoch"] == centre.loc[s, "last_epoch"]]
    if improving:
        measured += (
            f"; the centre's best epoch is its last in seed(s) {', '.join(map(str, improving))}, "
            "so it may still be improving"
        )
    measured += (
        f"; agrees if the centre is worse by ≥ {MIN_LOSS_EFFECT:g} nats (CI above 0), "
        f"disagrees if the CI's upper end is below {MIN_LOSS_EFFECT:g} (it matches the "
        "baseline: a winning ticket)"
    )
    if diff.n < 2:
        measured += "; one E2 seed decides nothing: needs replication"
    unconverged = [
        s
        for s in seeds
        if bool(base.loc[s].get("diverged", False)) or not bool(base.loc[s].get("converged", True))
    ]
    if unconverged:
        measured += (
            f"; the baseline did not converge in seed(s) {', '.join(map(str, unconverged))}: "
            "a final-quality verdict is not testable"
        )
        return Claim("E2", study, measured, NOT_TESTED)
    if diff.n < 2:
        verdict = INCONCLUSIVE
    elif diff.low > 0 and diff.mean_diff >= MIN_LOSS_EFFECT:
        verdict = AGREES
    elif diff.high < MIN_LOSS_EFFECT:
        verdict = DISAGREES
    else:
        verdict = INCONCLUSIVE
    return Claim("E2", study, measured, verdict)


def rate_claim(e2_summary: pd.DataFrame) -> Claim | None:
    """The spread of loss slopes between points, per seed: described, not judged."""
    frame = _seeded(e2_summary).dropna(subset=["loss_rate"])
    if frame.groupby("seed").size().max() < 2:
        return None
    parts = []
    for seed, points in frame.groupby("seed", sort=True):
        rates = points["loss_rate"]
        spread = rates.std() / abs(rates.mean()) if rates.mean() else math.inf
        parts.append(
            f"seed {seed}: {num(rates.min(), 3)} to {num(rates.max(), 3)} "
            f"(std/|mean| = {num(spread, 2)})"
        )
    return Claim(
        "E2",
        "no significant difference in the metrics' rate of change between points",
        f"loss slope per epoch over the points, {_seeds_text(frame['seed'].nunique())}: "
        + "; ".join(parts)
        + "; described only: no test of equal rates across points is defined here",
        NOT_TESTED,
    )


def e2_claims(
    e2_summary: pd.DataFrame,
    tickets: pd.DataFrame | None = None,
    rate: int | None = None,
    e2_surfaces: pd.DataFrame | None = None,
) -> list[Claim]:
    """E2's claims over its seeds; ``tickets`` gives each seed's baseline (seed, model,
    best_val_loss, best_val_acc, converged, diverged), ``e2_surfaces`` the centre's epochs."""
    if e2_summary.empty:
        return [Claim("E2", "starting-point findings", "E2 was not run", NOT_TESTED)]
    claims = [alpha_claim(e2_summary), points_claim(e2_summary)]
    claims.append(centre_claim(e2_surfaces, tickets, rate))
    rates = rate_claim(e2_summary)
    if rates is not None:
        claims.append(rates)
    return claims


def e2_table(e2_summary: pd.DataFrame, e2_surfaces: pd.DataFrame | None, n: int) -> pd.DataFrame:
    """The ``n`` best points by mean final validation loss, means over seeds."""
    ranked = point_ranks(e2_summary).head(n)
    start = {}
    if e2_surfaces is not None and len(e2_surfaces):
        surfaces = _seeded(e2_surfaces)
        first = surfaces[surfaces["epoch"] == surfaces.groupby("seed")["epoch"].transform("min")]
        start = first.groupby(["alpha", "beta"])["loss"].mean().to_dict()
    pairs = list(zip(ranked["alpha"], ranked["beta"], strict=True))
    table = pd.DataFrame(
        {
            "rank": ranked["rank"],
            "(α, β)": [point_name(a, b) for a, b in pairs],
            "seeds": ranked["seeds"],
            "start loss": [start.get(p, math.nan) for p in pairs],
            "final loss": ranked["final_loss"],
        }
    )
    if (ranked["seeds"] > 1).any():
        table["final loss sd over seeds"] = ranked["final_loss_sd"]
    table["final acc"] = ranked["final_acc"]
    table["beats centre (seeds)"] = [
        f"{int(k)}/{int(s)}"
        for k, s in zip(ranked["beats_centre_seeds"], ranked["seeds"], strict=True)
    ]
    table["loss slope / epoch"] = ranked["loss_rate"]
    return table.reset_index(drop=True)
