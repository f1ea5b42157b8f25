"""Padded sentence batches and the per-batch sums every evaluation is built from."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

from prunescape.landscape.evaluation import metrics_from_sums, pooled_sums
from prunescape.translation.corpus import PAD, sentences

Batch = tuple[torch.Tensor, torch.Tensor]


class Batcher:
    """Holds one split's sentences; yields padded (src, trg) batches in a given order."""

    #: Batches per pool when grouping by length (torchtext's BucketIterator, which
    #: the reference code used, pooled 100 batches the same way).
    POOL = 100

    def __init__(self, encoded: dict[str, torch.Tensor]) -> None:
        self.src = sentences(encoded, "src")
        self.trg = sentences(encoded, "trg")
        trg_len = encoded["trg_offsets"].diff()
        self.length_key = trg_len * (int(encoded["src_offsets"].diff().max()) + 1)
        self.length_key += encoded["src_offsets"].diff()

    def __len__(self) -> int:
        return len(self.src)

    def batches(
        self,
        batch_size: int,
        generator: torch.Generator | None = None,
        *,
        by_length: bool = False,
    ) -> list[Batch]:
        """Shuffled by ``generator`` when given, else in corpus order.

        ``by_length`` sorts each pool of ``POOL`` batches by (target, source)
        length before cutting it into batches, then shuffles the batch order:
        still a random pass over the data, with little padding to compute on.
        """
        order = (
            torch.randperm(len(self), generator=generator)
            if generator is not None
            else torch.arange(len(self))
        )
        if not by_length:
            return [self.collate(chunk.tolist()) for chunk in order.split(batch_size)]
        chunks = [
            chunk
            for pool in order.split(batch_size * self.POOL)
            for chunk in pool[self.length_key[pool].sort(stable=True).indices].split(batch_size)
        ]
        if generator is not None:
            chunks = [chunks[i] for i in torch.randperm(len(chunks), generator=generator)]
        return [self.collate(chunk.tolist()) for chunk in chunks]

    def collate(self, indices: list[int]) -> Batch:
        src = pad_sequence([self.src[i] for i in indices], batch_first=True, padding_value=PAD)
        trg = pad_sequence([self.trg[i] for i in indices], batch_first=True, padding_value=PAD)
        return src, trg


def token_loss(
    model: torch.nn.Module, batch: Batch, label_smoothing: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Teacher-forced loss of one batch on the model's device: the summed token loss
    (differentiable) and (loss sum, target tokens, correct argmax tokens) as float64
    on the same device, so callers pool sums without a host sync per batch.

    The model sees trg[:, :-1] and predicts trg[:, 1:]; padding is neither
    projected nor counted, the end-of-sentence token is.
    """
    device = next(model.parameters()).device
    src, trg = batch[0].to(device), batch[1].to(device)
    counted = trg[:, 1:] != PAD
    gold = trg[:, 1:][counted]
    logits = model(src, trg[:, :-1], counted)
    loss = F.cross_entropy(logits, gold, reduction="sum", label_smoothing=label_smoothing)
    with torch.no_grad():
        correct = (logits.argmax(-1) == gold).sum()
        sums = torch.stack(
            [
                loss.detach().double(),
                torch.tensor(gold.numel(), dtype=torch.float64, device=device),
                correct.double(),
            ]
        )
    return loss, sums


def batch_sums(model: torch.nn.Module, batch: Batch) -> torch.Tensor:
    """(summed token loss, target tokens, correct argmax tokens), unsmoothed, float64 on
    the model's device: the landscape engine's and validation's measure of one batch."""
    return token_loss(model, batch)[1]


def differentiable_sums(model: torch.nn.Module, batch: Batch) -> torch.Tensor:
    """:func:`batch_sums` with the loss sum still attached to the graph, as the
    Hessian's products need (the counts carry no gradient)."""
    loss, sums = token_loss(model, batch)
    return torch.cat([loss.double().reshape(1), sums[1:]])


@torch.no_grad()
def eval_metrics(model: torch.nn.Module, batches: list[Batch]) -> dict[str, float]:
    """Loss, perplexity and accuracy over all batches in evaluation mode (no dropout)."""
    was_training = model.training
    model.eval()
    try:
        return metrics_from_sums(*pooled_sums(model, batches, batch_sums).tolist())
    finally:
        model.train(was_training)
