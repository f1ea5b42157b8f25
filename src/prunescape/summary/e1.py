"""E1: optimiser settings on one attention block, the study's claims judged over seeds.

Input: ``attention/summary.csv``, one row per (seed, setting) run. Settings of
one seed share the init and data order, so they are compared pairwise by seed
(:func:`prunescape.stats.paired_difference`). A verdict is agrees/disagrees only
when the 95 % interval of the paired difference excludes zero and the mean
difference is at least the minimum effect stated in the line; otherwise it is
inconclusive. A run with ReduceLROnPlateau that never lowered its learning rate
is identical to its plain twin: claims about the schedule are then not tested.
"""

from __future__ import annotations

import itertools
import math

import pandas as pd

from prunescape.attention.rate import EXPONENTIAL, POWER
from prunescape.stats import (
    AGREES,
    DISAGREES,
    INCONCLUSIVE,
    NOT_TESTED,
    PairedDifference,
    directional_verdict,
    mean_interval,
    paired_difference,
)
from prunescape.summary.claims import Claim

SETTING_LABELS = {
    "sgd": "SGD",
    "sgd_plateau": "SGD+RedLR",
    "nag": "NAG",
    "nag_plateau": "NAG+RedLR",
    "adam": "Adam",
    "adam_plateau": "Adam+RedLR",
}
# Fastest first; settings in one tier are "about equal" in the study ("≫" is judged as ">").
STUDY_E1_TIERS = (("adam", "adam_plateau"), ("nag_plateau",), ("nag",), ("sgd_plateau",), ("sgd",))
STUDY_E1_ORDER = "Adam ≈ Adam+RedLR > NAG+RedLR > NAG ≫ SGD+RedLR > SGD"
SPEED = "val_loss_area"
SPEED_TEXT = (
    "speed = mean validation loss over epochs 0..E (area under the curve ÷ E; lower is faster)"
)
# Smallest differences worth a verdict: in mean validation loss (nats) and in accuracy.
MIN_SPEED_EFFECT = 0.01
MIN_ACC_EFFECT = 0.005
# The study's rate range, O(1/T) to O(1/T²), widened by a tolerance on the exponent p.
RATE_RANGE = (1.0, 2.0)
RATE_TOLERANCE = 0.2


PAIR_COLUMNS = [
    "faster (study)",
    "slower (study)",
    "n",
    "mean faster",
    "mean slower",
    "Δ",
    "95 % CI low",
    "95 % CI high",
    "verdict",
]


def setting_label(setting: str) -> str:
    return SETTING_LABELS.get(setting, setting)


def _seeds(summary: pd.DataFrame) -> int:
    return summary["seed"].nunique()


def paired(summary: pd.DataFrame, column: str, a: str, b: str) -> PairedDifference:
    """``column`` of setting ``a`` against ``b`` over the seeds both ran (finite values)."""
    wide = summary.pivot(index="seed", columns="setting", values=column)[[a, b]].dropna()
    return paired_difference(wide[a].to_numpy(), wide[b].to_numpy())


def identical(summary: pd.DataFrame, a: str, b: str) -> bool:
    """Whether two settings gave the same numbers in every seed (no LR drop told them apart)."""
    columns = [SPEED, "final_val_loss", "final_val_acc", "final_train_loss"]
    wide = summary.pivot(index="seed", columns="setting", values=columns)
    return all(wide[(c, a)].equals(wide[(c, b)]) for c in columns)


def measured_order(summary: pd.DataFrame) -> list[str]:
    """Settings from fastest to slowest by their mean speed over seeds."""
    return (
        summary.groupby("setting", sort=False)[SPEED]
        .mean()
        .sort_values(kind="stable")
        .index.tolist()
    )


def measured_order_text(summary: pd.DataFrame) -> str:
    """Fastest to slowest by mean speed, e.g. ``Adam (0.451) > NAG = NAG+RedLR (0.513)``.

    ``=`` joins settings whose runs are identical in every seed.
    """
    means = summary.groupby("setting")[SPEED].mean()
    order = measured_order(summary)
    text = setting_label(order[0])
    for before, after in itertools.pairwise(order):
        if identical(summary, before, after):
            text += f" = {setting_label(after)}"
        else:
            text += f" ({means[before]:.3g}) > {setting_label(after)}"
    return text + f" ({means[order[-1]]:.3g})"


def speed_verdict(summary: pd.DataFrame, faster: str, slower: str) -> tuple[PairedDifference, str]:
    """The paired speed difference and the verdict on "``faster`` converges faster"."""
    diff = paired(summary, SPEED, faster, slower)
    if identical(summary, faster, slower):
        return diff, NOT_TESTED
    return diff, directional_verdict(diff, expected_sign=-1, min_effect=MIN_SPEED_EFFECT)


def order_pairs(
    summary: pd.DataFrame, tiers: tuple[tuple[str, ...], ...] = STUDY_E1_TIERS
) -> pd.DataFrame:
    """Every pair the study ranks (faster tier before slower) among the settings run,
    with the paired speed difference (faster − slower; negative agrees) and verdict."""
    ran = set(summary["setting"])
    rows = []
    for i, faster_tier in enumerate(tiers):
        for slower_tier in tiers[i + 1 :]:
            for faster in faster_tier:
                for slower in slower_tier:
                    if faster not in ran or slower not in ran:
                        continue
                    diff, verdict = speed_verdict(summary, faster, slower)
                    rows.append(
                        (
                            setting_label(faster),
                            setting_label(slower),
                            diff.n,
                            diff.mean_a,
                            diff.mean_b,
                            diff.mean_diff,
                            diff.low,
                            diff.high,
                            verdict,
                        )
                    )
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def combined_verdict(verdicts: list[str]) -> str:
    """agrees when every part agrees, disagrees when any part disagrees, else inconclusive."""
    judged = [v for v in verdicts if v != NOT_TESTED]
    if not judged:
        return NOT_TESTED
    if DISAGREES in judged:
        return DISAGREES
    return AGREES if all(v == AGREES for v in judged) else INCONCLUSIVE


def _counts(verdicts: list[str]) -> str:
    words = (AGREES, DISAGREES, INCONCLUSIVE, NOT_TESTED)
    return ", ".join(f"{w} {sum(v == w for v in verdicts)}" for w in words)


def order_claim(summary: pd.DataFrame) -> Claim:
    pairs = order_pairs(summary)
    verdicts = list(pairs["verdict"])
    against = [
        f"{r['slower (study)']} before {r['faster (study)']}"
        for _, r in pairs.iterrows()
        if r["verdict"] == DISAGREES
    ]
    measured = (
        f"{SPEED_TEXT}, n={_seeds(summary)} seeds: {measured_order_text(summary)}. "
        f"Ranked pairs, paired by seed, min effect {MIN_SPEED_EFFECT:g}: {_counts(verdicts)}"
        + (f" (against the study: {', '.join(against)})" if against else "")
        + "; all pairs in the E1 section; verdict: agrees if every judged pair agrees, "
        "disagrees if any disagrees"
    )
    return Claim("E1", f"convergence {STUDY_E1_ORDER}", measured, combined_verdict(verdicts))


def _drops(summary: pd.DataFrame, setting: str) -> int:
    return int(summary.loc[summary["setting"] == setting, "lr_drops"].sum())


def _schedule_untested(summary: pd.DataFrame, plain: str, plateau: str) -> str | None:
    """Why a claim about ``plateau``'s schedule cannot be tested, or None when it can."""
    if not {plain, plateau} <= set(summary["setting"]):
        pair = f"{setting_label(plain)} and {setting_label(plateau)}"
        return f"not run ({pair} are not both in attention.runs)"
    if identical(summary, plain, plateau):
        return (
            f"{setting_label(plateau)} lowered its learning rate {_drops(summary, plateau)} times "
            f"over {_seeds(summary)} seeds, so the two runs are identical: the claim holds by "
            "construction and says nothing"
        )
    return None


def adam_claim(summary: pd.DataFrame) -> Claim:
    """Adam ≈ Adam+RedLR: agrees when the interval lies within ± the minimum effect."""
    study = "Adam and Adam+RedLR converge about equally fast"
    reason = _schedule_untested(summary, "adam", "adam_plateau")
    if reason:
        return Claim("E1", study, reason, NOT_TESTED)
    diff = paired(summary, SPEED, "adam", "adam_plateau")
    m = MIN_SPEED_EFFECT
    if -m < diff.low and diff.high < m:
        verdict = AGREES
    elif diff.excludes_zero and abs(diff.mean_diff) >= m:
        verdict = DISAGREES
    else:
        verdict = INCONCLUSIVE
    measured = (
        f"{SPEED_TEXT}; Adam vs Adam+RedLR ({_drops(summary, 'adam_plateau')} LR drops over "
        f"{diff.n} seeds): {diff.text()}; equal if the interval lies within ±{m:g}"
    )
    return Claim("E1", study, measured, verdict)


def sgd_accuracy_claim(summary: pd.DataFrame) -> Claim:
    study = "RedLR slightly improves SGD's validation accuracy"
    reason = _schedule_untested(summary, "sgd", "sgd_plateau")
    if reason:
        return Claim("E1", study, reason, NOT_TESTED)
    diff = paired(summary, "final_val_acc", "sgd_plateau", "sgd")
    measured = (
        f"final validation accuracy, SGD+RedLR ({_drops(summary, 'sgd_plateau')} LR drops) vs "
        f"SGD: {diff.text()}; min effect {MIN_ACC_EFFECT:g}"
    )
    return Claim(
        "E1", study, measured, directional_verdict(diff, expected_sign=1, min_effect=MIN_ACC_EFFECT)
    )


def rate_verdict(runs: pd.DataFrame) -> tuple[str, str]:
    """Verdict and text for one setting's runs: p (mean, 95 % CI over seeds) and AIC wins.

    Agrees when the power law wins AIC in every seed and p's interval lies within
    the study's range ± tolerance; disagrees when the exponential wins in every
    seed or the interval lies wholly outside that range; else inconclusive.
    """
    mean, low, high = mean_interval(runs["rate_p"].to_numpy())
    power_wins = int((runs["rate_winner"] == POWER).sum())
    lo, hi = RATE_RANGE[0] - RATE_TOLERANCE, RATE_RANGE[1] + RATE_TOLERANCE
    n = len(runs)
    if power_wins == n and lo <= low and high <= hi:
        verdict = AGREES
    elif power_wins == 0 or high < lo or low > hi:
        verdict = DISAGREES
    else:
        verdict = INCONCLUSIVE
    interval = f"[{low:.2f}, {high:.2f}]" if math.isfinite(low) else "[n < 2]"
    return (
        verdict,
        f"{setting_label(runs['setting'].iloc[0])} p={mean:.2f} {interval}, power {power_wins}/{n}",
    )


def rate_claim(summary: pd.DataFrame) -> Claim:
    parts = [rate_verdict(runs) for _, runs in summary.groupby("setting", sort=False)]
    verdict = combined_verdict([v for v, _ in parts])
    exp_wins = int((summary["rate_winner"] == EXPONENTIAL).sum())
    lo, hi = RATE_RANGE[0] - RATE_TOLERANCE, RATE_RANGE[1] + RATE_TOLERANCE
    measured = (
        "per-step train loss fitted with L∞ + c·t^−p (p: mean [95 % CI over seeds]) and, "
        f"by AIC, against L∞ + c·e^−λt: {'; '.join(text for _, text in parts)}. "
        f"The exponential fits better in {exp_wins} of {len(summary)} runs"
        + (
            ", so the loss here decays exponentially, not like a power law"
            if exp_wins * 2 > len(summary)
            else ""
        )
        + ". Agrees per setting if the power law wins in every seed and p's CI lies in "
        f"{lo:g}–{hi:g}"
    )
    return Claim("E1", "the loss decays like O(1/T) to O(1/T²)", measured, verdict)


def e1_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Per setting, means over seeds, fastest first."""
    threshold = summary["threshold"].iloc[0]
    rows = []
    for rank, setting in enumerate(measured_order(summary), start=1):
        runs = summary[summary["setting"] == setting]
        reached = runs["epochs_to_threshold"].dropna()
        rows.append(
            {
                "rank": rank,
                "setting": setting_label(setting),
                "seeds": len(runs),
                "mean val loss over training": runs[SPEED].mean(),
                f"epochs to val loss ≤ {threshold:g} (seeds reaching)": (
                    f"{reached.mean():.3g} ({len(reached)}/{len(runs)})"
                    if len(reached)
                    else f"never (0/{len(runs)})"
                ),
                "final val loss": runs["final_val_loss"].mean(),
                "final val acc": runs["final_val_acc"].mean(),
                "LR drops (all seeds)": int(runs["lr_drops"].sum()),
                "fitted p": runs["rate_p"].mean(),
                "AIC: power wins": f"{int((runs['rate_winner'] == POWER).sum())}/{len(runs)}",
            }
        )
    return pd.DataFrame(rows)


def e1_claims(summary: pd.DataFrame) -> list[Claim]:
    if summary.empty:
        return [Claim("E1", STUDY_E1_ORDER, "E1 was not run", NOT_TESTED)]
    return [
        order_claim(summary),
        adam_claim(summary),
        rate_claim(summary),
        sgd_accuracy_claim(summary),
    ]
