"""Epoch-by-epoch landscape videos of one model (MP4, GIF) and pages that play them.

Axes and colour scale are fixed per scale and metric over every epoch and every
model, so frames and videos of different models compare.
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
    model = snakemake.wildcards.model
    tidy = pd.read_csv(snakemake.input.landscapes)
    tidy = tidy[
        tidy["epoch"].isin(snakemake.params.epochs) & tidy["model"].isin(snakemake.params.models)
    ]
    outputs = zip(snakemake.output.mp4, snakemake.output.gif, snakemake.output.page, strict=True)
    for mp4, gif, page in outputs:
        name, metric = Path(mp4).stem.rsplit("_", 1)
        scale = name.removeprefix("scale_")
        shared = tidy[np.isclose(tidy["scale"], float(scale))]
        own = shared[shared["model"] == model]
        by_epoch = {int(epoch): frame for epoch, frame in own.groupby("epoch")}
        if sorted(by_epoch) != sorted(snakemake.params.epochs):
            raise ValueError(
                f"{snakemake.input.landscapes}: {model} at scale {scale} has epochs "
                f"{sorted(by_epoch)}, expected {snakemake.params.epochs}"
            )
        frames = render_frames(
            by_epoch,
            metric,
            draw="contour",
            title_prefix=f"{model}, {metric}, scale {scale},",
            limits=colour_limits(shared, metric),
        )
        write_video(frames, mp4, gif, fps=snakemake.params.fps)
        title = f"{model}: {metric} landscape by epoch, scale {scale}"
        video, fallback = Path(mp4).read_bytes(), Path(gif).read_bytes()
        if 4 / 3 * (len(video) + len(fallback)) > PAGE_LIMIT:
            fallback = None
        write_text(page, video_page(video, fallback, title))
