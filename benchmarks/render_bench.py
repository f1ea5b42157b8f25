"""What rendering the default run's figures and videos costs, before and after the fixed layout.

One job of each render rule of the default config runs in-process on a synthetic
tidy landscape shaped like that run's (5 models, scales 1.0 and 0.2, an 11×11 grid,
epochs 0, 2, 4 and 5, metrics loss/ppl/acc; E2: a 5×5 grid over epochs 0..5):
``landscape_figures`` for one model and scale, ``landscape_comparison`` for one
scale, ``landscape_video`` for one model, ``e2_render`` for one metric. Each is
timed the way it ran before (constrained layout, every figure built again for its
PDF) and the way it runs now (fixed layout, one drawing per figure; PNG only, and
PNG + PDF), in the same process. Totals multiply by the default run's job counts.
Wall time, so a busy machine inflates both sides; compare the ratios.

    python benchmarks/render_bench.py             # about a minute on 2 cores
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from prunescape.render import (
    colour_limits,
    comparison_figure,
    contour_figure,
    heatmap_figure,
    render_frames,
    save_figure,
    surface_figure,
    write_video,
)
from prunescape.render.surfaces import add_colourbar, draw_contour, draw_heatmap, draw_surface

MODELS = ["baseline", "w0-30", "random-30", "w0-80", "random-80"]
SCALES = [1.0, 0.2]
EPOCHS = [0, 2, 4, 5]
METRICS = ["loss", "ppl", "acc"]
KINDS = ["contour", "surface"]
E2_EPOCHS = range(6)
# Jobs of each rule in the default run.
JOBS = {"figures": len(MODELS) * len(SCALES), "comparison": len(SCALES), "video": 5, "e2": 3}


def landscapes(n: int = 11) -> pd.DataFrame:
    """A tidy landscape frame: one bowl per model, scale and epoch, deepening with epochs."""
    rows = []
    for m, model in enumerate(MODELS):
        for scale in SCALES:
            for epoch in EPOCHS:
                for y in np.linspace(-scale, scale, n):
                    for x in np.linspace(-scale, scale, n):
                        loss = 1 + 0.2 * m + (x**2 + 2 * y**2) / scale**2 + 1 / (1 + epoch)
                        rows.append((model, epoch, scale, x, y, loss, np.exp(loss), 1 / (1 + loss)))
    return pd.DataFrame(rows, columns=["model", "epoch", "scale", "x", "y", *METRICS])


def e2_surfaces(n: int = 5) -> pd.DataFrame:
    grid = np.linspace(-1, 1, n)
    rows = [
        (epoch, a, b, 2 + (a - 1) ** 2 + b**2 - 0.2 * epoch)
        for epoch in E2_EPOCHS
        for b in grid
        for a in grid
    ]
    frame = pd.DataFrame(rows, columns=["epoch", "alpha", "beta", "loss"])
    return frame.assign(ppl=np.exp(frame["loss"]), acc=1 / (1 + frame["loss"]))


def constrained(kind: str, frames: dict[str, pd.DataFrame], metric: str, limits) -> plt.Figure:
    """The figure as it was drawn before: constrained layout, which runs on every save."""
    painter = {"contour": draw_contour, "surface": draw_surface, "heatmap": draw_heatmap}[kind]
    size = (7, 5.5) if kind == "surface" else (6, 5)
    if len(frames) > 1:
        size = (3.6 * len(frames) + 1.2, 4.2)
    fig = plt.figure(figsize=size, constrained_layout=True)
    axes = []
    for i, (model, frame) in enumerate(frames.items(), start=1):
        ax = fig.add_subplot(1, len(frames), i, projection="3d" if kind == "surface" else None)
        options = {"xcol": "alpha", "ycol": "beta"} if kind == "heatmap" else {}
        mappable = painter(ax, frame, metric, limits=limits, **options)
        ax.set_title(model)
        axes.append(ax)
    add_colourbar(fig, mappable, metric, ax=axes, shrink=0.9)
    return fig


def figures_job(tidy: pd.DataFrame, out: Path, way: str) -> None:
    """``landscape_figures`` for the baseline at scale 1: contour and surface per metric."""
    shared = tidy[(tidy["epoch"] == EPOCHS[-1]) & (tidy["scale"] == 1.0)]
    frame = shared[shared["model"] == "baseline"]
    draw = {"contour": contour_figure, "surface": surface_figure}
    for metric in METRICS:
        limits = colour_limits(shared, metric)
        for kind in KINDS:
            stem = out / f"{metric}_{kind}"
            if way == "before":
                for suffix in (".png", ".pdf"):
                    fig = constrained(kind, {"baseline": frame}, metric, limits)
                    save_figure(fig, stem.with_suffix(suffix))
            else:
                fig = draw[kind](frame, metric, limits=limits)
                save_figure(fig, [stem.with_suffix(f".{s}") for s in FORMATS[way]])


def comparison_job(tidy: pd.DataFrame, out: Path, way: str) -> None:
    """``landscape_comparison`` at scale 1: five panels, contour and surface per metric."""
    shared = tidy[(tidy["epoch"] == EPOCHS[-1]) & (tidy["scale"] == 1.0)]
    frames = {model: shared[shared["model"] == model] for model in MODELS}
    for metric in METRICS:
        limits = colour_limits(shared, metric)
        for kind in KINDS:
            stem = out / f"cmp_{metric}_{kind}"
            if way == "before":
                for suffix in (".png", ".pdf"):
                    save_figure(constrained(kind, frames, metric, limits), stem.with_suffix(suffix))
            else:
                fig = comparison_figure(frames, metric, kind=kind, limits=limits)
                save_figure(fig, [stem.with_suffix(f".{s}") for s in FORMATS[way]])


def video_job(tidy: pd.DataFrame, out: Path, way: str) -> None:
    """``landscape_video`` for the baseline: one video per scale and metric (unchanged)."""
    own = tidy[tidy["model"] == "baseline"]
    for scale in SCALES:
        at_scale = own[own["scale"] == scale]
        by_epoch = {int(e): f for e, f in at_scale.groupby("epoch")}
        for metric in METRICS:
            images = render_frames(by_epoch, metric, draw="contour")
            write_video(images, out / f"v_{scale}_{metric}.mp4", out / f"v_{scale}_{metric}.gif")


def e2_job(surface: pd.DataFrame, out: Path, way: str) -> None:
    """``e2_render`` for the loss: a heat map per epoch, then the video."""
    limits = colour_limits(surface, "loss")
    by_epoch = {int(e): f for e, f in surface.groupby("epoch")}
    for epoch, frame in by_epoch.items():
        path = out / f"e2_{epoch}.png"
        if way == "before":
            save_figure(constrained("heatmap", {"": frame}, "loss", limits), path)
        else:
            save_figure(
                heatmap_figure(frame, "loss", limits=limits, xcol="alpha", ycol="beta"), path
            )
    images = render_frames(by_epoch, "loss", xcol="alpha", ycol="beta", limits=limits)
    write_video(images, out / "e2.mp4", out / "e2.gif")


FORMATS = {"after": ("png",), "after+pdf": ("png", "pdf")}
WAYS = ["before", "after", "after+pdf"]


def seconds(job: Callable[[Path], None], repeat: int) -> float:
    """Best wall time of ``repeat`` runs, each into a fresh folder."""
    best = float("inf")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            job(Path(folder))
            best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (best kept)")
    args = parser.parse_args()
    tidy, surface = landscapes(), e2_surfaces()
    jobs = {
        "figures": lambda way: lambda out: figures_job(tidy, out, way),
        "comparison": lambda way: lambda out: comparison_job(tidy, out, way),
        "video": lambda way: lambda out: video_job(tidy, out, way),
        "e2": lambda way: lambda out: e2_job(surface, out, way),
    }
    print(f"{'job (one of each rule)':24} {'before':>8} {'after':>8} {'+pdf':>8} {'ratio':>6}")
    totals = dict.fromkeys(WAYS, 0.0)
    for name, make in jobs.items():
        ways = WAYS if name in ("figures", "comparison") else WAYS[:2]
        times = {way: seconds(make(way), args.repeat) for way in ways}
        times.setdefault("after+pdf", times["after"])
        for way in WAYS:
            totals[way] += JOBS[name] * times[way]
        print(
            f"{name:24} {times['before']:8.2f} {times['after']:8.2f} {times['after+pdf']:8.2f} "
            f"{times['before'] / times['after']:6.2f}"
        )
    print(
        f"{'default run (job counts)':24} {totals['before']:8.1f} {totals['after']:8.1f} "
        f"{totals['after+pdf']:8.1f} {totals['before'] / totals['after']:6.2f}"
    )
    print(
        "seconds in-process, no interpreter start; 'before' writes PNG + PDF as the default "
        "run did, 'after' PNG only, '+pdf' both formats from one drawing"
    )


if __name__ == "__main__":
    main()
