"""The 'Attention is all you need' transformer as in the study's reference code.

Post-LayerNorm blocks, LayerNorm on the (position-encoded) embeddings, bias-free
q/k/v/o projections as separate ``nn.Linear`` layers (so masks and pruning hooks
see every weight), xavier-uniform init, and optionally one embedding matrix
shared by source, target and the output projection, whose logits are then
scaled by d_model^-0.5.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from prunescape.translation.corpus import PAD


@dataclass(frozen=True)
class TransformerConfig:
    vocab_size: int
    d_model: int = 512
    d_inner: int = 2048
    layers: int = 6
    heads: int = 8
    dropout: float = 0.1
    shared_embeddings: bool = True
    scale: str = "prj"
    max_len: int = 256

    def to_dict(self) -> dict:
        return asdict(self)


def attention_bias(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """0 where a query may attend (mask True), -inf elsewhere, built once per pass.

    Adding it to the scores masks them with one cheap in-place add per attention call.
    """
    bias = torch.zeros(mask.shape, dtype=dtype, device=mask.device)
    return bias.masked_fill_(~mask, float("-inf"))


class MultiHeadAttention(nn.Module):
    """Scaled dot-product attention written out as two batched matmuls and a softmax.

    On the CPU this beats ``F.scaled_dot_product_attention``'s flash kernel at the
    study's head sizes with two threads, and unlike that kernel's backward it can be
    differentiated twice (Hessian-vector products) and vmapped.
    """

    def __init__(self, d_model: int, heads: int, dropout: float) -> None:
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model={d_model} is not divisible by heads={heads}")
        self.heads = heads
        self.temperature = (d_model // heads) ** -0.5
        self.q = nn.Linear(d_model, d_model, bias=False)
        self.k = nn.Linear(d_model, d_model, bias=False)
        self.v = nn.Linear(d_model, d_model, bias=False)
        self.o = nn.Linear(d_model, d_model, bias=False)
        self.drop = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(d_model, eps=1e-6)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(-1, (self.heads, -1)).transpose(-3, -2)

    def forward(self, x: torch.Tensor, memory: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """LayerNorm(x + Dropout(O · Attention(Q x, K m, V m))); ``bias`` from attention_bias."""
        q = self._split(self.q(x)) * self.temperature
        scores = torch.matmul(q, self._split(self.k(memory)).transpose(-2, -1))
        weights = self.drop(torch.softmax(scores.add_(bias), dim=-1))
        heads = torch.matmul(weights, self._split(self.v(memory)))
        out = self.o(heads.transpose(-3, -2).flatten(-2))
        return self.norm(x + self.drop(out))


class FeedForward(nn.Module):
    def __init__(self, d_model: int, d_inner: int, dropout: float) -> None:
        super().__init__()
        self.w_1 = nn.Linear(d_model, d_inner)
        self.w_2 = nn.Linear(d_inner, d_model)
        self.drop = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(d_model, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x + self.drop(self.w_2(F.relu(self.w_1(x)))))


class EncoderLayer(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.self_attn = MultiHeadAttention(cfg.d_model, cfg.heads, cfg.dropout)
        self.ffn = FeedForward(cfg.d_model, cfg.d_inner, cfg.dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return self.ffn(self.self_attn(x, x, bias))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.self_attn = MultiHeadAttention(cfg.d_model, cfg.heads, cfg.dropout)
        self.cross_attn = MultiHeadAttention(cfg.d_model, cfg.heads, cfg.dropout)
        self.ffn = FeedForward(cfg.d_model, cfg.d_inner, cfg.dropout)

    def forward(
        self, y: torch.Tensor, memory: torch.Tensor, self_bias: torch.Tensor, src_bias: torch.Tensor
    ) -> torch.Tensor:
        return self.ffn(self.cross_attn(self.self_attn(y, y, self_bias), memory, src_bias))


def sinusoid_table(max_len: int, d_model: int) -> torch.Tensor:
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    rate = torch.pow(10000.0, -torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    table = torch.zeros(max_len, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate)[:, : d_model // 2]
    return table.float()


class Transformer(nn.Module):
    """Encoder-decoder transformer; ``forward(src, trg_in)`` returns next-token logits.

    With shared embeddings, ``scale`` follows the reference's ``scale_emb_or_prj``:
    "prj" multiplies the logits by d_model^-0.5 (the reference default), "emb"
    multiplies the embeddings by d_model^0.5 (Vaswani et al.; small xavier-initialised
    embeddings are otherwise drowned by the position code, which slows short runs).
    """

    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        if cfg.scale not in ("prj", "emb", "none"):
            raise ValueError(f"scale must be 'prj', 'emb' or 'none', got {cfg.scale!r}")
        self.cfg = cfg
        self.src_embed = nn.Embedding(cfg.vocab_size, cfg.d_model, padding_idx=PAD)
        self.trg_embed = nn.Embedding(cfg.vocab_size, cfg.d_model, padding_idx=PAD)
        self.register_buffer("position", sinusoid_table(cfg.max_len, cfg.d_model), persistent=False)
        self.drop = nn.Dropout(cfg.dropout)
        self.src_norm = nn.LayerNorm(cfg.d_model, eps=1e-6)
        self.trg_norm = nn.LayerNorm(cfg.d_model, eps=1e-6)
        self.encoder = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.layers))
        self.decoder = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.layers))
        self.project = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        if cfg.shared_embeddings:
            self.trg_embed.weight = self.src_embed.weight
            self.project.weight = self.src_embed.weight
        shared = cfg.shared_embeddings
        self.logit_scale = cfg.d_model**-0.5 if shared and cfg.scale == "prj" else 1.0
        self.embed_scale = cfg.d_model**0.5 if shared and cfg.scale == "emb" else 1.0

    def _embed(self, embed: nn.Embedding, norm: nn.LayerNorm, ids: torch.Tensor) -> torch.Tensor:
        if ids.shape[-1] > self.cfg.max_len:
            raise ValueError(
                f"sequence of {ids.shape[-1]} tokens exceeds max_len={self.cfg.max_len}"
            )
        x = embed(ids)
        if self.embed_scale != 1.0:
            x = x * self.embed_scale
        return norm(self.drop(x + self.position[: ids.shape[-1]]))

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder states and the source mask (True = may attend) that ``decode`` takes."""
        src_mask = (src != PAD)[..., None, None, :]
        x = self._embed(self.src_embed, self.src_norm, src)
        bias = attention_bias(src_mask, x.dtype)
        for layer in self.encoder:
            x = layer(x, bias)
        return x, src_mask

    def decode(
        self, trg_in: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor
    ) -> torch.Tensor:
        """Decoder states (batch, length, d_model); ``logits`` turns them into scores."""
        length = trg_in.shape[-1]
        causal = torch.ones(length, length, dtype=torch.bool, device=trg_in.device).tril()
        self_mask = causal & (trg_in != PAD)[..., None, None, :]
        y = self._embed(self.trg_embed, self.trg_norm, trg_in)
        self_bias, src_bias = attention_bias(self_mask, y.dtype), attention_bias(src_mask, y.dtype)
        for layer in self.decoder:
            y = layer(y, memory, self_bias, src_bias)
        return y

    def logits(self, states: torch.Tensor) -> torch.Tensor:
        """Scores over the vocabulary; the scale goes on the d_model-wide states, not the
        vocabulary-wide logits, which saves a pass over the largest activation."""
        if self.logit_scale != 1.0:
            states = states * self.logit_scale
        return self.project(states)

    def forward(
        self, src: torch.Tensor, trg_in: torch.Tensor, keep: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Logits (batch, length, vocab), or (n, vocab) for the n positions where ``keep``.

        Projecting only the positions a loss counts skips the padding, which in
        shuffled sentence batches is often half of the costliest matmul.
        """
        memory, src_mask = self.encode(src)
        states = self.decode(trg_in, memory, src_mask)
        return self.logits(states if keep is None else states[keep])


def count_parameters(model: nn.Module) -> int:
    """Distinct trainable weights (a tied tensor counts once)."""
    return sum(p.numel() for p in model.parameters())
