"""Training of the translation transformer: warm-up Adam, label smoothing, masks,
a plateau stopping rule, per-epoch checkpoints and exact resumption.

Layout of a run folder (``out``)::

    w0.pt                 parameters before the first step
    epochs/epoch_001.pt   parameters after each epoch that ran
    final.pt              parameters after the last epoch that ran
    best.pt               parameters of the epoch with the lowest validation loss
    metrics.csv           per-epoch metrics (deterministic)
    run.json              how the run ended: epochs run, converged, diverged, best epoch
    timing.csv            seconds per epoch (varies between runs)
    .resume/              model + optimiser + RNG state after the last finished
                          epoch; deleted on success

A run stops at ``epochs`` or earlier: when the validation loss has not improved
by more than ``min_delta`` for ``patience`` epochs (converged), or when a loss
turns non-finite (diverged; nothing is trained on NaN).

Snakemake deletes the declared outputs of a failed job, so the state needed to
resume lives in ``.resume/`` (undeclared), and epoch checkpoints are hard-linked
from there into place when the run completes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pandas as pd
import torch
from tqdm import tqdm

from prunescape.io import atomic_path, save_checkpoint, save_torch, write_csv, write_json
from prunescape.landscape.evaluation import metrics_from_sums
from prunescape.pruning import MaskEnforcer
from prunescape.translation.batching import Batch, Batcher, eval_metrics, token_loss
from prunescape.translation.corpus import PAD
from prunescape.translation.model import Transformer
from prunescape.translation.schedule import learning_rate


@dataclass(frozen=True)
class TrainConfig:
    epochs: int
    batch_size: int
    lr_mul: float
    warmup: int
    label_smoothing: float = 0.1
    seed: int = 0
    eval_batch_size: int = 256
    #: Plateau rule: stop after this many epochs without a validation-loss gain of
    #: more than ``min_delta``; None trains every epoch (E2's epoch-wise surfaces).
    patience: int | None = None
    min_delta: float = 0.0

    @classmethod
    def from_config(cls, section: dict, **overrides) -> TrainConfig:
        """The config's train section, less workflow-only keys (cluster runtime)."""
        values = {f.name: section[f.name] for f in fields(cls) if f.name in section}
        return cls(**{**values, **overrides})


def plateau_reached(val_losses: list[float], patience: int, min_delta: float) -> bool:
    """Whether the last ``patience`` epochs all failed to beat the best loss before
    them by more than ``min_delta`` (the losses of epochs 1, 2, … in order)."""
    best, waited = math.inf, 0
    for loss in val_losses:
        if loss < best - min_delta:
            best, waited = loss, 0
        else:
            waited += 1
    return waited >= patience


def parameters(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Distinct parameters by name (a tied tensor appears once), detached CPU copies."""
    return {name: p.detach().to("cpu", copy=True) for name, p in model.named_parameters()}


def load_parameters(model: torch.nn.Module, params: dict[str, torch.Tensor]) -> None:
    own = dict(model.named_parameters())
    if set(own) != set(params):
        missing, extra = sorted(set(own) - set(params)), sorted(set(params) - set(own))
        raise ValueError(f"parameter names differ (missing {missing[:3]}, unexpected {extra[:3]})")
    with torch.no_grad():
        for name, p in own.items():
            if p.shape != params[name].shape:
                raise ValueError(
                    f"parameter {name!r}: shape {tuple(params[name].shape)}, "
                    f"model expects {tuple(p.shape)}"
                )
            p.copy_(params[name])


class RunFolder:
    """Paths of one training run and its resume state."""

    def __init__(self, out: str | os.PathLike) -> None:
        self.root = Path(out)
        self.resume = self.root / ".resume"

    def epoch(self, k: int, *, resume: bool = False) -> Path:
        folder = self.resume if resume else self.root / "epochs"
        return folder / f"epoch_{k:03d}.pt"

    @property
    def w0(self) -> Path:
        return self.root / "w0.pt"

    @property
    def final(self) -> Path:
        return self.root / "final.pt"

    @property
    def best(self) -> Path:
        return self.root / "best.pt"

    @property
    def status(self) -> Path:
        return self.root / "run.json"

    @property
    def state(self) -> Path:
        return self.resume / "state.pt"


def fingerprint(*parts: object) -> str:
    """Identifies a run's inputs, so stale resume state is never picked up."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def tensor_digest(tensors: list[torch.Tensor]) -> str:
    """Content hash of a list of tensors (masks, encoded sentences) for the fingerprint."""
    digest = hashlib.sha256()
    for t in tensors:
        digest.update(f"{t.dtype}{tuple(t.shape)}".encode())
        digest.update(t.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def adopt_run(source: str | os.PathLike, out: str | os.PathLike) -> None:
    """Copy a finished run folder's files to a second place, file by file.

    For a run that another stage already trained with exactly the same inputs (the
    tune seed's baseline at the chosen lr_mul): training it again would give the
    same bytes. Copies, not hard links: a link keeps the source's modification
    time, which Snakemake reads as an output older than its input.
    """
    source, out = RunFolder(source), RunFolder(out)
    if not source.status.exists():
        raise FileNotFoundError(f"{source.status}: no finished run to adopt")
    names = ["w0.pt", "final.pt", "best.pt", "metrics.csv", "timing.csv", "run.json"]
    epochs = sorted(p.relative_to(source.root) for p in (source.root / "epochs").glob("*.pt"))
    for relative in [*epochs, *map(Path, names)]:
        target = out.root / relative
        with atomic_path(target) as tmp:
            shutil.copyfile(source.root / relative, tmp)


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def study_adam(params: Iterable[torch.Tensor]) -> torch.optim.Adam:
    """The study's Adam (β = 0.9, 0.98, ε = 1e-9; the rate is set every step).

    foreach kernels: on the CPU torch would otherwise update one tensor at a time,
    a quarter of a tiny model's step; the numbers are the same bit for bit.
    """
    return torch.optim.Adam(params, lr=0.0, betas=(0.9, 0.98), eps=1e-9, foreach=True)


def train_step(
    model: Transformer,
    optimizer: torch.optim.Optimizer,
    batch: Batch,
    lr: float,
    label_smoothing: float,
) -> torch.Tensor:
    """One Adam step at ``lr`` on the batch's non-pad target tokens (on the model's device).

    Returns the step's (smoothed loss sum, tokens, correct argmax tokens), float64, on
    the model's device (no host sync).
    """
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss_sum, sums = token_loss(model, batch, label_smoothing)
    optimizer.zero_grad(set_to_none=True)
    # Token count from the CPU batch: dividing by it needs no device sync.
    (loss_sum / int((batch[1][:, 1:] != PAD).sum())).backward()
    optimizer.step()
    return sums


def train(
    model: Transformer,
    init: dict[str, torch.Tensor],
    train_data: Batcher,
    val_data: Batcher,
    cfg: TrainConfig,
    out: str | os.PathLike,
    *,
    masks: dict[str, torch.Tensor] | None = None,
    meta: dict | None = None,
    stop_after: int | None = None,
) -> pd.DataFrame:
    """Train ``model`` from ``init`` (masked if ``masks``), writing the run folder.

    Runs on the model's device; batches move there step by step, per-step sums stay
    there until the epoch ends, and every file written holds CPU tensors.
    ``stop_after`` ends the run after that many epochs as if interrupted (tests).
    Returns the per-epoch metrics.
    """
    run = RunFolder(out)
    device = next(model.parameters()).device
    meta = dict(meta or {})
    meta["device"] = device.type
    meta["train"] = asdict(cfg)
    meta["model"] = model.cfg.to_dict()
    key = fingerprint(
        meta,
        {k: float(v.double().sum()) for k, v in init.items()},
        {k: tensor_digest([m]) for k, m in sorted((masks or {}).items())},
        [tensor_digest([*data.src, *data.trg]) for data in (train_data, val_data)],
    )
    torch.manual_seed(cfg.seed)
    load_parameters(model, init)
    enforcer = MaskEnforcer(model, masks) if masks else None
    if enforcer:
        enforcer.apply()
    # Written on every start, resumed or not: Snakemake deletes a failed job's
    # declared outputs, w0 among them, and w0 is a pure function of the init.
    save_checkpoint(run.w0, parameters(model), {**meta, "epoch": 0})
    optimizer = study_adam(model.parameters())
    order = torch.Generator().manual_seed(cfg.seed)
    val_batches = val_data.batches(cfg.eval_batch_size, by_length=True)
    rows: list[dict] = []
    timing: list[dict] = []
    step, start_epoch = 0, 1
    resumed = _load_resume(run, key)
    if resumed is not None:
        model.load_state_dict(resumed["model"])
        optimizer.load_state_dict(resumed["optimizer"])
        restore_rng_states(resumed, order, device)
        rows, timing, step = resumed["rows"], resumed["timing"], resumed["step"]
        start_epoch = resumed["epoch"] + 1
        print(f"resuming after epoch {resumed['epoch']} from {run.state}", flush=True)
    else:
        shutil.rmtree(run.resume, ignore_errors=True)
        rows.append(
            {
                "epoch": 0,
                "step": 0,
                "lr": 0.0,
                **epoch_metrics(None, eval_metrics(model, val_batches)),
            }
        )
    ending = run_ending(rows, cfg)
    for epoch in range(start_epoch, cfg.epochs + 1):
        if ending:
            break
        began = time.perf_counter()
        model.train()
        sums = torch.zeros(3, dtype=torch.float64, device=device)
        batches = train_data.batches(cfg.batch_size, order, by_length=True)
        for batch in tqdm(batches, desc=f"epoch {epoch}/{cfg.epochs}", mininterval=10):
            step += 1
            lr = learning_rate(
                step, d_model=model.cfg.d_model, lr_mul=cfg.lr_mul, warmup=cfg.warmup
            )
            sums += train_step(model, optimizer, batch, lr, cfg.label_smoothing)
            if enforcer:
                enforcer.apply()
        rows.append(
            {
                "epoch": epoch,
                "step": step,
                "lr": lr,
                **epoch_metrics(
                    metrics_from_sums(*sums.tolist()), eval_metrics(model, val_batches)
                ),
            }
        )
        timing.append({"epoch": epoch, "seconds": round(time.perf_counter() - began, 3)})
        save_checkpoint(run.epoch(epoch, resume=True), parameters(model), {**meta, "epoch": epoch})
        _save_resume(run, key, model, optimizer, order, rows, timing, step, epoch, device)
        print(f"epoch {epoch}: {rows[-1]}", flush=True)
        ending = run_ending(rows, cfg)
        if ending == "diverged":
            print(
                f"WARNING: non-finite loss at epoch {epoch} (train {rows[-1]['train_loss']}, "
                f"val {rows[-1]['val_loss']}): the run diverged; stopping it here",
                flush=True,
            )
        if stop_after is not None and epoch >= stop_after and epoch < cfg.epochs and not ending:
            return pd.DataFrame(rows)
    metrics = pd.DataFrame(rows)
    finish_run(run, metrics, timing, ending, meta)
    return metrics


def run_ending(rows: list[dict], cfg: TrainConfig) -> str | None:
    """Why the run stops after the epochs in ``rows``: diverged, converged, or None."""
    trained = [r for r in rows if r["epoch"] > 0]
    if trained and not all(math.isfinite(trained[-1][k]) for k in ("train_loss", "val_loss")):
        return "diverged"
    if cfg.patience is not None and plateau_reached(
        [r["val_loss"] for r in trained], cfg.patience, cfg.min_delta
    ):
        return "converged"
    return None


def finish_run(
    run: RunFolder,
    metrics: pd.DataFrame,
    timing: list[dict],
    ending: str | None,
    meta: dict,
    *,
    clean: bool = True,
) -> None:
    """Link the epoch checkpoints into place and write metrics and the run's status;
    ``clean`` then removes the resume folder (a joint job removes it itself, last)."""
    trained = metrics[metrics["epoch"] > 0]
    last = int(trained["epoch"].max())
    for epoch in range(1, last + 1):
        _link(run.epoch(epoch, resume=True), run.epoch(epoch))
    _link(run.epoch(last), run.final)
    finite = trained[trained["val_loss"].map(math.isfinite)]
    best = int(finite.loc[finite["val_loss"].idxmin(), "epoch"]) if len(finite) else last
    _link(run.epoch(best), run.best)
    write_csv(run.root / "metrics.csv", metrics)
    write_csv(run.root / "timing.csv", pd.DataFrame(timing))
    write_json(
        run.status,
        {
            "model_name": meta.get("model_name"),
            "epochs_run": last,
            "max_epochs": meta["train"]["epochs"],
            "steps": int(trained["step"].max()),
            "converged": ending == "converged",
            "diverged": ending == "diverged",
            "stopped_by": ending or "epoch budget",
            "best_epoch": best,
            "best_val_loss": float(finite["val_loss"].min()) if len(finite) else None,
        },
    )
    if clean:
        shutil.rmtree(run.resume, ignore_errors=True)


def epoch_metrics(train: dict | None, val: dict) -> dict:
    """One epoch's row of metrics.csv: train_{loss,ppl,acc} (NaN at epoch 0), val_*."""
    out = {f"train_{k}": (train or {}).get(k, float("nan")) for k in ("loss", "ppl", "acc")}
    out.update({f"val_{k}": v for k, v in val.items()})
    return out


def _save_resume(run, key, model, optimizer, order, rows, timing, step, epoch, device) -> None:
    """Everything an exact resume needs, in one file that loads with weights_only=True."""
    state = {
        "key": key,
        "epoch": epoch,
        "step": step,
        "rows": rows,
        "timing": timing,
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": _to_cpu(optimizer.state_dict()),
        **rng_states(order, device),
    }
    save_torch(state, run.state)


def rng_states(order: torch.Generator, device: torch.device) -> dict[str, torch.Tensor]:
    """The random states a resumed run needs: data order, CPU (and GPU) dropout."""
    states = {"rng_order": order.get_state(), "rng_torch": torch.get_rng_state()}
    if device.type == "cuda":
        states["rng_cuda"] = torch.cuda.get_rng_state(device)
    return states


def restore_rng_states(
    states: dict[str, torch.Tensor], order: torch.Generator, device: torch.device
) -> None:
    """Put back what :func:`rng_states` saved."""
    order.set_state(states["rng_order"])
    torch.set_rng_state(states["rng_torch"])
    if device.type == "cuda":
        torch.cuda.set_rng_state(states["rng_cuda"], device)


def _to_cpu(value):
    """Tensors inside nested dicts and lists moved to the CPU (optimiser states)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_cpu(v) for v in value]
    return value


def _load_resume(run: RunFolder, key: str) -> dict | None:
    if not run.state.exists():
        return None
    try:
        state = torch.load(run.state, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for corrupt zips
        print(f"ignoring unreadable resume state {run.state}: {type(err).__name__}", flush=True)
        return None
    if not isinstance(state, dict) or state.get("key") != key:
        print(f"ignoring resume state of another config in {run.resume}", flush=True)
        return None
    if not all(run.epoch(k, resume=True).exists() for k in range(1, state["epoch"] + 1)):
        return None
    return state
