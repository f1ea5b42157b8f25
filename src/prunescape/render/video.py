"""Epoch-by-epoch videos of a surface (MP4 and GIF) and a page that plays them.

Every frame is drawn on the same fixed axes rectangle, axis range and colour
scale, so what moves between frames is the surface, not the layout.
"""

from __future__ import annotations

import base64
import contextlib
import html
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import imageio.v2 as imageio
import imageio.v3 as iio
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure

from prunescape.io import atomic_path
from prunescape.render.surfaces import (
    add_colourbar,
    cell_edges,
    colour_limits,
    colour_map,
    draw_contour,
    draw_heatmap,
    norm,
)

# H.264 encodes 16×16 macro blocks; imageio would resize other sizes behind our back.
MACRO_BLOCK = 16
# Axes and colourbar rectangles in figure fractions: identical in every frame.
AXES_RECT = (0.12, 0.11, 0.66, 0.79)
COLOURBAR_RECT = (0.82, 0.11, 0.03, 0.79)


def render_frames(
    frames_by_epoch: Mapping[int, pd.DataFrame],
    metric: str,
    *,
    draw: str = "heatmap",
    title_prefix: str = "",
    xcol: str = "x",
    ycol: str = "y",
    size: tuple[int, int] = (640, 480),
    dpi: int = 100,
    limits: tuple[float, float] | None = None,
) -> list[np.ndarray]:
    """One RGB uint8 image (H, W, 3) per epoch, in epoch order, titled with its epoch.

    ``size`` is (W, H) in pixels and must be a multiple of 16 both ways so the
    MP4 encoder keeps every pixel. Colour limits default to the range over all
    epochs. An epoch without finite cells says so in its frame; the colourbar stays.
    """
    if not frames_by_epoch:
        raise ValueError("render_frames needs at least one epoch")
    if draw not in ("heatmap", "contour"):
        raise ValueError(f"draw must be heatmap or contour, got {draw!r}")
    width, height = size
    if width % MACRO_BLOCK or height % MACRO_BLOCK:
        raise ValueError(f"video size {width}×{height} must be a multiple of {MACRO_BLOCK}")
    everything = pd.concat(frames_by_epoch.values())
    limits = limits or colour_limits(everything, metric)
    xs = np.unique(everything[xcol].to_numpy(dtype=float))
    ys = np.unique(everything[ycol].to_numpy(dtype=float))
    if draw == "heatmap":
        xs, ys = cell_edges(xs), cell_edges(ys)
    painter = draw_heatmap if draw == "heatmap" else draw_contour
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes(AXES_RECT)
    epochs = sorted(frames_by_epoch)
    # The first epoch's drawing labels the axes and gives the colourbar its bands;
    # then it goes, and what stays (axes, ticks, colourbar) is drawn once and
    # restored under every frame: ticks and text are most of a frame's drawing time.
    fixed = set(ax.get_children())
    mappable = painter(ax, frames_by_epoch[epochs[0]], metric, limits=limits, xcol=xcol, ycol=ycol)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    if limits is not None:
        mappable = mappable or ScalarMappable(norm(metric, limits), colour_map(metric))
        add_colourbar(fig, mappable, metric, cax=fig.add_axes(COLOURBAR_RECT))
    for artist in set(ax.get_children()) - fixed:
        artist.remove()
    title = ax.set_title(" ")
    title.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    images = []
    for epoch in epochs:
        canvas.restore_region(background)
        before = set(ax.get_children())
        painter(ax, frames_by_epoch[epoch], metric, limits=limits, xcol=xcol, ycol=ycol)
        ax.set_xlim(xs[0], xs[-1])  # the background's ticks were drawn for these
        ax.set_ylim(ys[0], ys[-1])
        # In matplotlib's own order: by zorder, ties in the order the artists were added.
        new = [artist for artist in ax.get_children() if artist not in before]
        drawn = sorted(new, key=lambda artist: artist.get_zorder())
        for artist in [*drawn, *ax.spines.values()]:
            ax.draw_artist(artist)
        title.set_text(f"{title_prefix} epoch {epoch}".strip())
        ax.draw_artist(title)
        image = np.asarray(canvas.buffer_rgba())[:, :, :3].copy()
        if image.shape != (height, width, 3):
            raise RuntimeError(f"rendered {image.shape[1]}×{image.shape[0]}, not {width}×{height}")
        images.append(image)
        for artist in drawn:
            artist.remove()
    return images


@contextlib.contextmanager
def _suffixed_temp(path: str | os.PathLike) -> Iterator[Path]:
    """Atomic temporary path that keeps the target's suffix, which writers read the format from."""
    with atomic_path(path) as tmp:
        suffixed = tmp.with_name(tmp.name + Path(path).suffix)
        try:
            yield suffixed
            os.replace(suffixed, tmp)
        finally:
            suffixed.unlink(missing_ok=True)


def write_video(
    frames: Sequence[np.ndarray],
    mp4_path: str | os.PathLike,
    gif_path: str | os.PathLike,
    fps: float = 2,
) -> None:
    """Write the same frames as an H.264 MP4 (yuv420p, plays in browsers) and a looping GIF.

    Pillow merges identical consecutive GIF frames; frames from :func:`render_frames`
    never are, as each names its epoch.
    """
    if not frames:
        raise ValueError("write_video needs at least one frame")
    shape = frames[0].shape
    if any(frame.shape != shape for frame in frames):
        raise ValueError("all video frames must have the same size")
    height, width = shape[:2]
    if width % MACRO_BLOCK or height % MACRO_BLOCK:
        raise ValueError(f"frame size {width}×{height} must be a multiple of {MACRO_BLOCK}")
    with _suffixed_temp(mp4_path) as tmp:
        writer = imageio.get_writer(
            tmp,
            format="FFMPEG",
            mode="I",
            fps=fps,
            codec="libx264",
            pixelformat="yuv420p",
            macro_block_size=MACRO_BLOCK,
            quality=8,
            ffmpeg_log_level="error",
            # No encoder version tags in the container, so reruns give identical bytes.
            output_params=["-fflags", "+bitexact"],
        )
        with writer:
            for frame in frames:
                writer.append_data(frame)
    with _suffixed_temp(gif_path) as tmp:
        iio.imwrite(tmp, np.stack(frames), plugin="pillow", duration=1000 / fps, loop=0)


def data_uri(payload: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def video_page(mp4: bytes, gif: bytes | None, title: str) -> str:
    """HTML page with the MP4 inlined as a data URI, and the GIF as fallback when given.

    Self-contained, so it plays inside a Snakemake report (which embeds the page
    itself as a data URI, where links to sibling files cannot resolve). Leave the
    GIF out for long videos: it is many times the MP4's size.
    """
    text = html.escape(title)
    fallback = (
        f'<img src="{data_uri(gif, "image/gif")}" alt="{text}">'
        if gif is not None
        else "<p>This browser cannot play the MP4; the GIF lies beside this page's file.</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{text}</title>
<style>body {{ font-family: sans-serif; margin: 1em; }} video, img {{ max-width: 100%; }}</style>
</head>
<body>
<h1>{text}</h1>
<video controls loop autoplay muted playsinline>
<source src="{data_uri(mp4, "video/mp4")}" type="video/mp4">
{fallback}
</video>
</body>
</html>
"""
