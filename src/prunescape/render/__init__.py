"""Figures and videos of 2-D surfaces: loss landscapes (E3) and the retraining grid (E2).

Input is a tidy frame with one row per grid point (columns ``x, y`` or any pair
named by ``xcol, ycol``, plus metrics such as ``loss, ppl, acc``). Pass every
epoch or model that should share a colour scale to :func:`colour_limits`.
"""

from prunescape.render.surfaces import (
    colour_limits,
    comparison_figure,
    contour_figure,
    draw_contour,
    draw_heatmap,
    draw_surface,
    grid,
    heatmap_figure,
    last_epochs,
    save_figure,
    surface_figure,
)
from prunescape.render.video import render_frames, video_page, write_video

__all__ = [
    "colour_limits",
    "comparison_figure",
    "contour_figure",
    "draw_contour",
    "draw_heatmap",
    "draw_surface",
    "grid",
    "heatmap_figure",
    "last_epochs",
    "render_frames",
    "save_figure",
    "surface_figure",
    "video_page",
    "write_video",
]
