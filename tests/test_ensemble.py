"""Ensemble training: K runs in one vmapped pass, each as if it had trained alone."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import torch
from test_translation import TINY_TRAIN, data, prune_masks, tiny_model, weights  # noqa: F401

from prunescape.translation import ensemble
from prunescape.translation.ensemble import train_ensemble
from prunescape.translation.training import TrainConfig, finish_run, parameters, train


def inits(vocab_size: int) -> list[dict[str, torch.Tensor]]:
    """Two different dense inits (dropout off, so a lone run can be compared)."""
    return [parameters(tiny_model(vocab_size, seed=s, dropout=0.0)) for s in (1, 2)]


def alone(out, init, data, cfg, masks=None):  # noqa: F811
    model = tiny_model(len(data.itos), dropout=0.0)
    return train(model, init, data.train, data.val, cfg, out, masks=masks)


def test_members_train_as_they_would_alone(data, tmp_path):  # noqa: F811
    """Same data order, schedule and masks: each member's curve and weights match a
    lone run's to float32 rounding, its mask holds, and the folders are complete."""
    vocab = len(data.itos)
    starts = inits(vocab)
    masks = [None, prune_masks(tiny_model(vocab, dropout=0.0))]
    cfg = TrainConfig(**{**TINY_TRAIN, "epochs": 2})
    outs = [tmp_path / "ens" / name for name in ("dense", "masked")]
    together = train_ensemble(
        tiny_model(vocab, dropout=0.0),
        starts,
        data.train,
        data.val,
        cfg,
        outs,
        state_dir=tmp_path / "state",
        masks=masks,
    )
    for k, out in enumerate(outs):
        single = alone(tmp_path / f"alone_{k}", starts[k], data, cfg, masks[k])
        assert together[k]["val_loss"].tolist() == pytest.approx(
            single["val_loss"].tolist(), rel=1e-4
        )
        assert together[k]["train_acc"].tolist()[1:] == pytest.approx(
            single["train_acc"].tolist()[1:], abs=1e-3
        )
        final, lone = weights(out / "final.pt"), weights(tmp_path / f"alone_{k}" / "final.pt")
        for name in final:
            assert torch.allclose(final[name], lone[name], atol=1e-4), name
        assert sorted(p.name for p in (out / "epochs").iterdir()) == [
            "epoch_001.pt",
            "epoch_002.pt",
        ]
        assert not (out / ".resume").exists()
        status = json.loads((out / "run.json").read_text())
        assert status["epochs_run"] == 2 and status["stopped_by"] == "epoch budget"
        assert pd.read_csv(out / "metrics.csv")["epoch"].tolist() == [0, 1, 2]
    w0, final = weights(outs[1] / "w0.pt"), weights(outs[1] / "final.pt")
    for name, keep in masks[1].items():
        assert bool((final[name][~keep] == 0).all()) and bool((w0[name][~keep] == 0).all())
        assert not torch.equal(final[name][keep], w0[name][keep])


def test_a_diverging_member_stops_alone(data, tmp_path):  # noqa: F811
    """A member whose init is not finite ends after its first epoch as diverged; the
    other trains on, exactly as in an ensemble without it."""
    vocab = len(data.itos)
    good, _ = inits(vocab)
    bad = {name: torch.full_like(t, math.nan) for name, t in good.items()}
    cfg = TrainConfig(**{**TINY_TRAIN, "epochs": 2})
    pair = train_ensemble(
        tiny_model(vocab, dropout=0.0),
        [good, bad],
        data.train,
        data.val,
        cfg,
        [tmp_path / "good", tmp_path / "bad"],
        state_dir=tmp_path / "pair_state",
    )
    lone = train_ensemble(
        tiny_model(vocab, dropout=0.0),
        [good],
        data.train,
        data.val,
        cfg,
        [tmp_path / "lone"],
        state_dir=tmp_path / "lone_state",
    )
    status = json.loads((tmp_path / "bad" / "run.json").read_text())
    assert status["diverged"] and status["epochs_run"] == 1
    assert pair[0]["val_loss"].tolist() == pytest.approx(lone[0]["val_loss"].tolist(), rel=1e-5)
    assert json.loads((tmp_path / "good" / "run.json").read_text())["epochs_run"] == 2


def test_ensemble_training_is_deterministic(data, tmp_path):  # noqa: F811
    vocab = len(data.itos)
    cfg = TrainConfig(**{**TINY_TRAIN, "epochs": 1})
    for name in ("a", "b"):
        train_ensemble(
            tiny_model(vocab),  # dropout on: each member draws its own masks
            inits(vocab),
            data.train,
            data.val,
            cfg,
            [tmp_path / name / "0", tmp_path / name / "1"],
            state_dir=tmp_path / name / "state",
        )
    for k in ("0", "1"):
        a, b = tmp_path / "a" / k, tmp_path / "b" / k
        assert (a / "metrics.csv").read_bytes() == (b / "metrics.csv").read_bytes()
    assert (tmp_path / "a/0/metrics.csv").read_bytes() != (
        tmp_path / "a/1/metrics.csv"
    ).read_bytes()


def test_mismatched_inputs_are_refused(data, tmp_path):  # noqa: F811
    vocab = len(data.itos)
    cfg = TrainConfig(**TINY_TRAIN)
    model = tiny_model(vocab)
    with pytest.raises(ValueError, match="2 inits but 1 output"):
        train_ensemble(
            model, inits(vocab), data.train, data.val, cfg, [tmp_path], state_dir=tmp_path
        )
    short = dict(inits(vocab)[0])
    short.popitem()
    with pytest.raises(ValueError, match="member 0: parameter names differ"):
        train_ensemble(model, [short], data.train, data.val, cfg, [tmp_path], state_dir=tmp_path)


def test_resume_after_interruption_is_exact(data, tmp_path, capsys):  # noqa: F811
    """Interrupted after epoch 1, the rerun continues from the saved state (it trains
    epoch 2 only) and ends with exactly the files of an uninterrupted job (both
    members stop by the plateau rule at epoch 2, before the budget); the state and
    resume folders are gone afterwards."""
    vocab = len(data.itos)
    starts = inits(vocab)
    # patience 1 with a huge min_delta: no epoch after the first counts as a gain.
    cfg = TrainConfig(**{**TINY_TRAIN, "epochs": 3, "patience": 1, "min_delta": 1e9})

    def job(name, **kwargs):
        folders = [tmp_path / name / str(k) for k in range(2)]
        metrics = train_ensemble(
            tiny_model(vocab),
            starts,
            data.train,
            data.val,
            cfg,
            folders,
            state_dir=tmp_path / name / "state",
            **kwargs,
        )
        return folders, metrics

    whole, _ = job("whole")
    _, partial = job("resumed", stop_after=1)
    assert [len(m) for m in partial] == [2, 2]
    assert (tmp_path / "resumed" / "state" / "state.pt").is_file()
    capsys.readouterr()
    resumed, _ = job("resumed")
    log = capsys.readouterr().out
    assert "resuming after epoch 1" in log
    assert "epoch 1:" not in log and "epoch 2:" in log  # a resume, not a silent restart
    assert not (tmp_path / "resumed" / "state").exists()
    for a, b in zip(whole, resumed, strict=True):
        for name in ("metrics.csv", "run.json"):
            assert (a / name).read_bytes() == (b / name).read_bytes()
        for name in ("w0.pt", "best.pt", "final.pt", "epochs/epoch_001.pt", "epochs/epoch_002.pt"):
            first, second = weights(a / name), weights(b / name)
            assert first.keys() == second.keys()
            assert all(torch.equal(first[k], second[k]) for k in first), name
        assert not (b / ".resume").exists()


def test_a_job_killed_while_finishing_resumes_into_the_finish(
    data,  # noqa: F811
    tmp_path,
    capsys,
    monkeypatch,
):
    """Killed after the run folders were completed but before the resume files went,
    the rerun trains nothing: it finishes from the saved state, with the files of an
    uninterrupted job."""
    vocab = len(data.itos)
    cfg = TrainConfig(**{**TINY_TRAIN, "epochs": 2})

    def job(name):
        folders = [tmp_path / name / str(k) for k in range(2)]
        train_ensemble(
            tiny_model(vocab),
            inits(vocab),
            data.train,
            data.val,
            cfg,
            folders,
            state_dir=tmp_path / name / "state",
        )
        return folders

    whole = job("whole")
    finished = []

    def finish_then_die(*args, **kwargs):
        finish_run(*args, **kwargs)
        finished.append(args[0])
        if len(finished) == 2:
            raise KeyboardInterrupt  # the kill, right after the last folder is complete

    monkeypatch.setattr(ensemble, "finish_run", finish_then_die)
    with pytest.raises(KeyboardInterrupt):
        job("killed")
    assert (tmp_path / "killed" / "state" / "state.pt").is_file()
    monkeypatch.setattr(ensemble, "finish_run", finish_run)
    capsys.readouterr()
    killed = job("killed")
    log = capsys.readouterr().out
    assert "resuming after epoch 2" in log and "epoch 1:" not in log and "epoch 2:" not in log
    assert not (tmp_path / "killed" / "state").exists()
    for a, b in zip(whole, killed, strict=True):
        assert (a / "metrics.csv").read_bytes() == (b / "metrics.csv").read_bytes()
        assert torch.equal(
            weights(a / "final.pt")["src_embed.weight"], weights(b / "final.pt")["src_embed.weight"]
        )
        assert not (b / ".resume").exists()
