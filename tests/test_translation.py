"""Translation stack (E2, E3): data, the transformer, its schedule, training, evaluation.

Everything runs on tiny corpora and models; the Multi30k tests read the released
files from ``../shared/data/multi30k`` and skip where that folder is absent.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from prunescape.io import CheckpointError, load_checkpoint, save_checkpoint
from prunescape.pruning import MaskEnforcer, global_magnitude_masks, prunable_names
from prunescape.translation import corpus, multi30k, synthetic
from prunescape.translation.arms import train_config
from prunescape.translation.artifacts import load_model, load_vocab
from prunescape.translation.batching import Batcher, eval_metrics
from prunescape.translation.corpus import BOS, EOS, PAD, SPECIALS, UNK
from prunescape.translation.evaluation import greedy_decode, scores
from prunescape.translation.model import Transformer, TransformerConfig, sinusoid_table
from prunescape.translation.schedule import learning_rate
from prunescape.translation.training import (
    TrainConfig,
    adopt_run,
    parameters,
    plateau_reached,
    study_adam,
    train,
    train_step,
)
from prunescape.translation.tuning import chosen_run
from prunescape.workflow import ConfigError

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
MULTI30K = Path(__file__).resolve().parents[2] / "shared" / "data" / "multi30k"
PRUNE_PATTERNS = [r"attn\.(q|k|v|o)\.weight$", r"ffn\.w_(1|2)\.weight$"]
TINY_MODEL = {"d_model": 16, "d_inner": 32, "layers": 1, "heads": 2, "dropout": 0.1}
TINY_TRAIN = {"epochs": 3, "batch_size": 16, "lr_mul": 1.0, "warmup": 4, "seed": 0}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run fastest, and steadiest on a shared machine, on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ---------------------------------------------------------------- Multi30k (real files)


@pytest.fixture(scope="module")
def m30k() -> dict[str, list[tuple[str, str]]]:
    if not MULTI30K.is_dir():
        pytest.skip(f"Multi30k raw files not present at {MULTI30K}")
    return multi30k.read(MULTI30K)


@pytest.fixture(scope="module")
def m30k_vocab(m30k) -> list[str]:
    """Built once: counting 29,000 sentence pairs takes a few seconds."""
    return corpus.build_vocab(m30k["train"], 3)


def test_multi30k_split_sizes(m30k):
    assert {split: len(pairs) for split, pairs in m30k.items()} == {
        "train": 29_000,
        "val": 1_014,
        "test": 1_000,
    }
    # (German, English), in release order
    assert m30k["val"][0] == (
        "Eine Gruppe von Männern lädt Baumwolle auf einen Lastwagen",
        "A group of men are loading cotton onto a truck",
    )


def test_multi30k_train_subset(m30k):
    subset = multi30k.read(MULTI30K, train_pairs=1_000)
    assert subset["train"] == m30k["train"][:1_000]
    assert subset["val"] == m30k["val"] and subset["test"] == m30k["test"]
    with pytest.raises(multi30k.DataError, match=r"data\.train_pairs.*29000"):
        multi30k.read(MULTI30K, train_pairs=29_001)


def test_multi30k_checksums(m30k, tmp_path):
    multi30k.verify(MULTI30K)  # the released files pass
    for name in multi30k.SHA256:
        (tmp_path / name).symlink_to(MULTI30K / name)
    multi30k.verify(tmp_path)  # ... and so do links to them
    tampered = tmp_path / "val.en.gz"
    tampered.unlink()
    data = bytearray((MULTI30K / "val.en.gz").read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    with pytest.raises(multi30k.DataError, match="SHA-256") as err:
        multi30k.read(tmp_path)
    assert str(tampered) in str(err.value)
    (tmp_path / "train.de.gz").unlink()
    with pytest.raises(multi30k.DataError, match="missing") as err:
        multi30k.verify(tmp_path)
    assert str(tmp_path / "train.de.gz") in str(err.value)


def test_multi30k_vocabulary(m30k_vocab):
    itos = m30k_vocab
    assert len(itos) == 9_737  # observed: lower-cased sacrebleu 13a tokens, min_freq 3
    assert 9_000 <= len(itos) <= 10_500
    assert itos[:4] == ["<unk>", "<blank>", "<s>", "</s>"] == list(SPECIALS)
    assert len(set(itos)) == len(itos)
    # one vocabulary for both languages, lower-cased
    assert {"a", "man", "ein", "mann", "."} <= set(itos)
    assert all(t == t.lower() for t in itos[4:])


def test_multi30k_round_trip(m30k, m30k_vocab):
    stoi = {t: i for i, t in enumerate(m30k_vocab)}
    chosen = [en for _, en in m30k["val"] if all(t in stoi for t in corpus.tokenize(en))][:5]
    assert len(chosen) == 5
    for sentence in chosen:
        encoded = corpus.encode_side([sentence], stoi)
        ids = encoded["tokens"].tolist()
        assert ids[0] == BOS and ids[-1] == EOS and UNK not in ids
        assert encoded["offsets"].tolist() == [0, len(ids)]
        expected = corpus.detokenize(corpus.tokenize(sentence))
        assert corpus.decode(ids, m30k_vocab) == expected
        assert expected == sentence.strip().lower()  # these sentences detokenise exactly


# ---------------------------------------------------------------- synthetic corpus

SYNTH = {"nouns": 12, "adjectives": 4, "verbs": 4, "max_adjectives": 1}


def test_synthetic_is_seeded():
    sizes = {"train": 100, "val": 20}
    one = synthetic.generate_corpus(seed=3, sizes=sizes, **SYNTH)
    assert one == synthetic.generate_corpus(seed=3, sizes=sizes, **SYNTH)
    other = synthetic.generate_corpus(seed=4, sizes=sizes, **SYNTH)
    assert [len(v) for v in one.values()] == [100, 20]
    assert not set(one["train"]) & set(other["train"])


def test_synthetic_structure():
    seed = 0
    pairs = synthetic.generate_corpus(seed=seed, sizes={"train": 300}, **SYNTH)["train"]
    lex = synthetic.make_lexicon(random.Random(seed), 12, 4, 4)  # the corpus's first draws
    lengths = {len(corpus.tokenize(src)) for src, _ in pairs}
    assert len(lengths) >= 6 and min(lengths) <= 5 and max(lengths) >= 10
    src_words = {t for src, _ in pairs for t in corpus.tokenize(src)}
    trg_words = {t for _, trg in pairs for t in corpus.tokenize(trg)}
    assert src_words & trg_words == {"."}  # a real mapping, no copying
    reordered = 0
    for src, trg in pairs:
        s, t = corpus.tokenize(src), corpus.tokenize(trg)
        assert s[-1] == t[-1] == "."
        # verb-final source, with number agreement carried to the target verb
        forms = [(stem + "en", target) for stem, target in lex.verbs] + [
            (stem + "t", target + "s") for stem, target in lex.verbs
        ]
        matches = [target for source, target in forms if s[-2] == source]
        assert len(matches) == 1, src
        assert matches[0] in t, (src, trg)
        reordered += t.index(matches[0]) != len(t) - 2
    assert reordered / len(pairs) > 0.5  # most targets need the verb moved forward


def test_synthetic_vocabulary_covers_val():
    pairs = synthetic.generate_corpus(
        seed=0,
        sizes={"train": 2000, "val": 200},
        nouns=24,
        adjectives=8,
        verbs=8,
        max_adjectives=1,
    )
    itos = corpus.build_vocab(pairs["train"], 3)
    assert itos[:4] == list(SPECIALS)
    stoi = {t: i for i, t in enumerate(itos)}
    encoded = corpus.encode_pairs(pairs["val"], stoi)
    assert int((encoded["src_tokens"] == UNK).sum()) == 0
    assert int((encoded["trg_tokens"] == UNK).sum()) == 0
    assert len(encoded["src_offsets"]) == 201


QUICK_LEXICON = {"nouns": 24, "adjectives": 8, "verbs": 8}
QUICK_SYNTH = QUICK_LEXICON | {"max_adjectives": 1}
QUICK_SIZES = {"train": 1600, "val": 200, "test": 200}
# sha256 of the JSON of generate_corpus's output from before synonym_rate existed.
PLAIN_DIGESTS = {
    0: "22934f0009aba51d699caf25333ae2a029122383a21d61a0d2ddd4b8f5d7ebb4",
    3: "dcf2cfcdf707d264026dfcd504da4e05322738de7e8928caaf31a6b68770ad90",
}


def quick_corpus(rate: float | None = None, sizes: dict[str, int] = QUICK_SIZES, seed: int = 0):
    extra = {} if rate is None else {"synonym_rate": rate}
    return synthetic.generate_corpus(seed=seed, sizes=sizes, **QUICK_SYNTH, **extra)


def is_synonym(word: str, synonyms: set[str]) -> bool:
    return word in synonyms or (word.endswith("s") and word[:-1] in synonyms)  # plural nouns


@pytest.mark.parametrize(
    ("seed", "sizes", "synth"),
    [(0, QUICK_SIZES, QUICK_SYNTH), (3, {"train": 300}, SYNTH | {"max_adjectives": 2})],
)
def test_synthetic_rate_zero_is_the_plain_corpus(seed, sizes, synth):
    absent = synthetic.generate_corpus(seed=seed, sizes=sizes, **synth)
    assert hashlib.sha256(json.dumps(absent).encode()).hexdigest() == PLAIN_DIGESTS[seed]
    assert synthetic.generate_corpus(seed=seed, sizes=sizes, **synth, synonym_rate=0) == absent
    assert synthetic.generate_corpus(seed=seed, sizes=sizes, **synth, synonym_rate=0.0) == absent


def test_synthetic_synonyms_swap_the_expected_share():
    rate = 0.2
    plain, noisy = quick_corpus(), quick_corpus(rate)
    assert noisy == quick_corpus(rate)  # seeded: the same bytes again
    assert noisy["train"] != quick_corpus(rate, seed=1)["train"]
    lex = synthetic.corpus_lexicon(seed=0, **QUICK_LEXICON, synonym_rate=rate)
    firsts, seconds = set(lex.synonyms), set(lex.synonyms.values())
    assert firsts == {n[1] for n in lex.nouns} | {a[1] for a in lex.adjectives}
    assert len(seconds) == len(firsts)  # one synonym each, no two alike
    assert not seconds & {w for entry in (*lex.nouns, *lex.adjectives, *lex.verbs) for w in entry}
    changed = ambiguous = tokens = 0
    for split in QUICK_SIZES:
        # The same sentences: sources are untouched, and only target nouns and
        # adjectives differ, each from its own first translation.
        assert [s for s, _ in noisy[split]] == [s for s, _ in plain[split]]
        for (_, a), (_, b) in zip(plain[split], noisy[split], strict=True):
            a, b = corpus.tokenize(a), corpus.tokenize(b)
            assert len(a) == len(b)
            for x, y in zip(a, b, strict=True):
                if x != y:
                    assert is_synonym(y, seconds)
                    assert y.removesuffix("s") == lex.synonyms[x.removesuffix("s")]
                    changed += 1
            tokens += len(a)
            ambiguous += sum(is_synonym(w, firsts) for w in a)
    assert 0.3 < ambiguous / tokens < 0.45  # nouns and adjectives: about a third of the words
    assert changed / ambiguous == pytest.approx(
        rate, abs=4 * (rate * (1 - rate) / ambiguous) ** 0.5
    )
    # One uniform draw per ambiguous word, so whatever rate 0.1 swaps, rate 0.3 swaps too.
    low, high = (quick_corpus(r, {"train": 300})["train"] for r in (0.1, 0.3))
    for (_, a), (_, b) in zip(low, high, strict=True):
        for x, y in zip(corpus.tokenize(a), corpus.tokenize(b), strict=True):
            assert x == y or not is_synonym(x, seconds)
    with pytest.raises(ValueError, match="synonym_rate"):
        quick_corpus(0.6, {"train": 1})


def test_synthetic_ceiling():
    rate = 0.2
    pairs = quick_corpus(rate)["val"]
    lex = synthetic.corpus_lexicon(seed=0, **QUICK_LEXICON, synonym_rate=rate)
    best = synthetic.ceiling(pairs, lex, rate)
    # The ideal model: the first translation wherever a noun or adjective goes, the
    # corpus's own word (and </s>) everywhere else.
    seconds = set(lex.synonyms.values())
    words = [[*corpus.tokenize(trg), "</s>"] for _, trg in pairs]
    tokens = sum(map(len, words))
    right = sum(not is_synonym(w, seconds) for ws in words for w in ws)
    assert best["acc"] == pytest.approx(right / tokens)
    assert best["acc"] == pytest.approx(1 - rate * best["ambiguous"], abs=0.02)
    assert 0.9 < best["acc"] < 0.95
    entropy = -rate * math.log(rate) - (1 - rate) * math.log(1 - rate)
    assert best["loss"] == pytest.approx(entropy * best["ambiguous"], rel=0.1)
    plain = synthetic.ceiling(
        quick_corpus()["val"], synthetic.corpus_lexicon(seed=0, **QUICK_LEXICON), 0
    )
    assert plain == {"acc": 1.0, "loss": 0.0, "ambiguous": 0.0}


# ---------------------------------------------------------------- the transformer


def tiny_model(vocab_size: int, seed: int = 1, **overrides) -> Transformer:
    torch.manual_seed(seed)
    return Transformer(TransformerConfig(vocab_size=vocab_size, **{**TINY_MODEL, **overrides}))


def test_decoder_is_causal():
    model = tiny_model(30, layers=2).eval()
    g = torch.Generator().manual_seed(0)
    src = torch.randint(4, 30, (1, 7), generator=g)
    trg = torch.cat([torch.tensor([[BOS]]), torch.randint(4, 30, (1, 8), generator=g)], 1)
    with torch.no_grad():
        base = model(src, trg)
        for j in range(trg.shape[1]):
            changed = trg.clone()
            changed[0, j] = 4 + (int(trg[0, j]) - 3) % 26  # another non-special token
            assert changed[0, j] != trg[0, j]
            out = model(src, changed)
            assert torch.equal(out[:, :j], base[:, :j]), f"position < {j} saw token {j}"
            moved = (out[0, j:] - base[0, j:]).abs().amax(-1)
            assert bool((moved > 1e-5).all()), f"positions >= {j} ignore token {j}: {moved}"


def test_logits_only_at_kept_positions():
    model = tiny_model(30, layers=2).eval()
    src = torch.tensor([[5, 9, 11, 6, PAD], [7, 8, 12, 13, 14]])
    trg = torch.tensor([[BOS, 20, 21, PAD, PAD], [BOS, 22, 23, 24, 25]])
    keep = trg != PAD
    with torch.no_grad():
        full, kept = model(src, trg), model(src, trg, keep)
    assert kept.shape == (8, 30)
    torch.testing.assert_close(kept, full[keep])


def test_source_padding_is_invisible():
    model = tiny_model(30, layers=2).eval()
    short = torch.tensor([[5, 9, 11, 6]])
    long = torch.tensor([[7, 8, 12, 13, 14, 15, 16, 17, 18]])
    trg = torch.tensor([[BOS, 20, 21, 22]])
    src = torch.full((2, long.shape[1]), PAD)
    src[0, : short.shape[1]] = short
    src[1] = long
    with torch.no_grad():
        alone = model(short, trg)
        batched = model(src, trg.expand(2, -1))
    torch.testing.assert_close(batched[:1], alone, atol=1e-5, rtol=0)
    assert not torch.allclose(batched[1:], alone, atol=1e-3)  # the sentences do differ


def test_learning_rate_schedule():
    lr = learning_rate(4000, d_model=512, lr_mul=0.5, warmup=4000)
    assert f"{lr:.3e}" == "3.494e-04"
    kw = {"d_model": 64, "lr_mul": 2.0, "warmup": 100}
    slope = 2.0 * 64**-0.5 * 100**-1.5
    for step in (1, 2, 50, 99, 100):  # linear warm-up
        assert learning_rate(step, **kw) == pytest.approx(step * slope, rel=1e-12)
    for step in (100, 101, 400, 10_000):  # then inverse square root
        assert learning_rate(step, **kw) == pytest.approx(2.0 * 64**-0.5 / step**0.5, rel=1e-12)
    assert learning_rate(400, **kw) == pytest.approx(learning_rate(100, **kw) / 2)
    assert max(range(1, 300), key=lambda s: learning_rate(s, **kw)) == 100
    for bad in (0, -1):
        with pytest.raises(ValueError, match="step"):
            learning_rate(bad, **kw)


def _hidden_and_logits(model: Transformer, src, trg):
    """The decoder output fed to the projection, the logits, and the embedding-norm inputs."""
    seen = {}
    hooks = [
        model.project.register_forward_hook(lambda m, i, o: seen.update(hidden=i[0])),
        model.src_norm.register_forward_pre_hook(lambda m, i: seen.update(src_in=i[0])),
        model.trg_norm.register_forward_pre_hook(lambda m, i: seen.update(trg_in=i[0])),
    ]
    with torch.no_grad():
        logits = model(src, trg)
    for hook in hooks:
        hook.remove()
    return seen, logits


def test_shared_embeddings_and_scaling():
    src, trg = torch.tensor([[5, 6, 7, 8]]), torch.tensor([[BOS, 9, 10]])
    position = sinusoid_table(256, 16)
    for scale in ("prj", "emb"):
        model = tiny_model(25, scale=scale).eval()
        weight = model.src_embed.weight
        assert model.trg_embed.weight is weight and model.project.weight is weight
        names = [n for n, p in model.named_parameters() if p is weight]
        assert names == ["src_embed.weight"]
        assert sum(p.numel() for p in model.parameters()) == sum(
            p.numel() for _, p in model.named_parameters()
        )
        seen, logits = _hidden_and_logits(model, src, trg)
        emb = 16**0.5 if scale == "emb" else 1.0
        prj = 16**-0.5 if scale == "prj" else 1.0
        torch.testing.assert_close(seen["src_in"], weight[src] * emb + position[:4])
        torch.testing.assert_close(seen["trg_in"], weight[trg] * emb + position[:3])
        with torch.no_grad():
            states = model.decode(trg, *model.encode(src))
        torch.testing.assert_close(logits, states @ weight.T * prj)
    unshared = tiny_model(25, shared_embeddings=False).eval()
    assert unshared.project.weight is not unshared.src_embed.weight
    seen, logits = _hidden_and_logits(unshared, src, trg)
    torch.testing.assert_close(logits, seen["hidden"] @ unshared.project.weight.T)


# ---------------------------------------------------------------- training

Data = SimpleNamespace


@pytest.fixture(scope="module")
def data() -> Data:
    pairs = synthetic.generate_corpus(
        seed=0, sizes={"train": 64, "val": 16, "alt": 64}, **SYNTH | {"nouns": 6}
    )
    itos = corpus.build_vocab(pairs["train"], 1)
    stoi = {t: i for i, t in enumerate(itos)}
    batcher = {split: Batcher(corpus.encode_pairs(p, stoi)) for split, p in pairs.items()}
    return Data(itos=itos, train=batcher["train"], val=batcher["val"], alt=batcher["alt"])


def _content(batches) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Every (source, target) pair in the batches, padding removed, sorted."""
    return sorted(
        (tuple(s[s != PAD].tolist()), tuple(t[t != PAD].tolist()))
        for src, trg in batches
        for s, t in zip(src, trg, strict=True)
    )


def test_length_grouped_batches(data):
    def seeded(seed: int) -> torch.Generator:
        return torch.Generator().manual_seed(seed)

    plain = data.alt.batches(8, seeded(3))
    grouped = data.alt.batches(8, seeded(3), by_length=True)
    assert _content(grouped) == _content(plain)  # the same sentences, each once
    assert [len(s) for s, _ in grouped] == [8] * 8

    def padding(batches) -> int:
        return sum(int((trg == PAD).sum()) for _, trg in batches)

    assert padding(grouped) < padding(plain) / 2
    again = data.alt.batches(8, seeded(3), by_length=True)
    assert all(torch.equal(a[1], b[1]) for a, b in zip(grouped, again, strict=True))
    other = data.alt.batches(8, seeded(4), by_length=True)
    assert [t.shape for _, t in other] != [t.shape for _, t in grouped]


def prune_masks(model: Transformer, rate: float = 0.5) -> dict[str, torch.Tensor]:
    names = prunable_names(model, PRUNE_PATTERNS)
    return global_magnitude_masks(parameters(model), names, rate)


def run(
    out: Path, data: Data, *, stop_after=None, masks=False, train_data=None, device="cpu", **cfg
):
    """Train a freshly built tiny model (same seeded init every time) into ``out``."""
    model = tiny_model(len(data.itos)).to(device)
    return train(
        model,
        parameters(model),
        train_data or data.train,
        data.val,
        TrainConfig(**{**TINY_TRAIN, **cfg}),
        out,
        masks=prune_masks(model) if masks else None,
        stop_after=stop_after,
    )


def weights(path: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(path)[0]


def assert_same_tensors(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


def assert_same_run(a: Path, b: Path, epochs: int = 3) -> None:
    assert (a / "metrics.csv").read_bytes() == (b / "metrics.csv").read_bytes()
    for rel in ["final.pt", "w0.pt", *(f"epochs/epoch_{k:03d}.pt" for k in range(1, epochs + 1))]:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def assert_complete(out: Path, epochs: int = 3) -> None:
    assert (out / "w0.pt").is_file() and (out / "final.pt").is_file()
    for k in range(1, epochs + 1):
        assert (out / "epochs" / f"epoch_{k:03d}.pt").is_file()
    assert not (out / ".resume").exists()
    assert_same_tensors(weights(out / "final.pt"), weights(out / f"epochs/epoch_{epochs:03d}.pt"))


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory, data) -> Path:
    out = tmp_path_factory.mktemp("clean")
    run(out, data)
    return out


def test_training_writes_run_folder(clean_run, data):
    assert_complete(clean_run)
    metrics = (clean_run / "metrics.csv").read_text().splitlines()
    assert metrics[0] == "epoch,step,lr,train_loss,train_ppl,train_acc,val_loss,val_ppl,val_acc"
    assert [row.split(",")[:2] for row in metrics[1:]] == [
        ["0", "0"],
        *[[str(k), str(4 * k)] for k in (1, 2, 3)],
    ]
    assert (clean_run / "timing.csv").is_file()
    w0, final = weights(clean_run / "w0.pt"), weights(clean_run / "final.pt")
    assert not torch.equal(w0["src_embed.weight"], final["src_embed.weight"])  # it trained
    assert "trg_embed.weight" not in final and "project.weight" not in final  # tied: stored once
    model = tiny_model(len(data.itos))
    assert_same_tensors(w0, parameters(model))  # w0 is the init


def test_training_is_deterministic(clean_run, data, tmp_path):
    run(tmp_path, data)
    assert_same_run(clean_run, tmp_path)


def test_study_adam_steps_exactly_like_the_per_tensor_loop(data):
    """foreach kernels are only faster: after a few steps every weight equals the
    per-tensor loop's, bit for bit."""
    batches = list(data.train.batches(16, generator=torch.Generator().manual_seed(0)))[:4]
    trained = []
    for make in (study_adam, lambda p: torch.optim.Adam(p, betas=(0.9, 0.98), eps=1e-9)):
        model = tiny_model(len(data.itos))
        optimizer = make(model.parameters())
        for batch in batches:
            train_step(model, optimizer, batch, 1e-3, 0.1)
        trained.append(parameters(model))
    assert optimizer.defaults["foreach"] is None  # the loop it is compared with
    assert not torch.equal(
        trained[0]["src_embed.weight"], parameters(tiny_model(len(data.itos)))["src_embed.weight"]
    )
    assert_same_tensors(*trained)


def test_an_adopted_run_is_the_trained_run(clean_run, tmp_path):
    """The tune seed's baseline adopts the tune run: every file train() wrote, same bytes;
    a folder without a finished run is refused."""
    adopt_run(clean_run, tmp_path / "adopted")
    wrote = {
        p.relative_to(clean_run)
        for p in clean_run.rglob("*")
        if p.is_file() and ".resume" not in p.parts
    }
    adopted = tmp_path / "adopted"
    got = {p.relative_to(adopted) for p in adopted.rglob("*") if p.is_file()}
    assert got == wrote and len(got) == 9  # w0, final, best, 3 epochs, metrics, timing, run.json
    for rel in got:
        assert (adopted / rel).read_bytes() == (clean_run / rel).read_bytes()
        # Fresh files (not links): Snakemake must see the outputs newer than the inputs.
        assert (adopted / rel).stat().st_ino != (clean_run / rel).stat().st_ino
        assert (adopted / rel).stat().st_mtime_ns >= (clean_run / rel).stat().st_mtime_ns
    with pytest.raises(FileNotFoundError, match="no finished run to adopt"):
        adopt_run(tmp_path / "empty", tmp_path / "other")


def test_the_chosen_tune_run_is_found_by_its_folder_name():
    statuses = [f"results/q/tune/lr_mul_{v}/run.json" for v in ("0.25", "0.5", "1")]
    assert chosen_run({"lr_mul": 0.5}, statuses) == Path("results/q/tune/lr_mul_0.5")
    assert chosen_run({"lr_mul": 1.0}, statuses) == Path("results/q/tune/lr_mul_1")
    with pytest.raises(ConfigError, match="lr_mul 2: expected one tune run folder lr_mul_2"):
        chosen_run({"lr_mul": 2.0}, statuses)


def test_a_tuned_schedule_is_the_pinned_one(tmp_path):
    """Adoption is sound only if the tuned config equals the config pinned at the choice."""
    choice = tmp_path / "choice.json"
    choice.write_text(json.dumps({"lr_mul": 0.5}))
    section = {**TINY_TRAIN, "lr_mul": "tuned"}
    section.pop("seed", None)
    tuned = train_config(section, str(choice), order_seed=7)
    pinned = train_config(section, [], order_seed=7, lr_mul=0.5)
    assert tuned == pinned and tuned.lr_mul == 0.5 and tuned.seed == 7


def test_resume_after_interruption_is_exact(clean_run, data, tmp_path, capsys):
    partial = run(tmp_path, data, stop_after=1)
    assert list(partial["epoch"]) == [0, 1]
    assert (tmp_path / ".resume" / "state.pt").is_file()
    assert not (tmp_path / "final.pt").exists() and not (tmp_path / "metrics.csv").exists()
    # Snakemake deletes a failed job's declared outputs; only .resume/ survives.
    (tmp_path / "w0.pt").unlink()
    shutil.rmtree(tmp_path / "epochs", ignore_errors=True)
    capsys.readouterr()
    run(tmp_path, data)
    out = capsys.readouterr().out
    assert "resuming after epoch 1" in out and "epoch 1:" not in out
    assert_complete(tmp_path)
    assert_same_run(clean_run, tmp_path)


def test_resume_state_of_another_config_is_ignored(data, tmp_path, capsys):
    interrupted, clean = tmp_path / "interrupted", tmp_path / "clean"
    run(interrupted, data, stop_after=1, lr_mul=1.0)
    capsys.readouterr()
    run(interrupted, data, lr_mul=0.5)
    out = capsys.readouterr().out
    assert "ignoring resume state of another config" in out and "resuming" not in out
    run(clean, data, lr_mul=0.5)
    assert_complete(interrupted)
    assert_same_run(clean, interrupted)


@pytest.mark.parametrize("change", ["masks", "train_data"])
def test_resume_state_of_other_inputs_is_ignored(data, tmp_path, capsys, change):
    """Same config and init, but other masks or other training sentences: start afresh."""
    other = {"masks": True} if change == "masks" else {"train_data": data.alt}
    interrupted, clean = tmp_path / "interrupted", tmp_path / "clean"
    run(interrupted, data, stop_after=1)
    capsys.readouterr()
    run(interrupted, data, **other)
    assert "resuming" not in capsys.readouterr().out
    run(clean, data, **other)
    assert_same_run(clean, interrupted)


@needs_cuda
def test_cuda_training_resumes_exactly_and_writes_cpu_tensors(data, tmp_path):
    clean, interrupted = tmp_path / "clean", tmp_path / "interrupted"
    run(clean, data, masks=True, device="cuda")
    run(interrupted, data, masks=True, device="cuda", stop_after=1)
    state = torch.load(interrupted / ".resume" / "state.pt", weights_only=True)
    assert "rng_cuda" in state
    run(interrupted, data, masks=True, device="cuda")
    assert_same_run(clean, interrupted)
    final = weights(clean / "final.pt")
    assert {t.device.type for t in final.values()} == {"cpu"}
    masks = prune_masks(tiny_model(len(data.itos)))
    for name, mask in masks.items():
        assert not bool(final[name][~mask.bool()].any()), name


@needs_cuda
def test_cuda_evaluation_matches_cpu(data):
    model = tiny_model(len(data.itos))
    on_cpu = eval_metrics(model, data.val.batches(8))
    src, _ = data.val.collate(list(range(8)))
    cpu_tokens = greedy_decode(model, src)
    model.cuda()
    assert eval_metrics(model, data.val.batches(8)) == pytest.approx(on_cpu, rel=1e-4)
    gpu_tokens = greedy_decode(model, src)
    assert gpu_tokens.device.type == "cpu" and gpu_tokens[:, 0].eq(BOS).all()
    assert gpu_tokens.shape[0] == cpu_tokens.shape[0] == 8


def test_all_ones_masks_train_exactly_like_no_masks(data, tmp_path):
    """The masked path changes nothing but the pruned entries: a mask that keeps
    everything gives the dense run's weights bit for bit."""
    dense, masked = tmp_path / "dense", tmp_path / "masked"
    run(dense, data, epochs=2)
    model = tiny_model(len(data.itos))
    keep_all = {name: torch.ones_like(m) for name, m in prune_masks(model).items()}
    train(
        model,
        parameters(model),
        data.train,
        data.val,
        TrainConfig(**{**TINY_TRAIN, "epochs": 2}),
        masked,
        masks=keep_all,
    )
    assert_same_tensors(weights(dense / "final.pt"), weights(masked / "final.pt"))


def test_masks_hold_through_training(data, tmp_path):
    epochs = 2
    run(tmp_path, data, masks=True, epochs=epochs, stop_after=1)
    masks = prune_masks(tiny_model(len(data.itos)))
    assert sum(int(m.sum()) for m in masks.values()) == sum(m.numel() for m in masks.values()) // 2
    # the optimiser state after epoch 1: Adam's moments never saw a pruned entry
    # The resume state is one plain dict that loads with weights_only=True.
    state = torch.load(tmp_path / ".resume" / "state.pt", weights_only=True)
    order = list(dict(tiny_model(len(data.itos)).named_parameters()))
    for idx, entry in state["optimizer"]["state"].items():
        name = order[int(idx)]
        if name in masks:
            for moment in ("exp_avg", "exp_avg_sq"):
                value = entry[moment]
                assert bool((value[~masks[name]] == 0).all()), (name, moment)
                assert bool((value[masks[name]] != 0).any()), (name, moment)
    run(tmp_path, data, masks=True, epochs=epochs)
    assert_complete(tmp_path, epochs)
    init = weights(tmp_path / "w0.pt")
    for rel in ["w0.pt", "final.pt", *(f"epochs/epoch_{k:03d}.pt" for k in range(1, epochs + 1))]:
        params = weights(tmp_path / rel)
        for name, keep in masks.items():
            assert bool((params[name][~keep] == 0.0).all()), (rel, name)
            assert bool((params[name][keep] != 0.0).all()), (rel, name)
    final = weights(tmp_path / "final.pt")
    for name, keep in masks.items():
        assert not torch.equal(final[name][keep], init[name][keep]), name  # kept ones trained


def test_mask_enforcer_keeps_adam_moments_zero():
    model = tiny_model(20)
    masks = prune_masks(model)
    enforcer = MaskEnforcer(model, masks)
    enforcer.apply()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    src = torch.randint(4, 20, (3, 5), generator=torch.Generator().manual_seed(0))
    for _ in range(3):
        optimizer.zero_grad()
        model(src, src).square().mean().backward()
        optimizer.step()
        enforcer.apply()
    own = dict(model.named_parameters())
    for name, keep in masks.items():
        param = own[name]
        assert bool((param[~keep] == 0.0).all()) and bool((param[keep] != 0.0).all())
        assert bool((param.grad[~keep] == 0.0).all())
        moments = optimizer.state[param]
        assert bool((moments["exp_avg"][~keep] == 0).all())
        assert bool((moments["exp_avg_sq"][~keep] == 0).all())
    with pytest.raises(ValueError, match="shape"):
        MaskEnforcer(model, {name: keep.T for name, keep in masks.items()})


# ---------------------------------------------------------------- errors that name files


def test_checkpoints_are_byte_identical_wherever_written(tmp_path):
    """The same tensors and meta give the same bytes under any name: the archive
    inside must not carry the temporary file's random name."""
    tensors, meta = {"w": torch.arange(6.0).reshape(2, 3)}, {"epoch": 1}
    save_checkpoint(tmp_path / "a.pt", tensors, meta)
    save_checkpoint(tmp_path / "sub" / "b.pt", tensors, meta)
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "sub" / "b.pt").read_bytes()


def test_truncated_checkpoint(tmp_path):
    path = tmp_path / "weights.pt"
    save_checkpoint(path, {"w": torch.randn(64, 64)}, {"epoch": 1})
    assert load_checkpoint(path)[1] == {"epoch": 1}
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt") as err:
        load_checkpoint(path)
    assert str(path) in str(err.value)


def test_load_model_checks_sizes(clean_run, data):
    path = clean_run / "final.pt"
    config = dict(TINY_MODEL)
    model = load_model(path, config, len(data.itos))
    assert_same_tensors(parameters(model), weights(path))
    for vocab, change, tensor in [
        (len(data.itos) + 1, {}, "src_embed.weight"),
        (len(data.itos), {"d_model": 24}, "src_embed.weight"),
        (len(data.itos), {"d_inner": 48}, "encoder.0.ffn.w_1.weight"),
    ]:
        with pytest.raises(CheckpointError) as err:
            load_model(path, {**config, **change}, vocab)
        message = str(err.value)
        assert str(path) in message and repr(tensor) in message, message
    with pytest.raises(CheckpointError, match="parameter names differ") as err:
        load_model(path, {**config, "layers": 2}, len(data.itos))
    assert str(path) in str(err.value)


def test_load_vocab_names_file(tmp_path):
    path = tmp_path / "vocab.json"
    path.write_text('{"itos": ["<unk>", ')
    with pytest.raises(ValueError, match="not valid JSON") as err:
        load_vocab(path)
    assert str(path) in str(err.value)
    path.write_text('["<unk>"]')
    with pytest.raises(ValueError, match="itos") as err:
        load_vocab(path)
    assert str(path) in str(err.value)
    path.write_text('{"itos": ["<unk>", "<blank>", "<s>", "</s>", "a"]}')
    assert load_vocab(path)[-1] == "a"


# ---------------------------------------------------------------- evaluation


class Scripted(torch.nn.Module):
    """A stand-in model that emits a fixed token sequence per row, whatever it is fed."""

    def __init__(self, plans: list[list[int]], vocab: int = 12, max_len: int = 64) -> None:
        super().__init__()
        self.plans, self.vocab = plans, vocab
        self.cfg = SimpleNamespace(max_len=max_len)

    def encode(self, src):
        return torch.zeros(src.shape[0], 1, 1), (src != PAD)[:, None, None, :]

    def decode(self, trg_in, memory, src_mask):
        batch, length = trg_in.shape
        states = torch.zeros(batch, length, self.vocab)
        for row, plan in enumerate(self.plans):
            states[row, -1, plan[min(length - 1, len(plan) - 1)]] = 1.0
        return states

    def logits(self, states):
        return states


def test_greedy_decode_stops_at_eos():
    src = torch.tensor([[BOS, 5, 6, EOS, PAD, PAD], [BOS, 5, 6, 7, 8, EOS]])
    model = Scripted([[5, 6, EOS, 7], [5, 6, 7, 8, EOS, 9]])
    out = greedy_decode(model, src)
    assert out.tolist() == [[BOS, 5, 6, EOS, PAD, PAD], [BOS, 5, 6, 7, 8, EOS]]
    # a model that never ends stops at the longest source + max_extra, or at max_len
    assert greedy_decode(Scripted([[5], [6]]), src, max_extra=3).shape == (2, 9)
    assert greedy_decode(Scripted([[5], [6]], max_len=7), src).shape == (2, 7)


def test_greedy_decode_real_model_and_evaluate(data):
    model = tiny_model(len(data.itos))
    src, _ = data.val.collate(list(range(4)))
    out = greedy_decode(model, src, max_extra=2)
    assert bool((out[:, 0] == BOS).all())
    assert out.shape[1] <= int((src != PAD).sum(1).max()) + 2
    for row in out.tolist():  # nothing but padding after the first </s>
        if EOS in row:
            assert set(row[row.index(EOS) + 1 :]) <= {PAD}
    # pooled sums: loss per token over all batches, however they are split
    one = eval_metrics(model, data.val.batches(16))
    ragged = eval_metrics(model, data.val.batches(5))
    bucketed = eval_metrics(model, data.val.batches(7, by_length=True))
    assert one == pytest.approx(ragged, rel=1e-6) == bucketed
    assert one["ppl"] == pytest.approx(math.exp(one["loss"]))
    assert 0.0 <= one["acc"] <= 1.0


def test_scores():
    refs = ["A man rides a red bike down the street.", "Two dogs play in the snow together."]
    perfect = scores(refs, refs)
    assert perfect["bleu"] == 100.0 and perfect["chrf"] == 100.0 and perfect["sentences"] == 2
    # the model's vocabulary is lower-cased, so scoring is too
    assert scores([r.lower() for r in refs], refs)["bleu"] == 100.0
    assert "case:lc" in perfect["bleu_signature"]
    assert scores(["a cat sleeps.", "a dog."], refs)["bleu"] < 10
    with pytest.raises(ValueError, match="1 hypotheses for 2 references"):
        scores(refs[:1], refs)


def test_decode_skips_specials_and_detokenises():
    itos = [*SPECIALS, "a", "man", ",", "dog", "."]
    ids = [BOS, 4, 5, 6, 4, 7, 8, EOS, 4, 5, PAD]
    assert corpus.decode(ids, itos) == "a man, a dog."
    assert corpus.decode([BOS, 4, PAD, 5, EOS], itos) == "a man"
    assert corpus.detokenize(["a", "man", ",", "a", "dog", "."]) == "a man, a dog."
    assert corpus.detokenize(["(", "left", ")", "is", "n't", "it", "?"]) == "(left) isn't it?"


@pytest.mark.parametrize(
    ("losses", "patience", "min_delta", "expected"),
    [
        ([3.0, 2.0, 1.0], 1, 0.0, False),  # still improving
        ([3.0, 2.0, 2.0], 1, 0.0, True),  # one epoch without a gain
        ([3.0, 2.0, 1.95, 1.9], 2, 0.1, True),  # gains smaller than min_delta
        ([3.0, 2.0, 1.95, 1.8], 2, 0.1, False),  # 1.8 beats 2.0 by more than 0.1
        ([3.0, 2.0, 2.5, 1.0], 2, 0.0, False),  # a late gain resets the wait
        ([], 1, 0.0, False),
    ],
)
def test_plateau_rule(losses, patience, min_delta, expected):
    assert plateau_reached(losses, patience, min_delta) is expected


def test_plateau_rule_stops_training_and_records_convergence(data, tmp_path):
    """With a zero learning rate nothing improves: the rule stops after ``patience``."""
    metrics = run(tmp_path, data, epochs=6, lr_mul=1e-12, patience=1, min_delta=1e-3)
    status = json.loads((tmp_path / "run.json").read_text())
    assert list(metrics["epoch"]) == [0, 1, 2]
    assert status["converged"] is True and status["diverged"] is False
    assert status["epochs_run"] == 2 and status["stopped_by"] == "converged"
    assert not (tmp_path / "epochs" / "epoch_003.pt").exists()
    assert_same_tensors(weights(tmp_path / "final.pt"), weights(tmp_path / "epochs/epoch_002.pt"))
    best = metrics.loc[metrics["epoch"] > 0, "val_loss"].idxmin()
    assert status["best_epoch"] == int(metrics.loc[best, "epoch"])


def test_diverging_run_stops_and_says_so(data, tmp_path, capsys):
    metrics = run(tmp_path, data, epochs=3, lr_mul=1e9)
    status = json.loads((tmp_path / "run.json").read_text())
    assert status["diverged"] is True and status["converged"] is False
    assert status["epochs_run"] == int(metrics["epoch"].max()) < 3
    assert not math.isfinite(metrics["train_loss"].iloc[-1] + metrics["val_loss"].iloc[-1])
    assert "WARNING: non-finite loss" in capsys.readouterr().out
