"""Training of the translation transformer: warm-up Adam, label smoothing, masks,
per-epoch checkpoints and exact resumption after an interruption.

Layout of a run folder (``out``)::

    w0.pt                 parameters before the first step
    epochs/epoch_001.pt   parameters after each epoch
    final.pt              parameters after the last epoch (w*)
    metrics.csv           per-epoch metrics (deterministic)
    timing.csv            seconds per epoch (varies between runs)
    .resume/              model + optimiser + RNG state after the last finished
                          epoch; deleted on success

Snakemake deletes the declared outputs of a failed job, so the state needed to
resume lives in ``.resume/`` (undeclared), and epoch checkpoints are hard-linked
from there into place when the run completes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pandas as pd
import torch
from tqdm import tqdm

from prunescape.io import load_checkpoint, save_checkpoint, write_csv
from prunescape.pruning import MaskEnforcer
from prunescape.landscape.evaluation import metrics_from_sums
from prunescape.translation.batching import Batch, Batcher, eval_metrics, token_loss
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

    @classmethod
    def from_config(cls, section: dict) -> TrainConfig:
        """The config's train section, less workflow-only keys (cluster runtime)."""
        return cls(**{f.name: section[f.name] for f in fields(cls) if f.name in section})


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
    def state(self) -> Path:
        return self.resume / "state.pt"


def fingerprint(*parts: object) -> str:
    """Identifies a run's inputs, so stale resume state is never picked up."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _digest(tensors: list[torch.Tensor]) -> str:
    """Content hash of a list of tensors (masks, encoded sentences) for the fingerprint."""
    digest = hashlib.sha256()
    for t in tensors:
        digest.update(f"{t.dtype}{tuple(t.shape)}".encode())
        digest.update(t.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def train_step(
    model: Transformer,
    optimizer: torch.optim.Optimizer,
    batch: Batch,
    lr: float,
    label_smoothing: float,
) -> torch.Tensor:
    """One Adam step at ``lr`` on the batch's non-pad target tokens (on the model's device).

    Returns the step's (smoothed loss sum, tokens, correct argmax tokens), float64, CPU.
    """
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss_sum, sums = token_loss(model, batch, label_smoothing)
    optimizer.zero_grad(set_to_none=True)
    (loss_sum / sums[1].item()).backward()
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

    Runs on the model's device; batches move there step by step, and every file
    written holds CPU tensors. ``stop_after`` ends the run after that many epochs
    as if interrupted (tests). Returns the per-epoch metrics.
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
        {k: _digest([m]) for k, m in sorted((masks or {}).items())},
        [_digest([*data.src, *data.trg]) for data in (train_data, val_data)],
    )
    torch.manual_seed(cfg.seed)
    load_parameters(model, init)
    enforcer = MaskEnforcer(model, masks) if masks else None
    if enforcer:
        enforcer.apply()
    # Written on every start, resumed or not: Snakemake deletes a failed job's
    # declared outputs, w0 among them, and w0 is a pure function of the init.
    save_checkpoint(run.w0, parameters(model), {**meta, "epoch": 0})
    optimizer = torch.optim.Adam(model.parameters(), lr=0.0, betas=(0.9, 0.98), eps=1e-9)
    order = torch.Generator().manual_seed(cfg.seed)
    val_batches = val_data.batches(cfg.eval_batch_size, by_length=True)
    rows: list[dict] = []
    timing: list[dict] = []
    step, start_epoch = 0, 1
    resumed = _load_resume(run, key)
    if resumed is not None:
        tensors, state = resumed
        load_parameters(model, {k[6:]: v for k, v in tensors.items() if k.startswith("param.")})
        optimizer.load_state_dict(_optimizer_state(tensors, state["optimizer"]))
        order.set_state(tensors["rng.order"])
        torch.set_rng_state(tensors["rng.torch"])
        if device.type == "cuda":
            torch.cuda.set_rng_state(tensors["rng.cuda"], device)
        rows, timing, step = state["rows"], state["timing"], state["step"]
        start_epoch = state["epoch"] + 1
        print(f"resuming after epoch {state['epoch']} from {run.state}", flush=True)
    else:
        shutil.rmtree(run.resume, ignore_errors=True)
        rows.append(
            {"epoch": 0, "step": 0, "lr": 0.0, **_prefixed(None, eval_metrics(model, val_batches))}
        )
    for epoch in range(start_epoch, cfg.epochs + 1):
        began = time.perf_counter()
        model.train()
        sums = torch.zeros(3, dtype=torch.float64)
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
                **_prefixed(metrics_from_sums(*sums.tolist()), eval_metrics(model, val_batches)),
            }
        )
        timing.append({"epoch": epoch, "seconds": round(time.perf_counter() - began, 3)})
        save_checkpoint(run.epoch(epoch, resume=True), parameters(model), {**meta, "epoch": epoch})
        _save_resume(run, key, model, optimizer, order, rows, timing, step, epoch, device)
        print(f"epoch {epoch}: {rows[-1]}", flush=True)
        if stop_after is not None and epoch >= stop_after and epoch < cfg.epochs:
            return pd.DataFrame(rows)
    for epoch in range(1, cfg.epochs + 1):
        _link(run.epoch(epoch, resume=True), run.epoch(epoch))
    _link(run.epoch(cfg.epochs), run.final)
    metrics = pd.DataFrame(rows)
    write_csv(run.root / "metrics.csv", metrics)
    write_csv(run.root / "timing.csv", pd.DataFrame(timing))
    shutil.rmtree(run.resume, ignore_errors=True)
    return metrics


def _prefixed(train: dict | None, val: dict) -> dict:
    out = {f"train_{k}": (train or {}).get(k, float("nan")) for k in ("loss", "ppl", "acc")}
    out.update({f"val_{k}": v for k, v in val.items()})
    return out


def _optimizer_tensors(state: dict) -> tuple[dict[str, torch.Tensor], dict]:
    """Split an optimiser state dict into tensors and a JSON-able skeleton."""
    tensors: dict[str, torch.Tensor] = {}
    skeleton = {"param_groups": state["param_groups"], "state": {}}
    for idx, entry in state["state"].items():
        skeleton["state"][str(idx)] = {}
        for name, value in entry.items():
            tensors[f"optim.{idx}.{name}"] = value
            skeleton["state"][str(idx)][name] = f"optim.{idx}.{name}"
    return tensors, skeleton


def _optimizer_state(tensors: dict[str, torch.Tensor], skeleton: dict) -> dict:
    return {
        "param_groups": skeleton["param_groups"],
        "state": {
            int(idx): {name: tensors[ref] for name, ref in entry.items()}
            for idx, entry in skeleton["state"].items()
        },
    }


def _save_resume(run, key, model, optimizer, order, rows, timing, step, epoch, device) -> None:
    optim_tensors, skeleton = _optimizer_tensors(optimizer.state_dict())
    optim_tensors = {k: v.cpu() for k, v in optim_tensors.items()}
    tensors = {f"param.{k}": v for k, v in parameters(model).items()}
    tensors.update(optim_tensors)
    tensors["rng.order"] = order.get_state()
    tensors["rng.torch"] = torch.get_rng_state()
    if device.type == "cuda":
        tensors["rng.cuda"] = torch.cuda.get_rng_state(device)
    state = {
        "key": key,
        "epoch": epoch,
        "step": step,
        "rows": rows,
        "timing": timing,
        "optimizer": skeleton,
    }
    save_checkpoint(run.state, tensors, state)


def _load_resume(run: RunFolder, key: str):
    if not run.state.exists():
        return None
    try:
        tensors, state = load_checkpoint(run.state)
    except ValueError as err:
        print(f"ignoring unreadable resume state: {err}", flush=True)
        return None
    if state.get("key") != key:
        print(f"ignoring resume state of another config in {run.resume}", flush=True)
        return None
    if not all(run.epoch(k, resume=True).exists() for k in range(1, state["epoch"] + 1)):
        return None
    return tensors, state
