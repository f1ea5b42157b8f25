"""The reference transformer's computation, as a yardstick for throughput benchmarks.

Re-creates the forward pass of Yu-Hsiang Huang's "Attention is all you need" PyTorch
code (github.com/jadore801120/attention-is-all-you-need-pytorch, transformer/*.py),
which the study forked: explicit scaled dot-product attention with ``masked_fill``,
in-place residual adds, LayerNorm after the embeddings, post-LayerNorm blocks, and
logits scaled in place by d_model^-0.5 under a shared projection. Only what the
study's setting uses is kept (shared embeddings, ``scale_emb_or_prj='prj'``, d_k = d_v).
Parameter names differ from prunescape's model; only speed is compared.

Derived from code under the MIT License:

Copyright (c) 2017 Victor Huang

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from prunescape.translation.model import sinusoid_table


class ScaledDotProductAttention(nn.Module):
    def __init__(self, temperature: float, dropout: float) -> None:
        super().__init__()
        self.temperature = temperature
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        attn = torch.matmul(q / self.temperature, k.transpose(2, 3))
        attn = attn.masked_fill(mask == 0, -1e9)
        attn = self.dropout(F.softmax(attn, dim=-1))
        return torch.matmul(attn, v)


class MultiHeadAttention(nn.Module):
    def __init__(self, heads: int, d_model: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.d_k = heads, d_model // heads
        self.w_qs = nn.Linear(d_model, d_model, bias=False)
        self.w_ks = nn.Linear(d_model, d_model, bias=False)
        self.w_vs = nn.Linear(d_model, d_model, bias=False)
        self.fc = nn.Linear(d_model, d_model, bias=False)
        self.attention = ScaledDotProductAttention(self.d_k**0.5, dropout)
        self.dropout = nn.Dropout(dropout)
        self.layer_norm = nn.LayerNorm(d_model, eps=1e-6)

    def forward(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        b, len_q, len_k, h, d_k = q.size(0), q.size(1), k.size(1), self.heads, self.d_k
        residual = q
        q = self.w_qs(q).view(b, len_q, h, d_k).transpose(1, 2)
        k = self.w_ks(k).view(b, len_k, h, d_k).transpose(1, 2)
        v = self.w_vs(v).view(b, len_k, h, d_k).transpose(1, 2)
        q = self.attention(q, k, v, mask.unsqueeze(1))
        q = q.transpose(1, 2).contiguous().view(b, len_q, -1)
        q = self.dropout(self.fc(q))
        q += residual
        return self.layer_norm(q)


class PositionwiseFeedForward(nn.Module):
    def __init__(self, d_model: int, d_inner: int, dropout: float) -> None:
        super().__init__()
        self.w_1 = nn.Linear(d_model, d_inner)
        self.w_2 = nn.Linear(d_inner, d_model)
        self.layer_norm = nn.LayerNorm(d_model, eps=1e-6)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x
        x = self.dropout(self.w_2(F.relu(self.w_1(x))))
        x += residual
        return self.layer_norm(x)


class EncoderLayer(nn.Module):
    def __init__(self, d_model: int, d_inner: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.slf_attn = MultiHeadAttention(heads, d_model, dropout)
        self.pos_ffn = PositionwiseFeedForward(d_model, d_inner, dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.pos_ffn(self.slf_attn(x, x, x, mask))


class DecoderLayer(nn.Module):
    def __init__(self, d_model: int, d_inner: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.slf_attn = MultiHeadAttention(heads, d_model, dropout)
        self.enc_attn = MultiHeadAttention(heads, d_model, dropout)
        self.pos_ffn = PositionwiseFeedForward(d_model, d_inner, dropout)

    def forward(
        self, y: torch.Tensor, memory: torch.Tensor, self_mask: torch.Tensor, src_mask: torch.Tensor
    ) -> torch.Tensor:
        y = self.slf_attn(y, y, y, self_mask)
        return self.pos_ffn(self.enc_attn(y, memory, memory, src_mask))


class Stack(nn.Module):
    """Encoder or decoder: embedding, position code, dropout, LayerNorm, then the layers."""

    def __init__(
        self,
        layer: type[nn.Module],
        vocab: int,
        d_model: int,
        d_inner: int,
        layers: int,
        heads: int,
        dropout: float,
        pad: int,
    ) -> None:
        super().__init__()
        self.word_emb = nn.Embedding(vocab, d_model, padding_idx=pad)
        self.register_buffer("pos_table", sinusoid_table(200, d_model).unsqueeze(0))
        self.dropout = nn.Dropout(dropout)
        self.layer_stack = nn.ModuleList(
            layer(d_model, d_inner, heads, dropout) for _ in range(layers)
        )
        self.layer_norm = nn.LayerNorm(d_model, eps=1e-6)

    def embed(self, seq: torch.Tensor) -> torch.Tensor:
        x = self.word_emb(seq) + self.pos_table[:, : seq.size(1)].clone().detach()
        return self.layer_norm(self.dropout(x))


class ReferenceTransformer(nn.Module):
    """``forward(src, trg)`` gives logits (batch·length, vocab) like the reference."""

    def __init__(
        self,
        vocab: int,
        pad: int,
        d_model: int,
        d_inner: int,
        layers: int,
        heads: int,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.pad = pad
        self.d_model = d_model
        sizes = (vocab, d_model, d_inner, layers, heads, dropout, pad)
        self.encoder = Stack(EncoderLayer, *sizes)
        self.decoder = Stack(DecoderLayer, *sizes)
        self.trg_word_prj = nn.Linear(d_model, vocab, bias=False)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        self.trg_word_prj.weight = self.decoder.word_emb.weight
        self.encoder.word_emb.weight = self.decoder.word_emb.weight

    def forward(self, src: torch.Tensor, trg: torch.Tensor) -> torch.Tensor:
        src_mask = (src != self.pad).unsqueeze(-2)
        length = trg.size(1)
        subsequent = (
            1 - torch.triu(torch.ones((1, length, length), device=trg.device), diagonal=1)
        ).bool()
        trg_mask = (trg != self.pad).unsqueeze(-2) & subsequent
        x = self.encoder.embed(src)
        for layer in self.encoder.layer_stack:
            x = layer(x, src_mask)
        y = self.decoder.embed(trg)
        for layer in self.decoder.layer_stack:
            y = layer(y, x, trg_mask, src_mask)
        seq_logit = self.trg_word_prj(y)
        seq_logit *= self.d_model**-0.5
        return seq_logit.view(-1, seq_logit.size(2))


def train_py_performance(
    logits: torch.Tensor, gold: torch.Tensor, pad: int, eps: float = 0.1
) -> tuple[torch.Tensor, torch.Tensor]:
    """``cal_performance`` of the reference's train.py with label smoothing: the loss
    summed over non-pad tokens (its own smoothing: ``eps`` spread over the n − 1 wrong
    classes through an explicit one-hot matrix) and the count of correct argmax tokens."""
    gold = gold.contiguous().view(-1)
    n_class = logits.size(1)
    one_hot = torch.zeros_like(logits).scatter(1, gold.view(-1, 1), 1)
    one_hot = one_hot * (1 - eps) + (1 - one_hot) * eps / (n_class - 1)
    log_prb = F.log_softmax(logits, dim=1)
    non_pad_mask = gold.ne(pad)
    loss = -(one_hot * log_prb).sum(dim=1)
    loss = loss.masked_select(non_pad_mask).sum()
    n_correct = logits.max(1)[1].eq(gold).masked_select(non_pad_mask).sum()
    return loss, n_correct
