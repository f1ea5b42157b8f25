"""An offline synthetic translation corpus with real linguistic structure.

The source language is verb-final with post-nominal adjectives, gendered
determiners and number agreement on the verb; the target language is SVO with
pre-nominal adjectives. Translating therefore needs a word mapping, long-range
reordering and agreement, at variable length: learnable by a small transformer
in minutes on a CPU, but not by copying.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

GENDERS = ("m", "f", "n")
SOURCE_DET = {"m": "der", "f": "die", "n": "das", "pl": "die"}
SOURCE_INDEF = {"m": "ein", "f": "eine", "n": "ein"}
PREPOSITIONS = [("auf", "on"), ("neben", "next to"), ("unter", "under"), ("mit", "with")]


def _word(rng: random.Random, used: set[str], syllables: list[str], parts: int) -> str:
    while True:
        word = "".join(rng.choice(syllables) for _ in range(parts))
        if word not in used:
            used.add(word)
            return word


@dataclass(frozen=True)
class Lexicon:
    nouns: list[tuple[str, str, str]]  # (source, target, gender)
    adjectives: list[tuple[str, str]]
    verbs: list[tuple[str, str]]  # (source stem, target stem)


def make_lexicon(rng: random.Random, nouns: int, adjectives: int, verbs: int) -> Lexicon:
    """Invent source and target words; the two vocabularies share no spellings."""
    src_syl = ["ka", "lo", "mu", "ren", "sch", "ta", "vi", "bel", "dor", "gen", "hau", "ze"]
    trg_syl = ["pa", "ri", "mo", "ston", "ble", "ca", "fi", "sun", "der", "wa", "ly", "tor"]
    used: set[str] = set()

    def pair() -> tuple[str, str]:
        return _word(rng, used, src_syl, 2), _word(rng, used, trg_syl, 2)

    return Lexicon(
        nouns=[(*pair(), GENDERS[i % 3]) for i in range(nouns)],
        adjectives=[pair() for _ in range(adjectives)],
        verbs=[pair() for _ in range(verbs)],
    )


def _noun_phrase(rng: random.Random, lex: Lexicon, max_adjectives: int):
    """Source and target token lists of one noun phrase, and its grammatical number."""
    src_noun, trg_noun, gender = rng.choice(lex.nouns)
    plural = rng.random() < 0.3
    definite = plural or rng.random() < 0.6
    adjs = [rng.choice(lex.adjectives) for _ in range(rng.randint(0, max_adjectives))]
    if plural:
        src = [SOURCE_DET["pl"], src_noun + "en"]
        trg = ["the", *[a[1] for a in adjs], trg_noun + "s"]
        src += [a[0] + "e" for a in adjs]
    else:
        det = SOURCE_DET[gender] if definite else SOURCE_INDEF[gender]
        src = [det, src_noun, *[a[0] + {"m": "er", "f": "e", "n": "es"}[gender] for a in adjs]]
        trg = ["the" if definite else "a", *[a[1] for a in adjs], trg_noun]
    return src, trg, plural


def sentence_pair(rng: random.Random, lex: Lexicon, max_adjectives: int) -> tuple[str, str]:
    """One sentence: subject, optional object and prepositional phrase, verb."""
    subj_src, subj_trg, plural = _noun_phrase(rng, lex, max_adjectives)
    verb_src, verb_trg = rng.choice(lex.verbs)
    src, trg = list(subj_src), list(subj_trg)
    trg.append(verb_trg if plural else verb_trg + "s")
    middle: list[str] = []
    if rng.random() < 0.7:
        obj_src, obj_trg, _ = _noun_phrase(rng, lex, max_adjectives)
        middle += obj_src
        trg += obj_trg
    if rng.random() < 0.4:
        prep_src, prep_trg = rng.choice(PREPOSITIONS)
        pp_src, pp_trg, _ = _noun_phrase(rng, lex, max_adjectives)
        middle += [prep_src, *pp_src]
        trg += [prep_trg, *pp_trg]
    # Verb-final source: the verb, marked for number, comes after everything else.
    src += [*middle, verb_src + ("en" if plural else "t")]
    return " ".join(src).capitalize() + " .", " ".join(trg).capitalize() + " ."


def generate_corpus(
    *,
    seed: int,
    sizes: dict[str, int],
    nouns: int,
    adjectives: int,
    verbs: int,
    max_adjectives: int,
) -> dict[str, list[tuple[str, str]]]:
    """Sentence pairs per split, drawn from one seeded lexicon."""
    rng = random.Random(seed)
    lex = make_lexicon(rng, nouns, adjectives, verbs)
    return {
        split: [sentence_pair(rng, lex, max_adjectives) for _ in range(size)]
        for split, size in sizes.items()
    }
