"""The study's claims set beside our measured numbers, as Markdown and as an HTML page.

Pure functions on the workflow's tables (E1 ``attention/summary.csv``, E3
``tickets/comparison.csv``, E2 ``e2/summary.csv`` and ``e2/surfaces.csv``, the
tidy ``landscape/landscapes.csv``): frames in; numbers, frames and text out.
:func:`results_summary` assembles one :class:`Document`, which renders as
Markdown (``summary.md``) and as a self-contained HTML page, because a
Snakemake report shows HTML pages inline but only offers Markdown as a download.

Every verdict follows a rule stated next to it; where the study's claim has no
measurable form (or the experiment was not run) the verdict says so.
"""

from __future__ import annotations

import html
import itertools
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from prunescape.attention.analysis import convergence_order

AGREES, PARTLY, DISAGREES = "agrees", "partly", "disagrees"
NO_DIFFERENCE, NOT_RUN, NOT_JUDGED = "no difference", "not run", "not judged"

# ---------------------------------------------------------------------------
# A document of headings, paragraphs, lists and tables, rendered twice.

INLINE_CODE = re.compile(r"`([^`]+)`")
INLINE_BOLD = re.compile(r"\*\*([^*]+)\*\*")

PAGE_STYLE = """body { font-family: sans-serif; margin: 1.5em; max-width: 70em; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f3f3f3; padding: 0 0.2em; }"""


def format_cell(value: object, digits: int = 4) -> str:
    """Floats to ``digits`` significant figures, NaN to "n/a", the rest as text."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return "n/a" if not math.isfinite(value) else f"{value:.{digits}g}"
    return str(value)


def _markdown_row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _inline_html(text: str) -> str:
    text = html.escape(text, quote=False)
    text = INLINE_CODE.sub(r"<code>\1</code>", text)
    return INLINE_BOLD.sub(r"<strong>\1</strong>", text)


@dataclass
class Document:
    """Blocks kept as data so Markdown and HTML say exactly the same thing.

    Text may use two inline marks, ```code``` and ``**bold**``.
    """

    title: str
    blocks: list[tuple] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(("heading", level, text))

    def paragraph(self, text: str) -> None:
        self.blocks.append(("paragraph", text))

    def bullets(self, items: list[str]) -> None:
        if items:
            self.blocks.append(("bullets", list(items)))

    def table(self, frame: pd.DataFrame, digits: int = 4) -> None:
        header = [str(c) for c in frame.columns]
        rows = [[format_cell(v, digits) for v in row] for row in frame.itertuples(index=False)]
        numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
        self.blocks.append(("table", header, rows, numeric))

    def to_markdown(self) -> str:
        parts = [f"# {self.title}"]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                parts.append(f"{'#' * block[1]} {block[2]}")
            elif kind == "paragraph":
                parts.append(block[1])
            elif kind == "bullets":
                parts.append("\n".join(f"- {item}" for item in block[1]))
            else:
                _, header, rows, numeric = block
                lines = [_markdown_row(header)]
                lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
                lines += [_markdown_row(row) for row in rows]
                parts.append("\n".join(lines))
        return "\n\n".join(parts) + "\n"

    def to_html(self) -> str:
        body = [f"<h1>{_inline_html(self.title)}</h1>"]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                body.append(f"<h{block[1]}>{_inline_html(block[2])}</h{block[1]}>")
            elif kind == "paragraph":
                body.append(f"<p>{_inline_html(block[1])}</p>")
            elif kind == "bullets":
                items = "".join(f"<li>{_inline_html(item)}</li>" for item in block[1])
                body.append(f"<ul>{items}</ul>")
            else:
                _, header, rows, numeric = block
                head = "".join(f"<th>{_inline_html(h)}</th>" for h in header)
                lines = [f"<table>\n<tr>{head}</tr>"]
                for row in rows:
                    cells = "".join(
                        f'<td class="num">{_inline_html(c)}</td>'
                        if n
                        else f"<td>{_inline_html(c)}</td>"
                        for c, n in zip(row, numeric, strict=True)
                    )
                    lines.append(f"<tr>{cells}</tr>")
                lines.append("</table>")
                body.append("\n".join(lines))
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(self.title)}</title>\n<style>\n{PAGE_STYLE}\n</style>\n"
            "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
        )


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


# ---------------------------------------------------------------------------
# E1: optimiser settings on one attention block.

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


# ---------------------------------------------------------------------------
# E3: the baseline against lottery tickets from w0 and from a random init.


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


# ---------------------------------------------------------------------------
# Landscape flatness (E3): loss range and curvature at the centre.


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


# ---------------------------------------------------------------------------
# E2: retraining from starting points w0 + αx + βy.

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


# ---------------------------------------------------------------------------
# The whole summary.


def setup_sentence(
    run: str, *, corpus: str, layers: int, d_model: int, epochs: int, grid: list[int]
) -> str:
    """One sentence on the run's size, for the summary's introduction."""
    return (
        f"Run `{run}` used the {corpus} corpus, a {layers}+{layers}-layer transformer with "
        f"d_model {d_model}, {epochs} training epochs, and landscape grids of "
        f"{grid[0]}×{grid[1]} points."
    )


def results_summary(
    *,
    attention: pd.DataFrame,
    tickets: pd.DataFrame,
    e2_summary: pd.DataFrame,
    e2_surfaces: pd.DataFrame | None,
    landscapes: pd.DataFrame,
    landscape_epoch: int,
    run: str,
    setup: str = "",
    e2_rate: int | None = None,
) -> Document:
    """The results page: claims at a glance, then each experiment's numbers."""
    models = list(tickets["model"])
    flatness = flatness_table(landscapes, landscape_epoch, models)
    e1 = e1_claims(attention)
    e3 = e3_claims(tickets)
    land = landscape_claims(flatness, models)
    e2 = e2_claims(e2_summary, tickets, e2_rate)
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
        + ", ".join(f"{counts.get(v, 0)} × {v}" for v in (AGREES, PARTLY, DISAGREES))
        + f", {sum(counts.get(v, 0) for v in (NO_DIFFERENCE, NOT_JUDGED, NOT_RUN))} "
        "without a verdict."
    )
    doc.heading("At a glance")
    doc.table(claims_frame(claims))

    doc.heading("E1: optimisers on one attention block")
    measured = measured_order_text(attention) or "not run"
    doc.paragraph(
        f"Study: {STUDY_E1_ORDER}. Measured (fastest first, by validation epochs to the loss "
        f"threshold, then final validation loss): **{measured}**. "
        "The decay exponent p fits loss − best ∝ T^−p (p = 1 is O(1/T), p = 2 is O(1/T²))."
    )
    if not attention.empty:
        doc.table(e1_table(attention))
    doc.bullets([f"{c.study}: {c.measured} (**{c.verdict}**)" for c in e1])

    doc.heading("E2: retraining from starting points w0 + αx + βy")
    doc.paragraph(
        "x = w* − w0 points from the recorded init to the trained baseline, y is a random "
        "filter-normalised direction; every point keeps the pruning mask. Best points by "
        "final validation loss (start loss is epoch 0, before retraining):"
    )
    doc.table(e2_table(e2_summary, e2_surfaces, n=min(5, len(e2_summary))))
    beating = point_ranks(e2_summary)
    beating = beating[beating["beats_centre"].astype(bool)]
    doc.paragraph(
        "Points that end below the centre (0, 0) in validation loss: "
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
        "random-R: the same mask from a fresh init. Validation metrics after the last epoch."
    )
    doc.table(e3_table(tickets))
    doc.bullets([f"{c.study}: {c.measured} (**{c.verdict}**)" for c in e3])

    doc.heading("E3: landscape flatness")
    doc.paragraph(
        f"Landscapes at epoch {landscape_epoch} (the last drawn). Loss range = highest − lowest "
        "loss over the grid; curvature = central second difference of the loss at (0, 0) along "
        "each direction, per unit of the filter-normalised direction (grid step × scale), so "
        "smaller means a wider, flatter minimum."
    )
    if not flatness.empty:
        doc.table(flatness, digits=4)
    doc.bullets([f"{c.study}: {c.measured} (**{c.verdict}**)" for c in land])
    return doc


# ---------------------------------------------------------------------------
# A video page the Snakemake report can show.
