"""E2: retraining from starting points w0 + αx + βy, ranked and set beside the study's claims."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from prunescape.summary.claims import (
    AGREES,
    DISAGREES,
    NOT_JUDGED,
    NOT_RUN,
    PARTLY,
    Claim,
    num,
    pct,
    tally,
)
from prunescape.summary.e3 import compare_models

STUDY_E2_POINTS = ((-1.0, 0.0), (-0.5, 1.0), (0.0, 1.0))


def best_points(e2_summary: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The ``n`` starting points with the lowest final validation loss, best first."""
    return e2_summary.sort_values(["final_loss", "alpha", "beta"]).head(n).reset_index(drop=True)


def point_ranks(e2_summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with a ``rank`` column, 1 = lowest final validation loss."""
    ranked = e2_summary.sort_values(["final_loss", "alpha", "beta"]).reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked


def _find(ranked: pd.DataFrame, alpha: float, beta: float) -> pd.Series | None:
    hit = ranked[np.isclose(ranked["alpha"], alpha) & np.isclose(ranked["beta"], beta)]
    return hit.iloc[0] if len(hit) else None


def rank_correlation(a: pd.Series, b: pd.Series) -> float:
    """Spearman's ρ (Pearson correlation of the ranks)."""
    if len(a) < 2:
        return math.nan
    return float(a.rank().corr(b.rank()))


def point_name(alpha: float, beta: float) -> str:
    return f"({alpha:g}, {beta:g})"


def e2_claims(
    e2_summary: pd.DataFrame, tickets: pd.DataFrame | None = None, rate: int | None = None
) -> list[Claim]:
    ranked = point_ranks(e2_summary)
    if ranked.empty:
        return [Claim("E2", "starting-point findings", "E2 was not run", NOT_RUN)]
    count = len(ranked)
    claims = []

    rho_loss = rank_correlation(ranked["alpha"], ranked["final_loss"])
    rho_acc = rank_correlation(ranked["alpha"], ranked["final_acc"])
    if math.isfinite(rho_loss) and math.isfinite(rho_acc):
        checks = [rho_loss < 0, rho_acc > 0]
        verdict = tally(checks)
    else:
        verdict = NOT_RUN
    claims.append(
        Claim(
            "E2",
            "points with larger α end with lower loss and higher accuracy",
            f"Spearman ρ(α, final loss) = {num(rho_loss, 2)}, ρ(α, final acc) = "
            f"{num(rho_acc, 2)} over {count} points",
            verdict,
        )
    )

    good, lines = [], []
    for alpha, beta in STUDY_E2_POINTS:
        row = _find(ranked, alpha, beta)
        if row is None:
            lines.append(f"{point_name(alpha, beta)} not on our grid")
            continue
        good.append(bool(row["rank"] <= count / 2))
        lines.append(
            f"{point_name(alpha, beta)} rank {int(row['rank'])} of {count}, acc "
            f"{pct(row['final_acc'])}" + (", beats the centre" if row["beats_centre"] else "")
        )
    claims.append(
        Claim(
            "E2",
            "(−1, 0), (−0.5, 1) and (0, 1) also do well (here: in the better half by final loss)",
            "; ".join(lines),
            tally(good),
        )
    )

    centre = _find(ranked, 0.0, 0.0)
    if centre is not None and tickets is not None and (tickets["model"] == "baseline").any():
        base = tickets.set_index("model").loc["baseline"]
        as_ticket = pd.Series(
            {"final_val_loss": centre["final_loss"], "final_val_acc": centre["final_acc"]}
        )
        result = compare_models(as_ticket, base)
        pruned = f"{rate} %" if rate is not None else "the E2 mask"
        claims.append(
            Claim(
                "E2",
                "retrained from w0 itself, the 10 %-pruned network is not a winning ticket",
                f"centre (0, 0) with {pruned} pruned: loss {num(centre['final_loss'])}, acc "
                f"{pct(centre['final_acc'])}; baseline loss {num(base['final_val_loss'])}, acc "
                f"{pct(base['final_val_acc'])} → centre {result}",
                {"worse": AGREES, "better": DISAGREES}.get(result, PARTLY),
            )
        )

    rates = ranked["loss_rate"].dropna()
    if len(rates) > 1:
        spread = rates.std() / abs(rates.mean()) if rates.mean() else math.inf
        claims.append(
            Claim(
                "E2",
                "no significant difference in the metrics' rate of change between points",
                f"loss slope per epoch from {num(rates.min(), 3)} to {num(rates.max(), 3)} "
                f"(std/|mean| = {num(spread, 2)})",
                NOT_JUDGED,
            )
        )
    return claims


def e2_table(e2_summary: pd.DataFrame, e2_surfaces: pd.DataFrame | None, n: int) -> pd.DataFrame:
    ranked = point_ranks(e2_summary).head(n)
    start = {}
    if e2_surfaces is not None and len(e2_surfaces):
        first = e2_surfaces[e2_surfaces["epoch"] == e2_surfaces["epoch"].min()]
        start = {(r.alpha, r.beta): r.loss for r in first.itertuples()}
    return pd.DataFrame(
        {
            "rank": ranked["rank"],
            "(α, β)": [
                point_name(a, b) for a, b in zip(ranked["alpha"], ranked["beta"], strict=True)
            ],
            "start loss": [
                start.get((a, b), math.nan)
                for a, b in zip(ranked["alpha"], ranked["beta"], strict=True)
            ],
            "final loss": ranked["final_loss"],
            "final acc": ranked["final_acc"],
            "beats centre": ranked["beats_centre"].astype(bool),
            "loss slope / epoch": ranked["loss_rate"],
        }
    )
