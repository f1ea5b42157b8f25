"""The results summary: flatness measures, claim verdicts and the two renderings."""

from __future__ import annotations

import base64
import math
import re

import numpy as np
import pandas as pd
import pytest
from test_e1_summary import e1_summary

from prunescape.render import video_page
from prunescape.summary import results_summary, setup_sentence
from prunescape.summary.claims import AGREES, DISAGREES, NO_DIFFERENCE, PARTLY
from prunescape.summary.document import Document
from prunescape.summary.e2 import best_points, e2_claims
from prunescape.summary.e3 import compare_models, e3_claims
from prunescape.summary.landscape import (
    centre_curvature,
    flatness_table,
    landscape_claims,
    loss_range,
    second_derivative,
)


def bowl(a: float, b: float, nx: int = 11, ny: int = 11, span: float = 1.0, **extra):
    """loss = 0.5 + a·x² + b·y² on an nx × ny grid over [-span, span]², rows shuffled."""
    xs, ys = np.linspace(-span, span, nx), np.linspace(-span, span, ny)
    gx, gy = np.meshgrid(xs, ys)
    frame = pd.DataFrame({"x": gx.ravel(), "y": gy.ravel()})
    frame["loss"] = 0.5 + a * frame["x"] ** 2 + b * frame["y"] ** 2
    for key, value in extra.items():
        frame[key] = value
    return frame.sample(frac=1, random_state=0).reset_index(drop=True)


# --- flatness -----------------------------------------------------------------------


def test_curvature_of_quadratic_bowl_is_analytic():
    cx, cy = centre_curvature(bowl(3.0, 0.5))
    assert cx == pytest.approx(6.0) and cy == pytest.approx(1.0)


def test_curvature_uses_the_scaled_step():
    """At scale s the grid's step is s times its spacing: f(s·x) = a·s²·x² has f'' = 2a."""
    frame = bowl(3.0 * 0.2**2, 0.5 * 0.2**2)  # the bowl of test above, seen at scale 0.2
    cx, cy = centre_curvature(frame, scale=0.2)
    assert cx == pytest.approx(6.0) and cy == pytest.approx(1.0)


def test_curvature_on_uneven_non_square_grid():
    xs = np.array([-1.0, -0.3, 0.0, 0.5, 2.0])
    ys = np.array([-0.25, 0.0, 0.75])
    gx, gy = np.meshgrid(xs, ys)
    frame = pd.DataFrame({"x": gx.ravel(), "y": gy.ravel()})
    frame["loss"] = 2 * frame["x"] ** 2 - frame["y"] ** 2 + 0.7 * frame["x"] + 3
    cx, cy = centre_curvature(frame)
    assert cx == pytest.approx(4.0) and cy == pytest.approx(-2.0)


def test_curvature_is_nan_without_a_centre_or_neighbours():
    assert all(math.isnan(c) for c in centre_curvature(bowl(1, 1, nx=4, ny=4)))
    row = pd.DataFrame({"x": [-2.0, -1.0, 0.0, 1.0, 2.0], "y": 0.0})  # no y neighbours
    row["loss"] = row["x"] ** 2
    cx, cy = centre_curvature(row)
    assert cx == pytest.approx(2.0) and math.isnan(cy)
    assert math.isnan(second_derivative(np.array([0.0, 1.0]), np.array([1.0, 2.0]), 0))


def test_loss_range_ignores_non_finite_values():
    frame = bowl(1.0, 2.0)
    assert loss_range(frame) == pytest.approx(3.0)
    frame.loc[0, "loss"] = np.nan
    frame.loc[1, "loss"] = np.inf
    assert loss_range(frame) <= 3.0


def landscapes() -> pd.DataFrame:
    """Baseline steep, w0 tickets wider the more pruned, random tickets nearly flat."""
    bowls = {
        "baseline": 4.0,
        "w0-30": 2.0,
        "random-30": 0.2,
        "w0-80": 1.0,
        "random-80": 0.1,
    }
    frames = []
    for scale in (1.0, 0.2):
        for model, a in bowls.items():
            frames.append(bowl(a * scale**2, a * scale**2, model=model, epoch=5, scale=scale))
            frames.append(bowl(9.0, 9.0, model=model, epoch=0, scale=scale))
    return pd.concat(frames, ignore_index=True)


MODELS = ["baseline", "w0-30", "random-30", "w0-80", "random-80"]


def test_flatness_table_per_model_and_scale():
    table = flatness_table(landscapes(), epoch=5, models=MODELS)
    assert len(table) == 10 and list(table["scale"].unique()) == [1.0, 0.2]
    local = table[table["scale"] == 0.2].set_index("model")
    assert local.loc["baseline", "mean curvature"] == pytest.approx(8.0)
    assert local.loc["w0-80", "curvature x"] == pytest.approx(2.0)
    assert local.loc["w0-30", "loss range"] == pytest.approx(2 * 2.0 * 0.04)
    assert local.loc["baseline", "centre loss"] == pytest.approx(0.5)


def test_landscape_claims_follow_the_numbers():
    claims = landscape_claims(flatness_table(landscapes(), epoch=5, models=MODELS), MODELS)
    verdicts = {c.study: c.verdict for c in claims}
    assert verdicts["the more the model is pruned, the wider the minimum (local view)"] == AGREES
    flat = next(v for s, v in verdicts.items() if s.startswith("random-init tickets"))
    assert flat == AGREES
    # Every bowl has the same lowest value 0.5: no ticket is deeper than the baseline.
    deeper = next(v for s, v in verdicts.items() if "deeper" in s)
    assert deeper == DISAGREES


# --- E2 --------------------------------------------------------------------------------


def e2_summary() -> pd.DataFrame:
    rows = []
    for alpha in (-1, -0.5, 0, 0.5, 1):
        for beta in (-1, -0.5, 0, 0.5, 1):
            loss = 2.0 - alpha + 0.1 * abs(beta)
            if (alpha, beta) == (-1, 0):
                loss = 0.2  # the study's surprise
            rows.append(
                {
                    "alpha": float(alpha),
                    "beta": float(beta),
                    "final_loss": loss,
                    "final_ppl": math.exp(loss),
                    "final_acc": 1 / (1 + loss),
                    "loss_rate": -0.1,
                    "acc_rate": 0.02,
                }
            )
    frame = pd.DataFrame(rows)
    frame["beats_centre"] = frame["final_loss"] < 2.0
    return frame.sort_values("final_loss", ignore_index=True)


def test_best_points_are_lowest_final_loss():
    best = best_points(e2_summary(), n=3)
    assert list(zip(best["alpha"], best["beta"], strict=True)) == [(-1, 0), (1, 0), (1, -0.5)]


def test_e2_claims():
    tickets = pd.DataFrame(
        [{"model": "baseline", "final_val_loss": 0.5, "final_val_acc": 0.8, "bleu": 30.0}]
    )
    claims = {c.study: c for c in e2_claims(e2_summary(), tickets, rate=10)}
    alpha = claims["points with larger α end with lower loss and higher accuracy"]
    assert alpha.verdict == AGREES and "ρ(α, final loss) = -" in alpha.measured
    points = next(c for s, c in claims.items() if s.startswith("(−1, 0)"))
    assert points.verdict == PARTLY  # (−1, 0) is best; (−0.5, 1) and (0, 1) are not
    assert "(-1, 0) rank 1 of 25" in points.measured
    ticket = next(c for s, c in claims.items() if "winning ticket" in s)
    assert ticket.verdict == AGREES and "10 %" in ticket.measured


# --- E3 --------------------------------------------------------------------------------


def tickets() -> pd.DataFrame:
    rows = [
        ("baseline", 0.0, 0.50, 0.70, 30.0),
        ("w0-30", 0.3, 0.45, 0.72, 31.0),
        ("random-30", 0.3, 0.60, 0.60, 25.0),
        ("w0-80", 0.8, 0.48, 0.71, 30.5),
        ("random-80", 0.8, 0.40, 0.51, 20.0),
    ]
    frame = pd.DataFrame(
        rows, columns=["model", "sparsity", "final_val_loss", "final_val_acc", "bleu"]
    )
    frame["best_val_loss"] = frame["final_val_loss"]
    frame["best_val_acc"] = frame["final_val_acc"]
    frame["best_epoch"] = 5
    return frame


def test_compare_models():
    table = tickets().set_index("model")
    assert compare_models(table.loc["w0-30"], table.loc["random-30"]) == "better"
    assert compare_models(table.loc["random-30"], table.loc["w0-30"]) == "worse"
    assert compare_models(table.loc["w0-80"], table.loc["random-80"]) == "mixed"
    assert compare_models(table.loc["w0-80"], table.loc["w0-80"]) == NO_DIFFERENCE


def test_e3_claims():
    claims = e3_claims(tickets())
    assert claims[0].verdict == PARTLY  # better at 30 %, mixed at 80 %
    assert "30 %" in claims[0].measured and "80 %" in claims[0].measured
    assert (
        claims[1].study == "the 80 % WLT beats the dense baseline" and claims[1].verdict == AGREES
    )
    assert "51.0 % → 71.0 %" in claims[2].measured


# --- the document ----------------------------------------------------------------------


def full_summary():
    surfaces = e2_summary()[["alpha", "beta", "final_loss"]].rename(columns={"final_loss": "loss"})
    surfaces["epoch"] = 0
    attention = e1_summary()
    return results_summary(
        attention=attention,
        tickets=tickets(),
        e2_summary=e2_summary(),
        e2_surfaces=surfaces,
        landscapes=landscapes(),
        landscape_epoch=5,
        run="unit",
        setup="Tiny numbers made up for a test.",
        e2_rate=10,
    )


def test_results_summary_markdown():
    text = full_summary().to_markdown()
    assert text.startswith("# Results of run unit")
    for heading in ("## At a glance", "## E1:", "## E2:", "## E3: lottery", "## E3: landscape"):
        assert heading in text
    assert "Adam (0.403) > Adam+RedLR (0.404)" in text and "Tiny numbers made up" in text
    table_rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert all(line.endswith(" |") for line in table_rows)
    assert "nan" not in text.lower().replace("n/a", "")


def test_results_summary_html_is_escaped_and_self_contained():
    page = full_summary().to_html()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<table>" in page and "<code>unit</code>" not in page
    assert "src=" not in page and "href=" not in page  # nothing to fetch
    doc = Document("a < b")
    doc.paragraph("use `x<y` and **bold & brave**")
    html = doc.to_html()
    assert "<h1>a &lt; b</h1>" in html
    assert "<code>x&lt;y</code>" in html and "<strong>bold &amp; brave</strong>" in html


def test_video_page_embeds_both_files():
    page = video_page(b"mp4-bytes", b"gif-bytes", "w0-30 <loss>")
    uris = re.findall(r'src="data:([^;]+);base64,([^"]+)"', page)
    assert [(mime, base64.b64decode(data)) for mime, data in uris] == [
        ("video/mp4", b"mp4-bytes"),
        ("image/gif", b"gif-bytes"),
    ]
    assert "w0-30 &lt;loss&gt;" in page


def test_video_page_without_gif():
    page = video_page(b"mp4-bytes", None, "long video")
    assert page.count("data:") == 1 and "data:video/mp4;base64," in page


def test_setup_sentence():
    text = setup_sentence("quick", corpus="synthetic", layers=2, d_model=32, epochs=5, grid=[11, 9])
    assert text == (
        "Run `quick` used the synthetic corpus, a 2+2-layer transformer with d_model 32, "
        "5 training epochs, and landscape grids of 11×9 points."
    )
