"""Verdict words, the Claim record and the helpers every experiment's claim checks share."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from prunescape.summary.document import format_cell

AGREES, PARTLY, DISAGREES = "agrees", "partly", "disagrees"
NO_DIFFERENCE, NOT_RUN, NOT_JUDGED = "no difference", "not run", "not judged"


@dataclass(frozen=True)
class Claim:
    """One line of the at-a-glance table."""

    experiment: str
    study: str
    measured: str
    verdict: str


def claims_frame(claims: list[Claim]) -> pd.DataFrame:
    return pd.DataFrame(
        [[c.experiment, c.study, c.measured, c.verdict] for c in claims],
        columns=["experiment", "the study says", "we measured", "verdict"],
    )


def tally(outcomes: list[bool]) -> str:
    """agrees when every check holds, disagrees when none does, else partly."""
    if not outcomes:
        return NOT_RUN
    if all(outcomes):
        return AGREES
    return DISAGREES if not any(outcomes) else PARTLY


def pct(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{100 * value:.1f} %"


def num(value: float, digits: int = 4) -> str:
    return format_cell(float(value), digits)
