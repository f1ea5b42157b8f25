"""Landscape flatness (E3): loss range and curvature at the centre, and the claims on them."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from prunescape.summary.claims import NOT_RUN, Claim, num, tally
from prunescape.summary.e3 import ticket_rates


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


def flatness_table(landscapes: pd.DataFrame, epoch: int, models: list[str]) -> pd.DataFrame:
    """Per model and scale at ``epoch``: centre, lowest and highest loss, range, curvatures."""
    rows = []
    at_epoch = landscapes[landscapes["epoch"] == epoch]
    for scale in sorted(at_epoch["scale"].unique(), reverse=True):
        for model in models:
            frame = at_epoch[(at_epoch["model"] == model) & (at_epoch["scale"] == scale)]
            if frame.empty:
                continue
            cx, cy = centre_curvature(frame, scale=float(scale))
            rows.append(
                {
                    "model": model,
                    "scale": float(scale),
                    "centre loss": centre_value(frame),
                    "lowest loss": float(frame["loss"].min()),
                    "highest loss": float(frame["loss"].max()),
                    "loss range": loss_range(frame),
                    "curvature x": cx,
                    "curvature y": cy,
                    "mean curvature": (cx + cy) / 2,
                }
            )
    return pd.DataFrame(rows)


def landscape_claims(flatness: pd.DataFrame, models: list[str]) -> list[Claim]:
    """The study's landscape findings, global view = largest scale, local = smallest."""
    if flatness.empty:
        return [Claim("E3 landscape", "landscape findings", "no landscape computed", NOT_RUN)]
    scales = sorted(flatness["scale"].unique())
    local, wide = scales[0], scales[-1]
    glob = flatness[flatness["scale"] == wide].set_index("model")
    loc = flatness[flatness["scale"] == local].set_index("model")
    rates = ticket_rates(models)
    claims = []

    outcomes, lines = [], []
    for rate in rates:
        if f"w0-{rate}" in glob.index and "baseline" in glob.index:
            ours, base = glob.loc[f"w0-{rate}", "lowest loss"], glob.loc["baseline", "lowest loss"]
            outcomes.append(ours < base)
            lines.append(f"w0-{rate} {num(ours)}")
    if lines:
        claims.append(
            Claim(
                "E3 landscape",
                "WLTs have a deeper minimum than the baseline (global view)",
                f"lowest loss on the scale-{wide:g} grid: baseline "
                f"{num(glob.loc['baseline', 'lowest loss'])}, " + ", ".join(lines),
                tally(outcomes),
            )
        )

    chain = [m for m in ["baseline", *(f"w0-{r}" for r in rates)] if m in loc.index]
    curv = [loc.loc[m, "mean curvature"] for m in chain]
    if len(chain) > 1 and all(math.isfinite(c) for c in curv):
        steps = [b < a for a, b in itertools.pairwise(curv)]
        claims.append(
            Claim(
                "E3 landscape",
                "the more the model is pruned, the wider the minimum (local view)",
                f"mean curvature at the centre, scale {local:g}: "
                + ", ".join(f"{m} {num(c, 3)}" for m, c in zip(chain, curv, strict=True)),
                tally(steps),
            )
        )

    outcomes, lines = [], []
    for rate in rates:
        w0, rnd = f"w0-{rate}", f"random-{rate}"
        if {w0, rnd} <= set(glob.index) and {w0, rnd} <= set(loc.index):
            flatter_range = glob.loc[rnd, "loss range"] < glob.loc[w0, "loss range"]
            flatter_centre = abs(loc.loc[rnd, "mean curvature"]) < abs(
                loc.loc[w0, "mean curvature"]
            )
            outcomes += [bool(flatter_range), bool(flatter_centre)]
            lines.append(
                f"{rate} %: range {num(glob.loc[rnd, 'loss range'])} vs "
                f"{num(glob.loc[w0, 'loss range'])}, curvature "
                f"{num(loc.loc[rnd, 'mean curvature'], 3)} vs "
                f"{num(loc.loc[w0, 'mean curvature'], 3)}"
            )
    if lines:
        claims.append(
            Claim(
                "E3 landscape",
                "random-init tickets have a much smaller loss range and a very flat landscape",
                f"random vs w0, loss range at scale {wide:g} and mean curvature at scale "
                f"{local:g}: " + "; ".join(lines),
                tally(outcomes),
            )
        )
    return claims
