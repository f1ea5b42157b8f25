"""prunescape-landscape: the filter-normalised loss landscape of any PyTorch model.

Every input is checked (imports, checkpoint, masks, grid) before the first grid
point is evaluated, and each problem is reported as one line.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from prunescape import io
from prunescape.landscape.directions import NORMS, plane
from prunescape.landscape.evaluation import BatchSums, classification_sums
from prunescape.landscape.grid import centre_included, grid_coordinates, parameter_centre
from prunescape.landscape.tiles import run_tile, tile_rows

USAGE_EXAMPLE = (
    "example: prunescape-landscape --model mypkg.models:make_model --checkpoint model.pt "
    "--batches mypkg.data:eval_batches --grid 21x21 --range=-1:1 --out landscape.csv"
)


def _grid(text: str) -> tuple[int, int]:
    nx, sep, ny = text.lower().partition("x")
    try:
        counts = (int(nx), int(ny))
    except ValueError:
        counts = (0, 0)
    if not sep or min(counts) < 1:
        raise argparse.ArgumentTypeError(
            f"expected NXxNY with positive counts, e.g. 21x21: {text!r}"
        )
    return counts


def _range(text: str) -> tuple[float, float]:
    lo, sep, hi = text.partition(":")
    try:
        bounds = (float(lo), float(hi))
    except ValueError:
        bounds = (1.0, 0.0)
    if not sep or bounds[0] >= bounds[1]:
        raise argparse.ArgumentTypeError(f"expected MIN:MAX with MIN < MAX, e.g. -1:1: {text!r}")
    return bounds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prunescape-landscape",
        description="Evaluate loss, perplexity and accuracy of a model on a plane of "
        "filter-normalised random directions (Li et al. 2018), mask-aware.",
        epilog=USAGE_EXAMPLE + "  (write negative ranges as --range=-1:1)",
    )
    parser.add_argument("--model", required=True, help="pkg.module:factory returning nn.Module")
    parser.add_argument(
        "--checkpoint",
        required=True,
        type=Path,
        help="state_dict saved with torch.save, or a prunescape checkpoint",
    )
    parser.add_argument(
        "--batches", required=True, help="pkg.module:name returning an iterable of batches"
    )
    parser.add_argument(
        "--batch-sums",
        help="pkg.module:name, f(model, batch) -> tensor [loss sum, count, correct] "
        "(default: cross-entropy on batch = (inputs, labels))",
    )
    parser.add_argument("--masks", type=Path, help="checkpoint of masks (True = kept weight)")
    parser.add_argument("--grid", type=_grid, default=(21, 21), help="NXxNY (default 21x21)")
    parser.add_argument("--range", type=_range, default=(-1.0, 1.0), help="x range MIN:MAX")
    parser.add_argument("--yrange", type=_range, help="y range MIN:MAX (default: --range)")
    parser.add_argument("--scale", type=float, default=1.0, help="step length multiplier")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random directions")
    parser.add_argument("--norm", choices=NORMS, default="filter")
    parser.add_argument("--include-1d", action="store_true", help="also move biases and norms")
    parser.add_argument("--tiles", type=int, default=1, help="split the y rows into this many")
    parser.add_argument("--tile", type=int, default=0, help="which tile to evaluate (0-based)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--out", required=True, type=Path, help="CSV to write")
    return parser


def _resolve(spec: str, option: str) -> Callable[..., Any]:
    """Import ``pkg.module:name`` (name may be dotted) and check it is callable."""
    module_name, sep, attr = spec.partition(":")
    if not (sep and module_name and attr):
        raise ValueError(f"{option} {spec!r}: expected 'package.module:name'")
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as err:  # the user's module may fail in any way while importing
        raise ValueError(
            f"{option} {spec!r}: cannot import {module_name!r} ({type(err).__name__}: {err})"
        ) from None
    for part in attr.split("."):
        if not hasattr(target, part):
            raise ValueError(f"{option} {spec!r}: {module_name!r} has no attribute {attr!r}")
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"{option} {spec!r}: {attr!r} is not callable")
    return target


def _load_tensors(path: Path, what: str) -> dict[str, torch.Tensor]:
    """A plain dict of tensors from a torch.save'd state dict or a prunescape checkpoint."""
    if not path.is_file():
        raise io.CheckpointError(f"{path}: {what} not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for corrupt or unsafe files
        raise io.CheckpointError(f"{path}: cannot read {what} ({type(err).__name__})") from None
    if isinstance(payload, dict) and set(payload) == {"tensors", "meta"}:
        payload = payload["tensors"]
    if not isinstance(payload, dict) or not all(
        isinstance(v, torch.Tensor) for v in payload.values()
    ):
        raise io.CheckpointError(f"{path}: {what} is not a dict of tensors")
    return dict(payload)


def _prepare(
    args: argparse.Namespace,
) -> tuple[nn.Module, list[Any], BatchSums, dict[str, torch.Tensor]]:
    """Import, load and check everything before the first (expensive) grid point."""
    factory = _resolve(args.model, "--model")
    batches_fn = _resolve(args.batches, "--batches")
    batch_sums = _resolve(args.batch_sums, "--batch-sums") if args.batch_sums else None
    state = _load_tensors(args.checkpoint, "checkpoint")
    masks = _load_tensors(args.masks, "masks") if args.masks else None
    model = factory()
    if not isinstance(model, nn.Module):
        raise ValueError(f"--model {args.model!r} returned {type(model).__name__}, not nn.Module")
    io.load_state_into(model, state, args.checkpoint)
    try:
        model.to(args.device)
    except (RuntimeError, AssertionError) as err:  # unknown or unavailable device
        raise ValueError(f"--device {args.device!r}: {err}") from None
    batches = list(batches_fn())
    if not batches:
        raise ValueError(f"--batches {args.batches!r} returned no batches")
    return model, batches, batch_sums or classification_sums, masks or {}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    (nx, ny), (xmin, xmax) = args.grid, args.range
    ymin, ymax = args.yrange or args.range
    xs, ys = grid_coordinates(xmin, xmax, nx, ymin, ymax, ny)
    try:
        tile_rows(ny, args.tiles, args.tile)
        model, batches, batch_sums, masks = _prepare(args)
        center = parameter_centre(model)
        directions = plane(
            "random-random",
            center,
            seed=args.seed,
            norm=args.norm,
            ignore_1d=not args.include_1d,
            masks=masks,
        )
    except ValueError as err:  # includes io.CheckpointError
        parser.error(str(err).replace("\n", " "))
    if not centre_included(xs, ys):
        print("warning: the grid does not include the centre (0, 0)", file=sys.stderr)
    frame = run_tile(
        args.out,
        model,
        center,
        directions,
        xs,
        ys,
        batches,
        batch_sums,
        n_tiles=args.tiles,
        tile_index=args.tile,
        scale=args.scale,
        progress=not args.no_progress,
    )
    centre = frame[(frame.x == 0) & (frame.y == 0)]
    summary = ""
    if len(centre):
        summary = f"; centre loss {centre.loss.iloc[0]:.6g}, acc {centre.acc.iloc[0]:.4g}"
    print(f"{args.out}: {len(frame)} grid points{summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
