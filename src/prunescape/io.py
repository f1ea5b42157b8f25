"""Atomic file writes and checkpoints that load safely.

Every artifact is written to a temporary file beside its target and renamed
into place, so an interrupted job never leaves a half-written output that a
later run would mistake for a finished one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import torch


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated or of the wrong shape."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600 files; give the result the permissions of a normal open().
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: file not found") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None


def write_csv(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Write a CSV with a fixed float format so reruns are byte-identical."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.8g", lineterminator="\n")


def save_torch(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` atomically, byte for byte the same on every rerun.

    Saved to a path, torch names the archive's inner folder after the file, here the
    temporary file's random name; saved through a file handle, it names it "archive".
    """
    import torch  # here, not at the top: rendering and table jobs start without torch

    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        torch.save(obj, handle)


def save_checkpoint(
    path: str | os.PathLike, tensors: dict[str, torch.Tensor], meta: dict[str, Any]
) -> None:
    """Save plain tensors plus JSON-able metadata, loadable with ``weights_only=True``."""
    payload = {
        "tensors": {k: v.detach().cpu().contiguous() for k, v in tensors.items()},
        "meta": json.loads(json.dumps(meta)),
    }
    save_torch(payload, path)


def load_checkpoint(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Load a checkpoint written by :func:`save_checkpoint`, with one-line errors."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for corrupt zips
        raise CheckpointError(
            f"{path}: cannot read checkpoint (truncated or corrupt file?): {type(err).__name__}"
        ) from None
    if not isinstance(payload, dict) or "tensors" not in payload or "meta" not in payload:
        raise CheckpointError(f"{path}: not a prunescape checkpoint (expected tensors and meta)")
    return payload["tensors"], payload["meta"]


def load_state_into(
    module: torch.nn.Module, state: dict[str, torch.Tensor], source: str | os.PathLike
) -> None:
    """Load ``state`` into ``module``; a name or shape mismatch names the file and tensor."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        raise CheckpointError(
            f"{source}: checkpoint does not match the model "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]}); "
            "was it written with another model config?"
        )
    for name, tensor in state.items():
        if own[name].shape != tensor.shape:
            raise CheckpointError(
                f"{source}: tensor {name!r} has shape {tuple(tensor.shape)} but the model "
                f"expects {tuple(own[name].shape)}; check model sizes and vocabulary"
            )
    module.load_state_dict(state)
