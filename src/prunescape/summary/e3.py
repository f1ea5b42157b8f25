"""E3: the dense baseline against lottery tickets from w0 and from a random init, over seeds.

Input: ``tickets/comparison.csv``, one row per (seed, model) run
(:func:`prunescape.tickets.comparison_table`). Runs of one seed share the data and
the mask, so models are compared pairwise by seed
(:func:`prunescape.stats.paired_difference`, a 95 % Student-t interval of the
per-seed differences).

Every comparison is split into what it compares:

- final quality: the best validation loss (lowest over the epochs run, the
  checkpoint BLEU is measured on). Minimum effect ``MIN_LOSS_EFFECT`` = 0.02 nats.
  Only testable when every run involved converged by the plateau rule: a run that
  stopped at its epoch budget may still be improving, so its verdict is "not
  tested" (not testable at this budget), never agrees/disagrees.
- speed: the mean validation loss over the common step range 0..E (the same E
  for every run; lower is faster). Minimum effect ``MIN_SPEED_EFFECT`` = 0.02 nats.
  Speed is measured at a budget, so it needs no convergence.

"A beats B" agrees when the interval of A − B lies below 0 and the mean difference
is at least the minimum effect, disagrees when it lies above 0 with that effect,
else inconclusive (:func:`prunescape.stats.directional_verdict`; one seed gives no
interval, so inconclusive). "A does not beat B" agrees when the interval's lower
end of A − B (in loss) is above −minimum effect (A is not better by a meaningful
margin), disagrees when A beats B by the rule above, else inconclusive. A diverged
run leaves every claim it is part of not tested.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from prunescape.stats import (
    AGREES,
    DISAGREES,
    INCONCLUSIVE,
    NOT_TESTED,
    PairedDifference,
    directional_verdict,
    paired_difference,
)
from prunescape.summary.claims import NOT_JUDGED, NOT_RUN, Claim, pct
from prunescape.tickets import (
    BASELINE,
    acc_column,
    acc_targets_of,
    model_init,
    model_sort_key,
)

# Smallest differences worth a verdict, in nats per token of validation loss.
MIN_LOSS_EFFECT = 0.02  # final quality: best validation loss
MIN_SPEED_EFFECT = 0.02  # speed: mean validation loss over the common step range
STUDY_RATE = 80

QUALITY, SPEED = "final quality", "speed"
QUALITY_TEXT = "final quality = best validation loss (lowest over the epochs run; lower is better)"


def _seeded(table: pd.DataFrame) -> pd.DataFrame:
    return table if "seed" in table.columns else table.assign(seed=0)


def ticket_rates(models: Sequence[str]) -> list[int]:
    return sorted({model_init(m)[1] for m in models if m != BASELINE})


def auc_end(table: pd.DataFrame) -> float:
    return float(table["auc_end_step"].iloc[0]) if len(table) else math.nan


def speed_text(table: pd.DataFrame) -> str:
    return (
        f"speed = mean validation loss over steps 0–{auc_end(table):g} "
        "(the same range for every run; lower is faster)"
    )


def _runs(table: pd.DataFrame, models: Sequence[str]) -> pd.DataFrame:
    """Rows of ``models`` in the seeds where all of them ran."""
    rows = table[table["model"].isin(models)]
    per_seed = rows.groupby("seed")["model"].nunique()
    seeds = per_seed[per_seed == len(set(models))].index
    return rows[rows["seed"].isin(seeds)]


def _names(rows: pd.DataFrame) -> str:
    return ", ".join(f"seed {s} {m}" for s, m in zip(rows["seed"], rows["model"], strict=True))


def untested_reason(table: pd.DataFrame, models: Sequence[str], aspect: str) -> str | None:
    """Why the ``aspect`` comparison of ``models`` cannot be judged, or None when it can."""
    runs = _runs(table, models)
    diverged = runs[runs["diverged"].astype(bool)]
    if len(diverged):
        return f"not tested (diverged: {_names(diverged)})"
    if aspect == QUALITY:
        open_runs = runs[~runs["converged"].astype(bool)]
        if len(open_runs):
            return (
                "not testable at this budget: the plateau rule did not stop "
                f"{_names(open_runs)} (stopped by the epoch budget, may still improve)"
            )
    return None


def paired(table: pd.DataFrame, column: str, a: str, b: str) -> PairedDifference:
    """``column`` of model ``a`` against ``b``, paired by seed over the seeds both ran."""
    wide = _runs(table, (a, b)).pivot(index="seed", columns="model", values=column)
    return paired_difference(wide[a].to_numpy(), wide[b].to_numpy())


def _mean(table: pd.DataFrame, model: str, column: str, seeds) -> float:
    rows = table[(table["model"] == model) & table["seed"].isin(seeds)]
    return float(rows[column].mean())


def not_better_verdict(diff: PairedDifference, min_effect: float) -> str:
    """Verdict on "a does not beat b" from the paired loss difference a − b (lower is better)."""
    if directional_verdict(diff, expected_sign=1, min_effect=min_effect) == DISAGREES:
        return DISAGREES
    if math.isfinite(diff.low) and diff.low > -min_effect:
        return AGREES
    return INCONCLUSIVE


def comparison_claim(
    table: pd.DataFrame, study: str, a: str, b: str, aspect: str, beats: bool = True
) -> Claim:
    """One claim line: ``a`` (does not) beat(s) ``b`` in ``aspect``, paired by seed."""
    present = set(table["model"])
    missing = [m for m in (a, b) if m not in present]
    if missing:
        return Claim("E3", study, f"not run ({', '.join(missing)} not trained)", NOT_RUN)
    if _runs(table, (a, b)).empty:
        return Claim("E3", study, f"{a} and {b} share no seed", NOT_RUN)
    reason = untested_reason(table, (a, b), aspect)
    if reason and reason.startswith("not tested (diverged"):
        return Claim("E3", study, reason, NOT_TESTED)
    column, min_effect = (
        ("best_val_loss", MIN_LOSS_EFFECT)
        if aspect == QUALITY
        else ("val_loss_auc", MIN_SPEED_EFFECT)
    )
    runs = _runs(table, (a, b))
    bad = runs[~np.isfinite(runs[column].astype(float))]
    if len(bad):
        return Claim("E3", study, f"not tested (no finite {column}: {_names(bad)})", NOT_TESTED)
    diff = paired(table, column, a, b)
    seeds = runs["seed"].unique()
    what = QUALITY_TEXT if aspect == QUALITY else speed_text(table)
    measured = f"{what}, {a} vs {b}, paired by seed, {diff.text()}"
    if aspect == QUALITY:
        measured += (
            f"; val acc at the best epoch {pct(_mean(table, a, 'best_val_acc', seeds))} vs "
            f"{pct(_mean(table, b, 'best_val_acc', seeds))}"
        )
    else:
        measured += "; " + _steps_text(table, a, b, seeds)
    if beats:
        measured += (
            f"; min effect {min_effect:g} nats: agrees if Δ ≤ −{min_effect:g} with the 95 % CI "
            f"below 0, disagrees if Δ ≥ +{min_effect:g} with the CI above 0"
        )
        verdict = directional_verdict(diff, expected_sign=-1, min_effect=min_effect)
    else:
        measured += (
            f"; min effect {min_effect:g} nats: agrees if the 95 % CI's lower end is above "
            f"−{min_effect:g} ({a} not better by that much), disagrees if Δ ≤ −{min_effect:g} "
            "with the CI below 0"
        )
        verdict = not_better_verdict(diff, min_effect)
    if reason:
        return Claim("E3", study, f"{reason}; for information: {measured}", NOT_TESTED)
    return Claim("E3", study, measured, verdict)


def _steps_text(table: pd.DataFrame, a: str, b: str, seeds) -> str:
    targets = acc_targets_of(table)
    if not targets:
        return "no accuracy target"
    column = acc_column(targets[-1])
    parts = []
    for model in (a, b):
        values = table.loc[(table["model"] == model) & table["seed"].isin(seeds), column]
        reached = values.dropna()
        parts.append(_reached_text(reached, len(values)))
    return f"steps to val acc ≥ {100 * targets[-1]:g} %: {parts[0]} vs {parts[1]}"


def _reached_text(reached: pd.Series, n: int) -> str:
    if not len(reached):
        return f"never (0/{n})"
    return f"{reached.mean():.4g} ({len(reached)}/{n})"


def _rate_note(top: int) -> str:
    return "" if top == STUDY_RATE else f" (the study's was {STUDY_RATE} %; the top rate run)"


def gap_claim(table: pd.DataFrame, top: int) -> Claim:
    """The talk's 51 % → 70 %, read as dense baseline → top-rate w0 ticket; not judged."""
    study = "winning tickets are easy to find, with a large gap (51 % → 70 %)"
    ticket = f"w0-{top}"
    runs = _runs(table, (BASELINE, ticket))
    if runs.empty:
        return Claim("E3", study, f"not run (no seed has both baseline and {ticket})", NOT_RUN)
    points = table.assign(acc_points=100 * table["best_val_acc"].astype(float))
    gap = paired(points, "acc_points", ticket, BASELINE)
    measured = (
        f"final quality = val acc at the best epoch in %, {ticket} vs baseline, paired by "
        f"seed, {gap.text()} (the talk's gap: +19 points); not judged: the talk names "
        "neither the pair nor how large a gap counts as large; we read "
        f"'over-parameterised' as dense → {STUDY_RATE} % WLT"
        + ("" if top == STUDY_RATE else f" (here the top rate run, {top} %)")
    )
    return Claim("E3", study, measured, NOT_JUDGED)


def e3_claims(tickets: pd.DataFrame) -> list[Claim]:
    if tickets.empty:
        return [Claim("E3", "lottery-ticket findings", "E3 was not run", NOT_RUN)]
    table = _seeded(tickets)
    rates = ticket_rates(list(table["model"].unique()))
    claims = []
    for rate in rates:
        for aspect in (QUALITY, SPEED):
            claims.append(
                comparison_claim(
                    table,
                    f"tickets from w0 beat the same mask from a random init ({rate} % pruned): "
                    f"{aspect}",
                    f"w0-{rate}",
                    f"random-{rate}",
                    aspect,
                )
            )
    if rates:
        top = max(rates)
        for aspect in (QUALITY, SPEED):
            claims.append(
                comparison_claim(
                    table,
                    f"the {top} % WLT beats the dense baseline{_rate_note(top)}: {aspect}",
                    f"w0-{top}",
                    BASELINE,
                    aspect,
                )
            )
        for aspect in (QUALITY, SPEED):
            claims.append(
                comparison_claim(
                    table,
                    f"the {top} % random-init ticket does not beat the dense baseline"
                    f"{_rate_note(top)}: {aspect}",
                    f"random-{top}",
                    BASELINE,
                    aspect,
                    beats=False,
                )
            )
        claims.append(gap_claim(table, top))
    return claims


def _mean_sd(values: pd.Series, digits: int = 4, scale: float = 1.0, unit: str = "") -> str:
    """``mean ± sd`` of the finite values (just the mean for one value), "n/a" for none."""
    finite = values[np.isfinite(values.astype(float))].astype(float) * scale
    if not len(finite):
        return "n/a"
    text = f"{finite.mean():.{digits}g}{unit}"
    return text + (f" ± {finite.std(ddof=1):.2g}" if len(finite) > 1 else "")


def e3_table(tickets: pd.DataFrame) -> pd.DataFrame:
    """One row per model: means ± sd over seeds (finite values; diverged runs counted)."""
    table = _seeded(tickets)
    if table.empty:
        return pd.DataFrame()
    targets = acc_targets_of(table)
    end = auc_end(table)
    rows = []
    for model in sorted(table["model"].unique(), key=model_sort_key):
        runs = table[table["model"] == model]
        n = len(runs)
        diverged = int(runs["diverged"].astype(bool).sum())
        row = {
            "model": model,
            "seeds": n,
            "pruned (of prunable / of all)": (
                f"{pct(runs['pruned_prunable'].mean())} / {pct(runs['pruned_all'].mean())}"
            ),
            "converged": f"{int(runs['converged'].astype(bool).sum())}/{n}"
            + (f" ({diverged} diverged)" if diverged else ""),
            "epochs run": _mean_sd(runs["epochs_run"], 3),
            "best val loss (mean ± sd)": _mean_sd(runs["best_val_loss"]),
            "val acc at best, % (mean ± sd)": _mean_sd(runs["best_val_acc"], 3, 100),
            f"mean val loss, steps 0–{end:g} (mean ± sd)": _mean_sd(runs["val_loss_auc"]),
        }
        if targets:
            values = runs[acc_column(targets[-1])]
            row[f"steps to val acc ≥ {100 * targets[-1]:g} % (seeds reaching)"] = _reached_text(
                values.dropna(), n
            )
        row["BLEU, best checkpoint (mean ± sd)"] = _mean_sd(runs["bleu"], 3)
        rows.append(row)
    return pd.DataFrame(rows)
