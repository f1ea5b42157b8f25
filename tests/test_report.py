"""The results summary: flatness measures, claim verdicts and the two renderings."""

from __future__ import annotations

import base64
import math
import re

import numpy as np
import pandas as pd
import pytest
from test_e1_summary import e1_summary
from test_e2_summary import e2_summary, e2_surfaces
from test_landscape_summary import STUDY_LAMS, hessian
from test_tickets import CLEAR, claims_table

from prunescape.render import video_page
from prunescape.summary import results_summary, setup_sentence
from prunescape.summary.claims import AGREES
from prunescape.summary.document import Document
from prunescape.summary.e3 import e3_claims
from prunescape.summary.landscape import (
    centre_curvature,
    grid_table,
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


def test_grid_table_per_model_and_scale_at_the_last_epoch():
    table = grid_table(landscapes(), MODELS)
    assert len(table) == 10 and list(table["scale"].unique()) == [1.0, 0.2]
    local = table[table["scale"] == 0.2].set_index("model")
    assert (local["last epoch"] == "5").all() and (local["seeds"] == 1).all()
    assert local.loc["baseline", "mean curvature"] == pytest.approx(8.0)
    assert local.loc["w0-80", "curvature x"] == pytest.approx(2.0)
    assert local.loc["w0-30", "loss range"] == pytest.approx(2 * 2.0 * 0.04)
    assert local.loc["baseline", "own loss (centre)"] == pytest.approx(0.5)


# --- E3 --------------------------------------------------------------------------------


def tickets() -> pd.DataFrame:
    """Three seeds of every E3 model, in the comparison table's per-run format."""
    return claims_table(CLEAR)


def test_e3_claims():
    claims = {c.study: c for c in e3_claims(tickets())}
    wlt = claims["the 80 % WLT beats the dense baseline: final quality"]
    assert wlt.verdict == AGREES and "n=3" in wlt.measured
    assert "30 % pruned" in " ".join(claims) and "80 % pruned" in " ".join(claims)
    gap = next(c for s, c in claims.items() if "51 % → 70 %" in s)
    assert "w0-80 vs baseline, paired by seed, n=3: 70 vs 50, Δ +20" in gap.measured


# --- the document ----------------------------------------------------------------------


def full_summary():
    attention = e1_summary()
    return results_summary(
        attention=attention,
        tickets=tickets(),
        e2_summary=e2_summary(),
        e2_surfaces=e2_surfaces(),
        landscapes=landscapes(),
        hessian=hessian(STUDY_LAMS),
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
    text = setup_sentence(
        "quick",
        corpus="synthetic",
        layers=2,
        d_model=32,
        epochs=5,
        grid=[11, 9],
        seeds=[0, 1, 2],
        schedule="lr_mul 0.5 chosen by the tune stage from [0.25, 0.5, 1.0]",
    )
    assert text == (
        "Run `quick` used the synthetic corpus, a 2+2-layer transformer with d_model 32, "
        "at most 5 training epochs per run, lr_mul 0.5 chosen by the tune stage from "
        "[0.25, 0.5, 1.0], 3 seeds (0, 1, 2) per training arm, and landscape grids of "
        "11×9 points."
    )
