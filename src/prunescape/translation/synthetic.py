"""An offline synthetic translation corpus with real linguistic structure.

The source language is verb-final with post-nominal adjectives, gendered
determiners and number agreement on the verb; the target language is SVO with
pre-nominal adjectives. Translating therefore needs a word mapping, long-range
reordering and agreement, at variable length: learnable by a small transformer
in minutes on a CPU, but not by copying.

With ``synonym_rate`` > 0 every target noun and adjective has a second
translation (a synonym), used in place of the first with that probability, each
occurrence drawn independently. The source carries no hint of the choice, so the
corpus is learnable structure plus irreducible noise: no model can beat
:func:`ceiling`, a token accuracy below 100 % by about the rate times the share of
target tokens that are nouns or adjectives. The synonyms and their draws come from
a second generator seeded from ``seed``, so the sentences themselves are the same
at every rate (rate 0 is the plain corpus, byte for byte), and a token swapped at
one rate is swapped at every higher rate.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace

from prunescape.translation.corpus import tokenize

GENDERS = ("m", "f", "n")
SOURCE_DET = {"m": "der", "f": "die", "n": "das", "pl": "die"}
SOURCE_INDEF = {"m": "ein", "f": "eine", "n": "ein"}
PREPOSITIONS = [("auf", "on"), ("neben", "next to"), ("unter", "under"), ("mit", "with")]
SOURCE_SYLLABLES = ["ka", "lo", "mu", "ren", "sch", "ta", "vi", "bel", "dor", "gen", "hau", "ze"]
TARGET_SYLLABLES = ["pa", "ri", "mo", "ston", "ble", "ca", "fi", "sun", "der", "wa", "ly", "tor"]


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
    #: Second target word of each target noun and adjective (empty: no synonyms).
    synonyms: dict[str, str] = field(default_factory=dict)


def make_lexicon(rng: random.Random, nouns: int, adjectives: int, verbs: int) -> Lexicon:
    """Invent source and target words; the two vocabularies share no spellings."""
    used: set[str] = set()

    def pair() -> tuple[str, str]:
        return _word(rng, used, SOURCE_SYLLABLES, 2), _word(rng, used, TARGET_SYLLABLES, 2)

    return Lexicon(
        nouns=[(*pair(), GENDERS[i % 3]) for i in range(nouns)],
        adjectives=[pair() for _ in range(adjectives)],
        verbs=[pair() for _ in range(verbs)],
    )


def add_synonyms(rng: random.Random, lex: Lexicon) -> Lexicon:
    """The lexicon with a second target word (three syllables, a spelling of its own)
    for every target noun and adjective."""
    used = {w for entry in (*lex.nouns, *lex.adjectives, *lex.verbs) for w in entry[:2]}
    targets = [n[1] for n in lex.nouns] + [a[1] for a in lex.adjectives]
    return replace(lex, synonyms={t: _word(rng, used, TARGET_SYLLABLES, 3) for t in targets})


@dataclass(frozen=True)
class Synonyms:
    """Where the synonym draws come from, and how often a synonym is used."""

    rng: random.Random
    rate: float

    def pick(self, lex: Lexicon, target: str) -> str:
        return lex.synonyms[target] if self.rng.random() < self.rate else target


def _noun_phrase(
    rng: random.Random, lex: Lexicon, max_adjectives: int, synonyms: Synonyms | None = None
):
    """Source and target token lists of one noun phrase, and its grammatical number."""
    src_noun, trg_noun, gender = rng.choice(lex.nouns)
    plural = rng.random() < 0.3
    definite = plural or rng.random() < 0.6
    adjs = [rng.choice(lex.adjectives) for _ in range(rng.randint(0, max_adjectives))]
    if synonyms is not None:
        trg_noun = synonyms.pick(lex, trg_noun)
        adjs = [(a[0], synonyms.pick(lex, a[1])) for a in adjs]
    if plural:
        src = [SOURCE_DET["pl"], src_noun + "en"]
        trg = ["the", *[a[1] for a in adjs], trg_noun + "s"]
        src += [a[0] + "e" for a in adjs]
    else:
        det = SOURCE_DET[gender] if definite else SOURCE_INDEF[gender]
        src = [det, src_noun, *[a[0] + {"m": "er", "f": "e", "n": "es"}[gender] for a in adjs]]
        trg = ["the" if definite else "a", *[a[1] for a in adjs], trg_noun]
    return src, trg, plural


def sentence_pair(
    rng: random.Random, lex: Lexicon, max_adjectives: int, synonyms: Synonyms | None = None
) -> tuple[str, str]:
    """One sentence: subject, optional object and prepositional phrase, verb."""
    subj_src, subj_trg, plural = _noun_phrase(rng, lex, max_adjectives, synonyms)
    verb_src, verb_trg = rng.choice(lex.verbs)
    src, trg = list(subj_src), list(subj_trg)
    trg.append(verb_trg if plural else verb_trg + "s")
    middle: list[str] = []
    if rng.random() < 0.7:
        obj_src, obj_trg, _ = _noun_phrase(rng, lex, max_adjectives, synonyms)
        middle += obj_src
        trg += obj_trg
    if rng.random() < 0.4:
        prep_src, prep_trg = rng.choice(PREPOSITIONS)
        pp_src, pp_trg, _ = _noun_phrase(rng, lex, max_adjectives, synonyms)
        middle += [prep_src, *pp_src]
        trg += [prep_trg, *pp_trg]
    # Verb-final source: the verb, marked for number, comes after everything else.
    src += [*middle, verb_src + ("en" if plural else "t")]
    return " ".join(src).capitalize() + " .", " ".join(trg).capitalize() + " ."


def _synonym_rng(seed: int) -> random.Random:
    # A string seed is hashed with SHA-512: the same stream on every run and machine.
    return random.Random(f"synonyms:{seed}")


def _check_rate(synonym_rate: float) -> None:
    if not 0.0 <= synonym_rate <= 0.5:
        raise ValueError(f"synonym_rate must lie in [0, 0.5], got {synonym_rate}")


def corpus_lexicon(
    *, seed: int, nouns: int, adjectives: int, verbs: int, synonym_rate: float = 0.0
) -> Lexicon:
    """The lexicon :func:`generate_corpus` draws with these arguments (for :func:`ceiling`)."""
    _check_rate(synonym_rate)
    lex = make_lexicon(random.Random(seed), nouns, adjectives, verbs)
    return add_synonyms(_synonym_rng(seed), lex) if synonym_rate > 0 else lex


def generate_corpus(
    *,
    seed: int,
    sizes: dict[str, int],
    nouns: int,
    adjectives: int,
    verbs: int,
    max_adjectives: int,
    synonym_rate: float = 0.0,
) -> dict[str, list[tuple[str, str]]]:
    """Sentence pairs per split, drawn from one seeded lexicon.

    ``synonym_rate`` (0 to 0.5) is the probability that a target noun or adjective
    is replaced by its synonym; 0 draws nothing from the synonym generator.
    """
    _check_rate(synonym_rate)
    rng = random.Random(seed)
    lex = make_lexicon(rng, nouns, adjectives, verbs)
    synonyms = None
    if synonym_rate > 0:
        noise = _synonym_rng(seed)
        lex = add_synonyms(noise, lex)
        synonyms = Synonyms(noise, synonym_rate)
    return {
        split: [sentence_pair(rng, lex, max_adjectives, synonyms) for _ in range(size)]
        for split, size in sizes.items()
    }


def ceiling(pairs: list[tuple[str, str]], lex: Lexicon, synonym_rate: float) -> dict[str, float]:
    """The best any model can do on ``pairs``, per target token as training counts them
    (lower-cased tokens and </s>, teacher-forced).

    Every target token but a noun or adjective follows from the source; for those the
    best guess is the first translation (right with probability 1 - rate), and the best
    predictive distribution puts 1 - rate on it and rate on the synonym. Returns the
    accuracy and cross-entropy (nats) of that ideal model on these pairs, and
    ``ambiguous``, the share of target tokens that are nouns or adjectives; in
    expectation the accuracy is 1 - rate · ambiguous.
    """
    _check_rate(synonym_rate)
    second = {w: w for w in lex.synonyms.values()}
    second |= {w + "s": w for w in lex.synonyms.values()}  # plural nouns
    first = {w: w for w in lex.synonyms} | {w + "s": w for w in lex.synonyms}
    tokens = ambiguous = swapped = 0
    for _, trg in pairs:
        words = tokenize(trg)
        tokens += len(words) + 1  # </s>
        for w in words:
            ambiguous += w in first or w in second
            swapped += w in second
    if synonym_rate == 0 or not tokens:
        return {"acc": 1.0, "loss": 0.0, "ambiguous": ambiguous / max(tokens, 1)}
    kept = ambiguous - swapped
    nats = -kept * math.log1p(-synonym_rate) - swapped * math.log(synonym_rate)
    # With rate 0.5 either word is a best guess; the first is as good as any.
    return {"acc": 1 - swapped / tokens, "loss": nats / tokens, "ambiguous": ambiguous / tokens}
