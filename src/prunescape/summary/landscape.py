"""E3's landscape claims, judged by the Hessian over seeds; the grid's measures, described.

Inputs: the tidy grids (``landscape/landscapes.csv``: seed, model, epoch, scale,
x, y, loss, …) and the Hessian spectra (``landscape/hessian.csv``: seed, model,
epoch, quantity, index, value, stderr, hvps), on the landscape's evaluation
subset. A plateau rule ends runs at different epochs, so each (seed, model) is
read at its own last epoch.

Sharpness is the top Hessian eigenvalue λmax on the kept (unpruned) weights; the
trace is reported per kept weight, since masked models have fewer dimensions.
Models of one seed are compared pairwise by seed on log λmax (the interval of
the mean log-ratio, printed as a factor), with a stated minimum factor. The
Hessian's scale follows the loss it is taken at, so a comparison is judged only
when both sides were taken at comparable loss (within ``LOSS_TOLERANCE``,
relative); otherwise it is inconclusive, confounded by the loss difference.
"Deeper minimum" is the model's own loss at its centre, compared the same way.
The grid's loss range and centre curvature (one random plane, a few thousand
tokens) are shown as description only: they mostly track how well a model trained.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from prunescape.stats import (
    INCONCLUSIVE,
    NOT_TESTED,
    directional_verdict,
    mean_interval,
    paired_difference,
)
from prunescape.summary.claims import Claim, num

# A λmax ratio must reach this factor (either way) to be a verdict, judged on log λmax.
MIN_SHARPNESS_FACTOR = 1.25
# Hessians whose mean losses differ by more than this (relative to the lower) are not compared.
LOSS_TOLERANCE = 0.10
# Smallest difference in the models' own loss (nats per token) worth a verdict on depth.
MIN_LOSS_EFFECT = 0.02
WHERE = "on the landscape's evaluation subset at each run's last epoch"


def surface_grid(
    frame: pd.DataFrame, metric: str = "loss", xcol: str = "x", ycol: str = "y"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted axis values and ``Z[iy, ix]`` of one landscape (missing points NaN)."""
    if frame.duplicated([xcol, ycol]).any():
        raise ValueError("several rows share one grid point; select one landscape first")
    table = frame.pivot(index=ycol, columns=xcol, values=metric).sort_index().sort_index(axis=1)
    return (
        table.columns.to_numpy(dtype=float),
        table.index.to_numpy(dtype=float),
        table.to_numpy(dtype=float),
    )


def loss_range(frame: pd.DataFrame, metric: str = "loss") -> float:
    """Highest minus lowest finite value over the grid."""
    values = frame[metric].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return float(values.max() - values.min()) if values.size else math.nan


def second_derivative(coords: np.ndarray, values: np.ndarray, at: int) -> float:
    """Three-point finite difference f'' at index ``at``, exact for quadratics on any spacing."""
    if at <= 0 or at >= len(coords) - 1:
        return math.nan
    h1, h2 = coords[at] - coords[at - 1], coords[at + 1] - coords[at]
    f0, f1, f2 = values[at - 1], values[at], values[at + 1]
    return float(2 * (h1 * f2 - (h1 + h2) * f1 + h2 * f0) / (h1 * h2 * (h1 + h2)))


def centre_curvature(
    frame: pd.DataFrame,
    metric: str = "loss",
    *,
    scale: float = 1.0,
    xcol: str = "x",
    ycol: str = "y",
) -> tuple[float, float]:
    """∂²f/∂x² and ∂²f/∂y² at (0, 0), per unit of the (filter-normalised) direction.

    Grid coordinates are multiplied by ``scale`` first: a landscape at scale s
    evaluates the model at centre + s·(x·dx + y·dy), so its true step is s times
    the grid spacing, and global and local views estimate the same curvature.
    NaN where the centre or one of its neighbours is not on the grid.
    """
    xs, ys, z = surface_grid(frame, metric, xcol, ycol)
    ix, iy = np.flatnonzero(np.isclose(xs, 0)), np.flatnonzero(np.isclose(ys, 0))
    if not ix.size or not iy.size:
        return math.nan, math.nan
    ix, iy = int(ix[0]), int(iy[0])
    return (
        second_derivative(xs * scale, z[iy, :], ix),
        second_derivative(ys * scale, z[:, ix], iy),
    )


def centre_value(frame: pd.DataFrame, metric: str = "loss", xcol="x", ycol="y") -> float:
    at = frame[np.isclose(frame[xcol], 0) & np.isclose(frame[ycol], 0)]
    return float(at[metric].iloc[0]) if len(at) else math.nan


def _seeded(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a ``seed`` column (a single-seed table without one is seed 0)."""
    return frame if "seed" in frame.columns else frame.assign(seed=0)


def last_epoch_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of each (seed, model)'s last epoch: runs stop at different epochs."""
    frame = _seeded(frame)
    if "epoch" not in frame.columns or frame.empty:
        return frame
    last = frame.groupby(["seed", "model"])["epoch"].transform("max")
    return frame[frame["epoch"] == last]


def model_order(models: Iterable[str] | None, present: Iterable[str]) -> list[str]:
    """``models`` (duplicates dropped) that are present, else the present ones, baseline first."""
    present = list(dict.fromkeys(present))
    if models is None:
        return sorted(present, key=lambda m: (m != "baseline", m))
    return [m for m in dict.fromkeys(models) if m in present]


def _rates(models: Iterable[str]) -> list[int]:
    return sorted({int(m.rsplit("-", 1)[1]) for m in models if m != "baseline"})


def _epochs(values: pd.Series) -> str:
    """``12`` or ``10–15``: the last epochs over seeds."""
    values = values.dropna()
    if values.empty:
        return "n/a"
    low, high = int(values.min()), int(values.max())
    return f"{low}" if low == high else f"{low}–{high}"


# --- the grid: descriptive --------------------------------------------------------------


def grid_measures(landscapes: pd.DataFrame) -> pd.DataFrame:
    """Per (seed, model, scale) at the run's last epoch: own loss, range, centre curvature."""
    rows = []
    at_last = last_epoch_rows(landscapes)
    for (seed, model, scale), frame in at_last.groupby(["seed", "model", "scale"], sort=False):
        cx, cy = centre_curvature(frame, scale=float(scale))
        rows.append(
            {
                "seed": seed,
                "model": model,
                "scale": float(scale),
                "epoch": frame["epoch"].iloc[0] if "epoch" in frame.columns else math.nan,
                "own loss": centre_value(frame),
                "lowest loss": float(frame["loss"].min()),
                "loss range": loss_range(frame),
                "curvature x": cx,
                "curvature y": cy,
                "mean curvature": (cx + cy) / 2,
            }
        )
    return pd.DataFrame(rows)


def grid_table(landscapes: pd.DataFrame, models: list[str] | None = None) -> pd.DataFrame:
    """Per model and scale, means over seeds of :func:`grid_measures` (a description, no verdict).

    The own loss is the trained model's loss at the centre (0, 0): the grid's lowest
    point is almost always that, so it says how well the model trained, not how deep
    a minimum is.
    """
    measures = grid_measures(landscapes)
    if measures.empty:
        return pd.DataFrame()
    rows = []
    for scale in sorted(measures["scale"].unique(), reverse=True):
        for model in model_order(models, measures["model"]):
            runs = measures[(measures["model"] == model) & (measures["scale"] == scale)]
            if runs.empty:
                continue
            rows.append(
                {
                    "model": model,
                    "scale": float(scale),
                    "seeds": len(runs),
                    "last epoch": _epochs(runs["epoch"]),
                    "own loss (centre)": runs["own loss"].mean(),
                    "lowest loss on grid": runs["lowest loss"].mean(),
                    "loss range": runs["loss range"].mean(),
                    "curvature x": runs["curvature x"].mean(),
                    "curvature y": runs["curvature y"].mean(),
                    "mean curvature": runs["mean curvature"].mean(),
                }
            )
    return pd.DataFrame(rows)


# --- the Hessian: measures and verdicts ---------------------------------------------------

MEASURE_COLUMNS = [
    "seed",
    "model",
    "epoch",
    "loss",
    "kept_weights",
    "lambda_max",
    "trace",
    "trace_stderr",
    "trace_per_weight",
]


def hessian_measures(hessian: pd.DataFrame) -> pd.DataFrame:
    """One row per (seed, model) at its last epoch: loss, kept weights, λmax, trace."""
    rows = []
    for (seed, model), run in last_epoch_rows(hessian).groupby(["seed", "model"], sort=False):

        def one(quantity: str, column: str = "value", run: pd.DataFrame = run) -> float:
            values = run.loc[run["quantity"] == quantity, column]
            return float(values.iloc[0]) if len(values) else math.nan

        eigen = run.loc[run["quantity"] == "eigenvalue", "value"]
        kept, trace = one("kept_weights"), one("trace")
        rows.append(
            {
                "seed": seed,
                "model": model,
                "epoch": run["epoch"].iloc[0] if "epoch" in run.columns else math.nan,
                "loss": one("loss"),
                "kept_weights": kept,
                "lambda_max": float(eigen.max()) if len(eigen) else math.nan,
                "trace": trace,
                "trace_stderr": one("trace", "stderr"),
                "trace_per_weight": trace / kept if kept > 0 else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=MEASURE_COLUMNS)


def hessian_table(hessian: pd.DataFrame, models: list[str] | None = None) -> pd.DataFrame:
    """Per model, over seeds: λmax (mean, sd), trace per kept weight, the loss it was taken at."""
    measures = hessian_measures(hessian)
    rows = []
    for model in model_order(models, measures["model"]):
        runs = measures[measures["model"] == model]
        rows.append(
            {
                "model": model,
                "seeds": len(runs),
                "last epoch": _epochs(runs["epoch"]),
                "loss at the Hessian": runs["loss"].mean(),
                "λmax (mean)": runs["lambda_max"].mean(),
                "λmax sd over seeds": runs["lambda_max"].std(ddof=1),
                "trace / kept weight": runs["trace_per_weight"].mean(),
                "kept weights": runs["kept_weights"].mean(),
            }
        )
    return pd.DataFrame(rows)


def _paired_runs(
    measures: pd.DataFrame, a: str, b: str, columns: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """Rows of ``a`` and ``b`` on the seeds both have with finite ``columns``; dropped seeds."""
    runs_a = measures[measures["model"] == a].set_index("seed")
    runs_b = measures[measures["model"] == b].set_index("seed")
    seeds = sorted(set(runs_a.index) | set(runs_b.index))
    kept, dropped = [], []
    for seed in seeds:
        ok = seed in runs_a.index and seed in runs_b.index
        ok = ok and all(
            math.isfinite(runs_a.loc[seed, c]) and math.isfinite(runs_b.loc[seed, c])
            for c in columns
        )
        (kept if ok else dropped).append(seed)
    return runs_a.loc[kept], runs_b.loc[kept], dropped


def _dropped_text(dropped: list) -> str:
    if not dropped:
        return ""
    return f"; seeds left out (a side missing or non-finite): {', '.join(map(str, dropped))}"


def _factor(log_ratio: float) -> str:
    return f"×{math.exp(log_ratio):.3g}" if math.isfinite(log_ratio) else "n/a"


def loss_gap(loss_a: float, loss_b: float) -> float:
    """|loss_a − loss_b| relative to the lower of the two (inf when that is not positive)."""
    low = min(loss_a, loss_b)
    return abs(loss_a - loss_b) / low if low > 0 else math.inf


def sharpness_comparison(measures: pd.DataFrame, a: str, b: str) -> tuple[str, str]:
    """Verdict and text on "``a`` has a flatter minimum than ``b``" (smaller λmax).

    Paired by seed on log λmax; agrees/disagrees only when the interval excludes 1
    as a factor, the factor is at least ``MIN_SHARPNESS_FACTOR`` either way, and the
    two sides' Hessians were taken at losses within ``LOSS_TOLERANCE``.
    """
    runs_a, runs_b, dropped = _paired_runs(measures, a, b, ["lambda_max", "loss"])
    head = "λmax on kept weights"
    if runs_a.empty:
        return NOT_TESTED, f"{head}: no seed has both{_dropped_text(dropped)}"
    lam_a, lam_b = runs_a["lambda_max"].to_numpy(), runs_b["lambda_max"].to_numpy()
    loss_a, loss_b = float(runs_a["loss"].mean()), float(runs_b["loss"].mean())
    losses = f"Hessians taken at loss {num(loss_a, 3)} vs {num(loss_b, 3)} (means over seeds)"
    if (lam_a <= 0).any() or (lam_b <= 0).any():
        return NOT_TESTED, (
            f"{head}: λmax ≤ 0 in a seed, so the log-ratio is undefined (not at a minimum); "
            f"{losses}{_dropped_text(dropped)}"
        )
    diff = paired_difference(np.log(lam_a), np.log(lam_b))
    interval = (
        f"[{_factor(diff.low)}, {_factor(diff.high)}]"
        if math.isfinite(diff.low)
        else "[no interval: n < 2]"
    )
    gap = loss_gap(loss_a, loss_b)
    comparable = gap <= LOSS_TOLERANCE
    text = (
        f"{head}, paired by seed on log λmax, n={diff.n}: mean λmax {num(lam_a.mean(), 3)} vs "
        f"{num(lam_b.mean(), 3)}, ratio {_factor(diff.mean_diff)} {interval} (geometric mean "
        f"of the per-seed ratios, 95 % CI); min effect a factor {MIN_SHARPNESS_FACTOR:g}; "
        f"trace per kept weight {num(runs_a['trace_per_weight'].mean(), 3)} vs "
        f"{num(runs_b['trace_per_weight'].mean(), 3)}; {losses} {WHERE}: comparable loss: "
    )
    if not comparable:
        text += (
            f"no (they differ by {100 * gap:.0f} % > {100 * LOSS_TOLERANCE:.0f} %), so the "
            "sharpness comparison is confounded by the loss difference"
        )
        return INCONCLUSIVE, text + _dropped_text(dropped)
    text += f"yes (they differ by {100 * gap:.0f} %, tolerance {100 * LOSS_TOLERANCE:.0f} %)"
    verdict = directional_verdict(diff, expected_sign=-1, min_effect=math.log(MIN_SHARPNESS_FACTOR))
    return verdict, text + _dropped_text(dropped)


def depth_comparison(measures: pd.DataFrame, a: str, b: str) -> tuple[str, str]:
    """Verdict and text on "``a``'s minimum is deeper than ``b``'s": its own loss is lower."""
    runs_a, runs_b, dropped = _paired_runs(measures, a, b, ["loss"])
    head = f"the models' own loss {WHERE} (the centre of each landscape: depth means only this)"
    if runs_a.empty:
        return NOT_TESTED, f"{head}: no seed has both{_dropped_text(dropped)}"
    diff = paired_difference(runs_a["loss"].to_numpy(), runs_b["loss"].to_numpy())
    text = (
        f"{head}, paired by seed: {diff.text()}; min effect {MIN_LOSS_EFFECT:g} nats"
        + _dropped_text(dropped)
    )
    return directional_verdict(diff, expected_sign=-1, min_effect=MIN_LOSS_EFFECT), text


def landscape_claims(hessian: pd.DataFrame, models: list[str] | None = None) -> list[Claim]:
    """The study's landscape findings, one line per pair of models, judged by the Hessian."""
    measures = hessian_measures(hessian) if not hessian.empty else pd.DataFrame()
    if measures.empty:
        return [Claim("E3 landscape", "landscape findings", "no Hessian computed", NOT_TESTED)]
    present = model_order(models, measures["model"])
    rates = _rates(present)
    claims = []

    def add(study: str, a: str, b: str, compare) -> None:
        if a in present and b in present:
            verdict, text = compare(measures, a, b)
            claims.append(Claim("E3 landscape", f"{study}: {a} vs {b}", text, verdict))

    for rate in rates:
        add(
            "WLTs have a deeper minimum than the baseline",
            f"w0-{rate}",
            "baseline",
            depth_comparison,
        )
    wider = "the more the model is pruned, the wider (flatter) the minimum"
    for rate in reversed(rates):
        add(wider, f"w0-{rate}", "baseline", sharpness_comparison)
    for low, high in itertools.pairwise(rates):
        add(wider, f"w0-{high}", f"w0-{low}", sharpness_comparison)
    for rate in rates:
        add(
            "random-init tickets have a very flat landscape",
            f"random-{rate}",
            f"w0-{rate}",
            sharpness_comparison,
        )
    return claims


# --- lines between models and trajectories: descriptive ------------------------------------


def _interval_text(values: np.ndarray, digits: int = 3) -> str:
    """``0.012 [−0.004, +0.028] (n=3)``: the mean over the finite values (seeds) with its
    95 % Student-t interval."""
    values = values[np.isfinite(values)]
    if not values.size:
        return "n/a (no finite value)"
    mean, low, high = mean_interval(values)
    if not math.isfinite(low):
        return f"{num(mean, digits)} [no interval: n < 2]"
    return f"{num(mean, digits)} [{low:+.{digits}g}, {high:+.{digits}g}] (n={values.size})"


def barrier_table(barriers: pd.DataFrame) -> pd.DataFrame:
    """Per line (kind, a → b): seeds, end losses, and the loss and error barriers as the
    mean over seeds with its 95 % interval (a description: the study states no claim)."""
    rows = []
    for (kind, a, b), runs in barriers.groupby(["kind", "a", "b"], sort=False):
        rows.append(
            {
                "line": f"{a} → {b}",
                "kind": kind,
                "seeds": len(runs),
                "loss at a": runs["loss_a"].mean(),
                "loss at b": runs["loss_b"].mean(),
                "loss barrier (95 % CI)": _interval_text(runs["loss_barrier"].to_numpy(float)),
                "error barrier (95 % CI)": _interval_text(runs["error_barrier"].to_numpy(float)),
            }
        )
    return pd.DataFrame(rows)


def trajectory_table(paths: pd.DataFrame, models: list[str] | None = None) -> pd.DataFrame:
    """Per model: how much of its training path the trajectory plane holds, over seeds."""
    rows = []
    for model in model_order(models, paths["model"]):
        runs = paths[paths["model"] == model].groupby("seed").first()
        rows.append(
            {
                "model": model,
                "seeds": len(runs),
                "checkpoints": int(paths[paths["model"] == model].groupby("seed").size().max()),
                "PC 1 explained": runs["explained_x"].mean(),
                "PC 2 explained": runs["explained_y"].mean(),
            }
        )
    return pd.DataFrame(rows)
