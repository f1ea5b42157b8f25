"""E1: optimiser settings on one attention block, the study's convergence order beside ours."""

from __future__ import annotations

import itertools
import math

import pandas as pd

from prunescape.attention.analysis import convergence_order
from prunescape.summary.claims import (
    AGREES,
    DISAGREES,
    NO_DIFFERENCE,
    NOT_RUN,
    Claim,
    num,
    pct,
    tally,
)

SETTING_LABELS = {
    "sgd": "SGD",
    "sgd_plateau": "SGD+RedLR",
    "nag": "NAG",
    "nag_plateau": "NAG+RedLR",
    "adam": "Adam",
    "adam_plateau": "Adam+RedLR",
}
# Fastest first; settings in one tier are "about equal" in the study.
STUDY_E1_TIERS = (("adam", "adam_plateau"), ("nag_plateau",), ("nag",), ("sgd_plateau",), ("sgd",))
STUDY_E1_ORDER = "Adam ≈ Adam+RedLR > NAG+RedLR > NAG ≫ SGD+RedLR > SGD"
# Loss gaps decaying between about O(1/T) and O(1/T²).
DECAY_RANGE = (0.75, 2.5)


def setting_label(setting: str) -> str:
    return SETTING_LABELS.get(setting, setting)


def convergence_keys(summary: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """(validation epochs to threshold, final validation loss) per setting; smaller = faster.

    The same keys :func:`prunescape.attention.analysis.convergence_order` sorts by;
    a setting that never reaches the threshold gets infinity.
    """
    val = summary[summary["split"] == "val"]
    return {
        row.setting: (
            math.inf if math.isnan(row.epochs_to_threshold) else float(row.epochs_to_threshold),
            float(row.final_loss),
        )
        for row in val.itertuples()
    }


def _same(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return all(x == y or math.isclose(x, y, rel_tol=1e-9) for x, y in zip(a, b, strict=True))


def measured_order_text(summary: pd.DataFrame) -> str:
    """Fastest to slowest, e.g. ``Adam > NAG > SGD = SGD+RedLR`` (= where the keys tie)."""
    keys = convergence_keys(summary)
    order = convergence_order(summary)
    text = setting_label(order[0]) if order else ""
    for before, after in itertools.pairwise(order):
        text += (" = " if _same(keys[before], keys[after]) else " > ") + setting_label(after)
    return text


def order_agreement(
    summary: pd.DataFrame, tiers: tuple[tuple[str, ...], ...] = STUDY_E1_TIERS
) -> pd.DataFrame:
    """Every pair the study ranks (faster tier before slower), with our verdict on it.

    Only settings we ran take part; a pair whose keys tie is a tie, not a disagreement.
    """
    keys = convergence_keys(summary)
    rows = []
    for i, faster_tier in enumerate(tiers):
        for slower_tier in tiers[i + 1 :]:
            for faster in faster_tier:
                for slower in slower_tier:
                    if faster not in keys or slower not in keys:
                        continue
                    if _same(keys[faster], keys[slower]):
                        verdict = "tie"
                    else:
                        verdict = AGREES if keys[faster] < keys[slower] else DISAGREES
                    rows.append({"faster": faster, "slower": slower, "verdict": verdict})
    return pd.DataFrame(rows, columns=["faster", "slower", "verdict"])


def e1_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Validation numbers per setting, fastest first."""
    val = summary[summary["split"] == "val"].set_index("setting")
    rows = []
    for rank, setting in enumerate(convergence_order(summary), start=1):
        row = val.loc[setting]
        rows.append(
            {
                "rank": rank,
                "setting": setting_label(setting),
                f"epochs to val loss ≤ {row['threshold']:g}": row["epochs_to_threshold"],
                "decay exponent p": row["decay_exponent"],
                "final val loss": row["final_loss"],
                "final val acc": row["final_acc"],
                "LR drops": int(row["lr_drops"]),
            }
        )
    return pd.DataFrame(rows)


def e1_claims(summary: pd.DataFrame) -> list[Claim]:
    val = summary[summary["split"] == "val"].set_index("setting")
    if val.empty:
        return [Claim("E1", STUDY_E1_ORDER, "E1 was not run", NOT_RUN)]
    pairs = order_agreement(summary)
    agreeing = int((pairs["verdict"] == AGREES).sum())
    ties = int((pairs["verdict"] == "tie").sum())
    against = pairs[pairs["verdict"] == DISAGREES]
    measured = f"{measured_order_text(summary)}; {agreeing} of {len(pairs)} ranked pairs agree"
    if ties:
        measured += f", {ties} tie"
    if len(against):
        shown = ", ".join(
            f"{setting_label(r.slower)} before {setting_label(r.faster)}"
            for r in against.itertuples()
        )
        measured += f" (against the study: {shown})"
    verdict = tally(list(pairs["verdict"] == AGREES))  # a tie is not an agreement
    claims = [Claim("E1", f"convergence {STUDY_E1_ORDER}", measured, verdict)]

    if {"adam", "adam_plateau"} <= set(val.index):
        a, b = val.loc["adam"], val.loc["adam_plateau"]
        same = a["epochs_to_threshold"] == b["epochs_to_threshold"] or (
            math.isnan(a["epochs_to_threshold"]) and math.isnan(b["epochs_to_threshold"])
        )
        claims.append(
            Claim(
                "E1",
                "Adam and Adam+RedLR converge about equally fast",
                f"threshold reached at epoch {num(a['epochs_to_threshold'])} and "
                f"{num(b['epochs_to_threshold'])}; final val loss {num(a['final_loss'])} and "
                f"{num(b['final_loss'])}",
                AGREES if same else DISAGREES,
            )
        )

    exponents = val["decay_exponent"].dropna()
    if len(exponents):
        lo, hi = DECAY_RANGE
        inside = [lo <= p <= hi for p in exponents]
        claims.append(
            Claim(
                "E1",
                "the loss gap decays like O(1/T) to O(1/T²)",
                f"fitted exponents p (gap ∝ T^−p, validation) from {num(exponents.min(), 3)} "
                f"to {num(exponents.max(), 3)}; {sum(inside)} of {len(inside)} within "
                f"{lo:g}–{hi:g}",
                tally(inside),
            )
        )

    if {"sgd", "sgd_plateau"} <= set(val.index):
        plain, plateau = val.loc["sgd"], val.loc["sgd_plateau"]
        gain = plateau["final_acc"] - plain["final_acc"]
        verdict = NO_DIFFERENCE if gain == 0 else (AGREES if gain > 0 else DISAGREES)
        claims.append(
            Claim(
                "E1",
                "RedLR slightly improves SGD's validation accuracy",
                f"final val acc {pct(plain['final_acc'])} (SGD) vs {pct(plateau['final_acc'])} "
                f"(SGD+RedLR, {int(plateau['lr_drops'])} learning-rate drops)",
                verdict,
            )
        )
    return claims
