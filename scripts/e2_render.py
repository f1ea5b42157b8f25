"""Per-epoch heat maps of one E2 metric, and the video stepping through them."""

from pathlib import Path

import pandas as pd

from prunescape.io import write_text
from prunescape.render import (
    colour_limits,
    heatmap_figure,
    render_frames,
    save_figure,
    video_page,
    write_video,
)
from prunescape.runtime import job

with job(snakemake.threads, snakemake.log[0]):
    metric = snakemake.wildcards.metric
    surface = pd.read_csv(snakemake.input.surfaces)
    limits = colour_limits(surface, metric)
    by_epoch = {int(e): frame for e, frame in surface.groupby("epoch")}
    for path, (epoch, frame) in zip(snakemake.output.heatmaps, by_epoch.items(), strict=True):
        title = f"E2 validation {metric}, epoch {epoch}"
        fig = heatmap_figure(frame, metric, title=title, limits=limits, xcol="alpha", ycol="beta")
        save_figure(fig, path)
    frames = render_frames(
        by_epoch,
        metric,
        draw="heatmap",
        title_prefix=f"E2 validation {metric}",
        xcol="alpha",
        ycol="beta",
        limits=limits,
    )
    write_video(frames, snakemake.output.mp4, snakemake.output.gif, fps=snakemake.params.fps)
    # The page carries the video itself: the report embeds pages, not sibling files.
    mp4, gif = Path(snakemake.output.mp4).read_bytes(), Path(snakemake.output.gif).read_bytes()
    write_text(snakemake.output.page, video_page(mp4, gif, f"E2: validation {metric} by epoch"))
