"""Tokenisation, vocabulary and encoding of parallel corpora (as in the reference).

Lower-cased word tokens from sacrebleu's 13a tokenizer, a vocabulary from the
training split only with a minimum frequency, one vocabulary shared by source
and target, and the reference code's four specials.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable

import torch
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

SPECIALS = ("<unk>", "<blank>", "<s>", "</s>")
UNK, PAD, BOS, EOS = range(4)

_tokenizer = Tokenizer13a()


def tokenize(text: str) -> list[str]:
    return _tokenizer(text.strip().lower()).split()


def build_vocab(pairs: Iterable[tuple[str, str]], min_freq: int) -> list[str]:
    """Specials, then every train token seen ``min_freq`` times, most frequent first."""
    counts: Counter[str] = Counter()
    for src, trg in pairs:
        counts.update(tokenize(src))
        counts.update(tokenize(trg))
    kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
    return [*SPECIALS, *(t for t in kept if t not in SPECIALS)]


def encode_side(sentences: Iterable[str], stoi: dict[str, int]) -> dict[str, torch.Tensor]:
    """Ragged encoding: one flat token tensor plus offsets, each sentence <s> … </s>."""
    tokens: list[int] = []
    offsets = [0]
    for sentence in sentences:
        ids = [BOS, *(stoi.get(t, UNK) for t in tokenize(sentence)), EOS]
        tokens.extend(ids)
        offsets.append(len(tokens))
    return {"tokens": torch.tensor(tokens, dtype=torch.long), "offsets": torch.tensor(offsets)}


def encode_pairs(pairs: list[tuple[str, str]], stoi: dict[str, int]) -> dict[str, torch.Tensor]:
    src = encode_side((p[0] for p in pairs), stoi)
    trg = encode_side((p[1] for p in pairs), stoi)
    return {
        "src_tokens": src["tokens"],
        "src_offsets": src["offsets"],
        "trg_tokens": trg["tokens"],
        "trg_offsets": trg["offsets"],
    }


def sentences(encoded: dict[str, torch.Tensor], side: str) -> list[torch.Tensor]:
    """Split a ragged encoding back into one tensor per sentence."""
    offsets = encoded[f"{side}_offsets"].tolist()
    tokens = encoded[f"{side}_tokens"]
    return [tokens[a:b] for a, b in itertools.pairwise(offsets)]


def decode(ids: Iterable[int], itos: list[str]) -> str:
    """Token ids to a detokenised string, stopping at </s>; <s> and padding are skipped."""
    words = []
    for i in ids:
        if i == EOS:
            break
        if i in (BOS, PAD):
            continue
        words.append(itos[i])
    return detokenize(words)


def detokenize(words: list[str]) -> str:
    """Undo the tokenizer's split of punctuation from words."""
    text = " ".join(words)
    for mark in (".", ",", "!", "?", ";", ":", "'s", "n't", ")"):
        text = text.replace(f" {mark}", mark)
    return text.replace("( ", "(")


def statistics(itos: list[str], encoded: dict[str, dict[str, torch.Tensor]], min_freq: int) -> dict:
    """Sizes, vocabulary and length statistics, and the unknown-token rate per split."""
    out: dict = {"vocab_size": len(itos), "min_freq": min_freq, "splits": {}}
    for split, data in encoded.items():
        entry = {"pairs": len(data["src_offsets"]) - 1}
        for side in ("src", "trg"):
            lengths = data[f"{side}_offsets"].diff().double() - 2
            tokens = data[f"{side}_tokens"]
            entry[f"{side}_mean_length"] = round(float(lengths.mean()), 4)
            entry[f"{side}_max_length"] = int(lengths.max())
            entry[f"{side}_unk_rate"] = round(float((tokens == UNK).double().mean()), 6)
        out["splits"][split] = entry
    return out
