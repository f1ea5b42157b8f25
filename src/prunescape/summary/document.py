"""A document of headings, paragraphs, lists and tables, rendered as Markdown and as HTML."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

INLINE_CODE = re.compile(r"`([^`]+)`")
INLINE_BOLD = re.compile(r"\*\*([^*]+)\*\*")

PAGE_STYLE = """body { font-family: sans-serif; margin: 1.5em; max-width: 70em; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f3f3f3; padding: 0 0.2em; }"""


def format_cell(value: object, digits: int = 4) -> str:
    """Floats to ``digits`` significant figures, NaN to "n/a", the rest as text."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return "n/a" if not math.isfinite(value) else f"{value:.{digits}g}"
    return str(value)


def _markdown_row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _inline_html(text: str) -> str:
    text = html.escape(text, quote=False)
    text = INLINE_CODE.sub(r"<code>\1</code>", text)
    return INLINE_BOLD.sub(r"<strong>\1</strong>", text)


def _markdown_table(header: list[str], rows: list[list[str]], numeric: list[bool]) -> str:
    rule = "|" + "|".join("---:" if n else "---" for n in numeric) + "|"
    return "\n".join([_markdown_row(header), rule, *(_markdown_row(row) for row in rows)])


def _html_table(header: list[str], rows: list[list[str]], numeric: list[bool]) -> str:
    head = "".join(f"<th>{_inline_html(h)}</th>" for h in header)
    lines = [f"<table>\n<tr>{head}</tr>"]
    for row in rows:
        cells = "".join(
            f'<td class="num">{_inline_html(c)}</td>' if n else f"<td>{_inline_html(c)}</td>"
            for c, n in zip(row, numeric, strict=True)
        )
        lines.append(f"<tr>{cells}</tr>")
    lines.append("</table>")
    return "\n".join(lines)


# One renderer per block kind and format, called with the block's fields.
MARKDOWN: dict[str, Callable[..., str]] = {
    "heading": lambda level, text: f"{'#' * level} {text}",
    "paragraph": lambda text: text,
    "bullets": lambda items: "\n".join(f"- {item}" for item in items),
    "table": _markdown_table,
}
HTML: dict[str, Callable[..., str]] = {
    "heading": lambda level, text: f"<h{level}>{_inline_html(text)}</h{level}>",
    "paragraph": lambda text: f"<p>{_inline_html(text)}</p>",
    "bullets": lambda items: (
        "<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in items) + "</ul>"
    ),
    "table": _html_table,
}


@dataclass
class Document:
    """Blocks kept as data so Markdown and HTML say exactly the same thing.

    Text may use two inline marks, ```code``` and ``**bold**``.
    """

    title: str
    blocks: list[tuple] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(("heading", level, text))

    def paragraph(self, text: str) -> None:
        self.blocks.append(("paragraph", text))

    def bullets(self, items: list[str]) -> None:
        if items:
            self.blocks.append(("bullets", list(items)))

    def table(self, frame: pd.DataFrame, digits: int = 4) -> None:
        header = [str(c) for c in frame.columns]
        rows = [[format_cell(v, digits) for v in row] for row in frame.itertuples(index=False)]
        numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
        self.blocks.append(("table", header, rows, numeric))

    def _render(self, renderers: dict[str, Callable[..., str]]) -> list[str]:
        return [renderers[kind](*args) for kind, *args in self.blocks]

    def to_markdown(self) -> str:
        return "\n\n".join([f"# {self.title}", *self._render(MARKDOWN)]) + "\n"

    def to_html(self) -> str:
        body = [f"<h1>{_inline_html(self.title)}</h1>", *self._render(HTML)]
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(self.title)}</title>\n<style>\n{PAGE_STYLE}\n</style>\n"
            "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
        )
