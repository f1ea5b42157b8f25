"""``python -m prunescape.viewer OUT.html CSV [CSV...] [--title T]``."""

from __future__ import annotations

import argparse

from prunescape.viewer.page import build_viewer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m prunescape.viewer",
        description="Build an offline HTML page to explore loss landscapes from CSV files.",
    )
    parser.add_argument("out_html", help="HTML file to write")
    parser.add_argument("csv", nargs="+", help="landscape CSVs (viewer or legacy LossPlot format)")
    parser.add_argument("--title", default="Loss landscapes", help="page title")
    args = parser.parse_args(argv)
    try:
        build_viewer(args.csv, args.out_html, args.title)
    except (OSError, ValueError) as err:
        parser.exit(1, f"error: {err}\n")


if __name__ == "__main__":
    main()
