"""Interactive landscape viewer, the successor of the study's "LossPlot" page.

``build_viewer`` turns landscape CSVs into one offline HTML page with a 3D
surface and a contour map per model, an epoch slider, and shared colour limits.
"""

from prunescape.viewer.data import load_landscape_csv, viewer_payload
from prunescape.viewer.page import build_viewer, render_html

__all__ = ["build_viewer", "load_landscape_csv", "render_html", "viewer_payload"]
