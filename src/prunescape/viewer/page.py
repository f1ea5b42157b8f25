"""Assemble the viewer: one self-contained HTML file that works offline.

plotly.js, the page script and the data are all inlined, so the file can be
mailed, archived next to the results, or opened on a machine without internet.
Nothing in the page depends on time or randomness: the same CSVs give the
same bytes, which keeps the workflow's outputs reproducible.
"""

from __future__ import annotations

import html
import json
import os
from importlib.resources import files
from string import Template

from plotly.offline import get_plotlyjs

from prunescape.io import atomic_path
from prunescape.viewer.data import combine, load_landscape_csv, viewer_payload

ASSETS = files("prunescape.viewer")


def _embed_json(payload: dict) -> str:
    """JSON safe inside a <script> element: no raw '<' can close the tag early."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c")


def render_html(payload: dict, title: str) -> str:
    """The page for one payload from :func:`viewer_payload`."""
    template = Template(ASSETS.joinpath("template.html").read_text(encoding="utf-8"))
    return template.substitute(
        title=html.escape(title),
        data=_embed_json(payload),
        plotly=get_plotlyjs(),
        app=ASSETS.joinpath("app.js").read_text(encoding="utf-8"),
    )


def build_viewer(
    csv_paths: list[str | os.PathLike], out_html: str | os.PathLike, title: str
) -> None:
    """Write the viewer page for the landscapes in ``csv_paths`` (viewer or legacy format)."""
    if not csv_paths:
        raise ValueError("build_viewer needs at least one landscape CSV")
    frame = combine([(str(p), load_landscape_csv(p)) for p in csv_paths])
    page = render_html(viewer_payload(frame), title)
    with atomic_path(out_html) as tmp:
        tmp.write_bytes(page.encode("utf-8"))  # the page says utf-8, whatever the locale
