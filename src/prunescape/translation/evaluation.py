"""Greedy decoding of a test set and its BLEU and chrF scores (sacrebleu)."""

from __future__ import annotations

import sacrebleu
import torch

from prunescape.translation.batching import Batcher
from prunescape.translation.corpus import BOS, EOS, PAD, decode
from prunescape.translation.model import Transformer


@torch.no_grad()
def greedy_decode(model: Transformer, src: torch.Tensor, max_extra: int = 10) -> torch.Tensor:
    """Token ids (batch, length) chosen greedily, stopping when every row emitted </s>.

    Runs on the model's device; the result is on the CPU.
    """
    model.eval()
    device = next(model.parameters(), torch.empty(0)).device
    src = src.to(device)
    memory, src_mask = model.encode(src)
    limit = min(model.cfg.max_len, int((src != PAD).sum(1).max()) + max_extra)
    out = torch.full((src.shape[0], 1), BOS, dtype=torch.long, device=device)
    done = torch.zeros(src.shape[0], dtype=torch.bool, device=device)
    for _ in range(limit - 1):
        logits = model.logits(model.decode(out, memory, src_mask)[:, -1])
        nxt = logits.argmax(-1).masked_fill(done, PAD)
        out = torch.cat([out, nxt[:, None]], dim=1)
        done |= nxt == EOS
        if done.all():
            break
    return out.cpu()


def translate(model: Transformer, data: Batcher, itos: list[str], batch_size: int = 128):
    """Detokenised hypotheses for every sentence of ``data``, in corpus order."""
    hypotheses: list[str] = []
    for src, _ in data.batches(batch_size):
        hypotheses.extend(decode(row.tolist(), itos) for row in greedy_decode(model, src))
    return hypotheses


def scores(hypotheses: list[str], references: list[str]) -> dict[str, float]:
    """Corpus BLEU (lower-cased, as the model's vocabulary is) and chrF against raw references."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    bleu = sacrebleu.BLEU(lowercase=True)
    chrf = sacrebleu.CHRF(lowercase=True)
    return {
        "bleu": round(bleu.corpus_score(hypotheses, [references]).score, 4),
        "chrf": round(chrf.corpus_score(hypotheses, [references]).score, 4),
        "bleu_signature": str(bleu.get_signature()),
        "chrf_signature": str(chrf.get_signature()),
        "sentences": len(references),
    }
