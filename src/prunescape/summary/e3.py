"""E3: the baseline against lottery tickets from w0 and from a random init."""

from __future__ import annotations

import numpy as np
import pandas as pd

from prunescape.summary.claims import (
    AGREES,
    DISAGREES,
    NO_DIFFERENCE,
    NOT_JUDGED,
    PARTLY,
    Claim,
    num,
    pct,
    tally,
)


def compare_models(a: pd.Series, b: pd.Series) -> str:
    """better / worse / mixed / no difference of model ``a`` against ``b``.

    Better means lower final validation loss and higher final validation accuracy;
    an accuracy tie (both saturated) defers to the loss.
    """
    loss = np.sign(b["final_val_loss"] - a["final_val_loss"])  # +1: a has lower loss
    acc = np.sign(a["final_val_acc"] - b["final_val_acc"])  # +1: a has higher accuracy
    signs = {s for s in (loss, acc) if s != 0}
    if not signs:
        return NO_DIFFERENCE
    if signs == {1}:
        return "better"
    return "worse" if signs == {-1} else "mixed"


def _model_numbers(row: pd.Series) -> str:
    return (
        f"loss {num(row['final_val_loss'])}, acc {pct(row['final_val_acc'])}, "
        f"BLEU {num(row['bleu'], 3)}"
    )


def ticket_rates(models: list[str]) -> list[int]:
    return sorted({int(m.rsplit("-", 1)[1]) for m in models if m != "baseline"})


def e3_claims(tickets: pd.DataFrame) -> list[Claim]:
    table = tickets.set_index("model")
    rates = ticket_rates(list(table.index))
    claims = []

    outcomes, lines = [], []
    for rate in rates:
        w0, rnd = f"w0-{rate}", f"random-{rate}"
        if w0 in table.index and rnd in table.index:
            result = compare_models(table.loc[w0], table.loc[rnd])
            outcomes.append(result == "better")
            lines.append(
                f"{rate} %: w0 {_model_numbers(table.loc[w0])} vs random "
                f"{_model_numbers(table.loc[rnd])} → w0 {result}"
            )
    claims.append(
        Claim(
            "E3",
            "tickets retrained from w0 (WLT) beat the same mask from a random init",
            "; ".join(lines) or "no w0/random pair was trained",
            tally(outcomes),
        )
    )

    top = max(rates, default=None)
    if top is not None and f"w0-{top}" in table.index and "baseline" in table.index:
        result = compare_models(table.loc[f"w0-{top}"], table.loc["baseline"])
        claims.append(
            Claim(
                "E3",
                f"the {top} % WLT beats the dense baseline"
                + ("" if top == 80 else " (the study's was 80 %)"),
                f"w0-{top} {_model_numbers(table.loc[f'w0-{top}'])} vs baseline "
                f"{_model_numbers(table.loc['baseline'])} → {result}",
                {"better": AGREES, "worse": DISAGREES}.get(result, PARTLY),
            )
        )

    gaps = [
        f"{rate} %: {pct(table.loc[f'random-{rate}', 'final_val_acc'])} → "
        f"{pct(table.loc[f'w0-{rate}', 'final_val_acc'])}"
        for rate in rates
        if {f"w0-{rate}", f"random-{rate}"} <= set(table.index)
    ]
    if gaps:
        claims.append(
            Claim(
                "E3",
                "winning tickets are easy to find, with a large gap (51 % → 70 %; "
                "the talk does not say between which models)",
                "final val acc random → w0: " + "; ".join(gaps),
                NOT_JUDGED,
            )
        )
    return claims


def e3_table(tickets: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": tickets["model"],
            "pruned": [pct(s) for s in tickets["sparsity"]],
            "final val loss": tickets["final_val_loss"],
            "final val acc": tickets["final_val_acc"],
            "best val acc": tickets["best_val_acc"],
            "best epoch": tickets["best_epoch"],
            "BLEU": tickets["bleu"],
        }
    )
