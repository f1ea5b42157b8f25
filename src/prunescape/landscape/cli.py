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
from prunescape.landscape.directions import NORMS, PLANES, plane
from prunescape.landscape.evaluation import BatchSums, classification_sums
from prunescape.landscape.grid import (
    centre_included,
    frozen_parameters,
    grid_coordinates,
    parameter_centre,
)
from prunescape.landscape.hessian import hessian_spectrum
from prunescape.landscape.interpolation import interpolate, line_points, loss_barrier
from prunescape.landscape.tiles import run_tile, tile_rows
from prunescape.runtime import keep_freed_memory

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
    parser.add_argument(
        "--keep-frozen",
        action="store_true",
        help="leave parameters with requires_grad=False still (default: move them too)",
    )
    parser.add_argument("--tiles", type=int, default=1, help="split the y rows into this many")
    parser.add_argument("--tile", type=int, default=0, help="which tile to evaluate (0-based)")
    parser.add_argument(
        "--plane",
        choices=(*PLANES, "line"),
        default="random-random",
        help="target-random: x axis from the checkpoint to --target; line: the 1-D "
        "interpolation (1-t)·checkpoint + t·target and its loss barrier",
    )
    parser.add_argument("--target", type=Path, help="checkpoint of the target model")
    parser.add_argument(
        "--t-range", type=_range, default=(-0.2, 1.2), help="t range of --plane line"
    )
    parser.add_argument("--per-unit", type=int, default=20, help="line points per unit of t")
    parser.add_argument(
        "--hessian",
        action="store_true",
        help="instead of a plane: top eigenvalues and trace of the Hessian over kept weights",
    )
    parser.add_argument("--top-k", type=int, default=1, help="Hessian eigenvalues to report")
    parser.add_argument("--tol", type=float, default=1e-3, help="relative tolerance of Lanczos")
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


def _check_mode(args: argparse.Namespace) -> None:
    """Options that only make sense together, checked before anything is loaded."""
    line = args.plane == "line"
    if args.hessian and (args.target or args.plane != "random-random"):
        raise ValueError("--hessian takes no --plane or --target")
    if args.plane in ("target-random", "line") and not args.target:
        raise ValueError(f"--plane {args.plane} needs --target CHECKPOINT")
    if args.target and not (args.plane in ("target-random", "line") or args.hessian):
        raise ValueError("--target needs --plane target-random or --plane line")
    if line and args.masks:
        raise ValueError("--masks: --plane line interpolates the raw weights, give no masks")
    if (args.hessian or line) and args.tiles != 1:
        raise ValueError("--tiles splits planes only, not --hessian or --plane line")
    if args.top_k < 1 or not args.tol > 0 or args.per_unit < 1:
        raise ValueError("--top-k and --per-unit must be at least 1 and --tol positive")


def _target_weights(args: argparse.Namespace) -> dict[str, torch.Tensor]:
    """The target checkpoint's parameters, checked against a fresh model like the centre."""
    model = _resolve(args.model, "--model")()
    io.load_state_into(model, _load_tensors(args.target, "target"), args.target)
    return parameter_centre(model)


def _hessian(args: argparse.Namespace, model: nn.Module, batches: list, batch_sums, masks) -> int:
    frame = hessian_spectrum(
        model, batches, batch_sums, k=args.top_k, seed=args.seed, masks=masks, tol=args.tol
    )
    frame.to_csv(args.out, index=False)
    values = frame.set_index(["quantity", "index"]).value
    print(
        f"{args.out}: top eigenvalue {values['eigenvalue', 0]:.6g}, trace {values['trace', 0]:.6g}",
        file=sys.stderr,
    )
    return 0


def _line(args: argparse.Namespace, model: nn.Module, center, target, batches, batch_sums) -> int:
    ts = line_points(*args.t_range, per_unit=args.per_unit)
    frame = interpolate(
        model, center, target, batches, batch_sums, ts=ts, progress=not args.no_progress
    )
    frame.to_csv(args.out, index=False)
    barrier = loss_barrier(frame)
    print(
        f"{args.out}: {len(frame)} points; barrier {barrier.height:.6g} at t={barrier.t:g}",
        file=sys.stderr,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    keep_freed_memory()  # a process of its own: large activations are reused, not remapped
    (nx, ny), (xmin, xmax) = args.grid, args.range
    ymin, ymax = args.yrange or args.range
    xs, ys = grid_coordinates(xmin, xmax, nx, ymin, ymax, ny)
    try:
        _check_mode(args)
        tile_rows(ny, args.tiles, args.tile)
        model, batches, batch_sums, masks = _prepare(args)
        center = parameter_centre(model)
        target = _target_weights(args) if args.target else None
        if args.hessian:
            return _hessian(args, model, batches, batch_sums, masks)
        if args.plane == "line":
            return _line(args, model, center, target, batches, batch_sums)
        directions = plane(
            args.plane,
            center,
            target=target,
            seed=args.seed,
            norm=args.norm,
            ignore_1d=not args.include_1d,
            masks=masks,
            still=frozen_parameters(model) if args.keep_frozen else (),
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
