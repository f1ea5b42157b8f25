"""A single multi-head self-attention block with a classification head."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class AttentionConfig:
    vocab_size: int = 32
    seq_len: int = 16
    d_model: int = 32
    heads: int = 4
    num_classes: int = 4


class AttentionClassifier(nn.Module):
    """Embeddings → self-attention + residual → LayerNorm → mean pool → logits."""

    def __init__(self, cfg: AttentionConfig) -> None:
        super().__init__()
        if cfg.d_model % cfg.heads:
            raise ValueError(f"d_model={cfg.d_model} is not divisible by heads={cfg.heads}")
        self.cfg = cfg
        self.token = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.position = nn.Embedding(cfg.seq_len, cfg.d_model)
        self.q = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.k = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.v = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.o = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.norm = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.num_classes)
        nn.init.normal_(self.token.weight, std=1 / math.sqrt(cfg.d_model))
        nn.init.normal_(self.position.weight, std=1 / math.sqrt(cfg.d_model))

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        return x.view(batch, length, self.cfg.heads, -1).transpose(1, 2)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.token(tokens) + self.position(positions)
        heads = F.scaled_dot_product_attention(
            self._split(self.q(x)), self._split(self.k(x)), self._split(self.v(x))
        )
        attended = self.o(heads.transpose(1, 2).reshape(x.shape))
        return self.head(self.norm(x + attended).mean(dim=1))
