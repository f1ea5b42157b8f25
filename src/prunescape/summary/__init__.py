"""The study's claims set beside our measured numbers, as Markdown and as an HTML page.

Pure functions on the workflow's tables (E1 ``attention/summary.csv``, E3
``tickets/comparison.csv``, E2 ``e2/summary.csv`` and ``e2/surfaces.csv``, the
tidy ``landscape/landscapes.csv``): frames in; numbers, frames and text out.
:func:`results_summary` assembles one :class:`Document`, which renders as
Markdown (``summary.md``) and as a self-contained HTML page, because a
Snakemake report shows HTML pages inline but only offers Markdown as a download.

Every verdict follows a rule stated next to it; where the study's claim has no
measurable form (or the experiment was not run) the verdict says so.

The package keeps one job per module: :mod:`~prunescape.summary.document` (the two
renderings), :mod:`~prunescape.summary.claims` (verdicts and shared helpers), and
one module per experiment (``e1``, ``e2``, ``e3``, ``landscape``) with its tables
and claims; this module only assembles them.
"""

from __future__ import annotations

import pandas as pd

from prunescape.summary.claims import claims_frame
from prunescape.summary.document import Document
from prunescape.summary.e1 import (
    SPEED_TEXT,
    STUDY_E1_ORDER,
    e1_claims,
    e1_table,
    measured_order_text,
    order_pairs,
)
from prunescape.summary.e2 import e2_claims, e2_table, point_name, point_ranks
from prunescape.summary.e3 import e3_claims, e3_table
from prunescape.summary.landscape import (
    barrier_table,
    grid_table,
    hessian_table,
    landscape_claims,
    trajectory_table,
)


def setup_sentence(
    run: str,
    *,
    corpus: str,
    layers: int,
    d_model: int,
    epochs: int,
    grid: list[int],
    seeds: list[int],
    schedule: str,
) -> str:
    """One sentence on the run's size, for the summary's introduction."""
    return (
        f"Run `{run}` used the {corpus} corpus, a {layers}+{layers}-layer transformer with "
        f"d_model {d_model}, at most {epochs} training epochs per run, {schedule}, "
        f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''} ({', '.join(map(str, seeds))}) "
        f"per training arm, and landscape grids of {grid[0]}×{grid[1]} points."
    )


def results_summary(
    *,
    attention: pd.DataFrame,
    tickets: pd.DataFrame,
    e2_summary: pd.DataFrame,
    e2_surfaces: pd.DataFrame | None,
    landscapes: pd.DataFrame,
    hessian: pd.DataFrame,
    run: str,
    setup: str = "",
    e2_rate: int | None = None,
    barriers: pd.DataFrame | None = None,
    paths: pd.DataFrame | None = None,
) -> Document:
    """The results page: claims at a glance, then each experiment's numbers."""
    models = list(tickets["model"])
    grid = grid_table(landscapes, models)
    sharpness = hessian_table(hessian, models)
    e1 = e1_claims(attention)
    e3 = e3_claims(tickets)
    land = landscape_claims(hessian, models)
    e2 = e2_claims(e2_summary, tickets, e2_rate, e2_surfaces)
    claims = [*e1, *e2, *e3, *land]

    doc = Document(f"Results of run {run}: the study's claims beside our numbers")
    intro = (
        "Every line sets a finding of Park & Woo's talk “Convergence Rate of Transformer "
        "with Pruning” (2022) beside the number this run measured, with a verdict by the "
        "rule stated in the line. "
    )
    if setup:
        intro += setup + " "
    intro += (
        "A small configuration tests the workflow and the direction of each effect, not "
        "the study at its size: read a disagreement as “not reproduced at this scale”."
    )
    doc.paragraph(intro)
    counts = pd.Series([c.verdict for c in claims]).value_counts()
    doc.paragraph(
        "Verdicts: "
        + ", ".join(f"{count} × {verdict}" for verdict, count in sorted(counts.items()))
        + f" ({len(claims)} claims). A verdict is agrees or disagrees only when the 95 % "
        "interval over seeds excludes zero and the effect passes the minimum stated in its "
        "line; inconclusive and not tested are answers too."
    )
    doc.heading("At a glance")
    doc.table(claims_frame(claims))

    doc.heading("E1: optimisers on one attention block")
    if attention.empty:
        doc.paragraph("E1 was not run.")
    else:
        doc.paragraph(
            f"Study: {STUDY_E1_ORDER}. Measured, fastest first by {SPEED_TEXT}, mean over "
            f"seeds: **{measured_order_text(attention)}**. Every setting of a seed starts from "
            "the same init and sees the same data order, so settings are compared pairwise "
            "by seed. The fitted p is the exponent of L∞ + c·t^−p fitted to the per-step "
            "training loss (p = 1 is O(1/T), p = 2 is O(1/T²)); AIC compares it with an "
            "exponential decay. Means over seeds:"
        )
        doc.table(e1_table(attention))
        doc.paragraph(
            "Each pair the study ranks, speed of the study's faster setting minus the slower "
            "one (negative agrees), paired by seed:"
        )
        doc.table(order_pairs(attention))
    doc.bullets([f"{c.study}: {c.measured} (**{c.verdict}**)" for c in e1])

    doc.heading("E2: retraining from starting points w0 + αx + βy")
    doc.paragraph(
        "x = w* − w0 points from the recorded init to the trained baseline, y is a random "
        "filter-normalised direction; every point keeps the pruning mask. Best points by "
        "final validation loss, means over E2 seeds (start loss is epoch 0, before retraining):"
    )
    doc.table(e2_table(e2_summary, e2_surfaces, n=5))
    beating = point_ranks(e2_summary)
    beating = beating[beating["beats_centre"].astype(bool)]
    doc.paragraph(
        "Points that end below the centre (0, 0) in validation loss in every E2 seed: "
        + (
            ", ".join(
                point_name(a, b) for a, b in zip(beating["alpha"], beating["beta"], strict=True)
            )
            or "none"
        )
        + "."
    )
    doc.bullets([f"{c.study}: {c.measured} (**{c.verdict}**)" for c in e2])

    doc.heading("E3: lottery tickets")
    doc.paragraph(
        "w0-R: R % of w* pruned, retrained from the recorded init w0 (winning ticket); "
        "random-R: the same mask from a fresh init. Means ± sd over seeds. Final quality is "
        "the best validation loss (the epoch BLEU is scored at); speed is the mean "
        "validation loss over a step range shared by every run. A final-quality verdict "
        "needs every run involved to have converged (stopped by the plateau rule)."
    )
    doc.table(e3_table(tickets))
    doc.bullets([f"{c.study}: {c.measured} (**{c.verdict}**)" for c in e3])

    doc.heading("E3: landscape flatness")
    doc.paragraph(
        "Sharpness from the Hessian of the loss on the landscape's evaluation subset, on the "
        "kept (unpruned) weights, at each run's last epoch: top eigenvalue λmax (Lanczos) and "
        "trace (Hutchinson) per kept weight; smaller means a wider, flatter minimum. The "
        "verdicts compare models pairwise by seed and only at comparable loss. Means over seeds:"
    )
    if not sharpness.empty:
        doc.table(sharpness, digits=4)
    doc.paragraph(
        "Descriptive only, no verdict: the grids at each run's last epoch, means over seeds. "
        "Own loss = the trained model's loss at the grid's centre (usually the grid's lowest "
        "point: it says how well the model trained, not how deep a minimum is); loss range = "
        "highest − lowest loss over the grid; curvature = central second difference of the loss "
        "at (0, 0) along each direction, per unit of the filter-normalised direction (grid step "
        "× scale). Along one random plane these mostly track how well a model trained."
    )
    if not grid.empty:
        doc.table(grid, digits=4)
    doc.bullets([f"{c.study}: {c.measured} (**{c.verdict}**)" for c in land])

    if barriers is not None and not barriers.empty:
        doc.heading("E3: lines between models")
        doc.paragraph(
            "Descriptive, no verdict (the study states no claim on them): the loss along "
            "(1 − t)·a + t·b on the landscape's evaluation subset, with the final weights of "
            "each run. Barrier = the largest rise of the loss (or of the error, 1 − token "
            "accuracy) above the straight line between its values at a and b, for t in "
            "[0, 1]: 0 means the two models are linearly connected. Same mask: a w0 ticket "
            "and the random-init ticket of its mask; data order: a w0 ticket and its second "
            "retraining from the same init in another data order and dropout seed (the "
            "instability test of "
            "Frankle et al. 2020, where an error barrier near 0 means stable). Means over "
            "seeds with their 95 % Student-t interval:"
        )
        doc.table(barrier_table(barriers), digits=4)
    if paths is not None and not paths.empty:
        doc.heading("E3: training trajectories")
        doc.paragraph(
            "The plane of the first two principal components of each run's epoch checkpoints "
            "(displacements from its final weights; Li et al. 2018, section 7) and the share "
            "of the path's variance it holds, means over seeds. A path that lies in a plane "
            "(shares near 1) is drawn faithfully on the trajectory figure."
        )
        doc.table(trajectory_table(paths, models), digits=3)
    return doc
