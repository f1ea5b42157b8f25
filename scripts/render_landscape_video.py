"""Epoch-by-epoch landscape videos of one model (MP4, GIF) and pages that play them.

Axes and colour scale are fixed per scale and metric over every epoch and every
model of the render seed, so frames and videos of different models compare.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from prunescape.io import write_text
from prunescape.render import colour_limits, render_frames, video_page, write_video
from prunescape.runtime import job

# Chromium leaves a report's iframe blank when its data: URL passes 2 MB, and the
# report base64-encodes each page once more; the GIF fallback goes in only while
# the page (base64 MP4 + GIF) stays under this size.
PAGE_LIMIT = 1_500_000

with job(snakemake.threads, snakemake.log[0]):
    model, seed = snakemake.wildcards.model, snakemake.params.seed
    tidy = pd.read_csv(snakemake.input.landscapes)
    tidy = tidy[(tidy["seed"] == seed) & tidy["model"].isin(snakemake.params.models)]
    for video in snakemake.params.videos:
        mp4, gif, page = video["paths"]
        scale, metric = video["scale"], video["metric"]
        shared = tidy[np.isclose(tidy["scale"], float(scale))]
        own = shared[shared["model"] == model]
        if own.empty:
            raise ValueError(
                f"{snakemake.input.landscapes} has no {model} landscape of seed {seed} "
                f"at scale {scale}"
            )
        by_epoch = {int(epoch): frame for epoch, frame in own.groupby("epoch")}
        frames = render_frames(
            by_epoch,
            metric,
            draw="contour",
            title_prefix=f"{model} (seed {seed}), {metric}, scale {scale},",
            limits=colour_limits(shared, metric),
        )
        write_video(frames, mp4, gif, fps=snakemake.params.fps)
        title = f"{model} (seed {seed}): {metric} landscape by epoch, scale {scale}"
        movie, fallback = Path(mp4).read_bytes(), Path(gif).read_bytes()
        if 4 / 3 * (len(movie) + len(fallback)) > PAGE_LIMIT:
            fallback = None
        write_text(page, video_page(movie, fallback, title))
