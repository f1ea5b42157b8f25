"""Reading the workflow's translation artifacts back, with errors that name the file."""

from __future__ import annotations

import os

import torch

from prunescape.io import CheckpointError, load_checkpoint, read_json, save_checkpoint
from prunescape.translation.batching import Batcher
from prunescape.translation.model import Transformer, TransformerConfig
from prunescape.translation.training import load_parameters

SPLIT_KEYS = ("src_tokens", "src_offsets", "trg_tokens", "trg_offsets")


def load_vocab(path: str | os.PathLike) -> list[str]:
    vocab = read_json(path)
    if not isinstance(vocab, dict) or not isinstance(vocab.get("itos"), list):
        raise ValueError(f"{path}: expected a JSON object with an 'itos' list")
    return vocab["itos"]


def load_split(path: str | os.PathLike) -> Batcher:
    tensors, _ = load_checkpoint(path)
    missing = [k for k in SPLIT_KEYS if k not in tensors]
    if missing:
        raise CheckpointError(f"{path}: not an encoded split (missing {missing})")
    return Batcher(tensors)


def build_model(model_config: dict, vocab_size: int) -> Transformer:
    return Transformer(TransformerConfig(vocab_size=vocab_size, **model_config))


def load_weights(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict]:
    """Parameters and metadata of a checkpoint written by training."""
    return load_checkpoint(path)


def load_model(path: str | os.PathLike, model_config: dict, vocab_size: int) -> Transformer:
    """A model of the configured size with the checkpoint's weights, or a clear error."""
    params, _ = load_weights(path)
    model = build_model(model_config, vocab_size)
    try:
        load_parameters(model, params)
    except ValueError as err:
        raise CheckpointError(
            f"{path}: does not fit the configured model and vocabulary "
            f"(vocab_size={vocab_size}, model={model_config}): {err}"
        ) from None
    return model


def save_batches(path: str | os.PathLike, batches: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
    """Padded evaluation batches, encoded once and reused by every grid job."""
    tensors = {}
    for i, (src, trg) in enumerate(batches):
        tensors[f"src.{i:04d}"] = src
        tensors[f"trg.{i:04d}"] = trg
    save_checkpoint(path, tensors, {"batches": len(batches)})


def load_batches(path: str | os.PathLike) -> list[tuple[torch.Tensor, torch.Tensor]]:
    tensors, meta = load_checkpoint(path)
    try:
        return [(tensors[f"src.{i:04d}"], tensors[f"trg.{i:04d}"]) for i in range(meta["batches"])]
    except KeyError as err:
        raise CheckpointError(f"{path}: not a batch file (missing {err})") from None
