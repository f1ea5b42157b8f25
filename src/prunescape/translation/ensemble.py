"""Several training runs that share a schedule and a data order, in one vmapped pass.

E2's starting points and one seed's tickets differ only in their init and their
mask. Stacking their parameters lets one forward and backward per batch serve them
all (``torch.func.vmap``), and one Adam over the stacked tensors is K independent
Adams, since Adam is elementwise. On a CPU this halves the cost per model-step of
the study's small transformers and pays interpreter start-up once.

Each member's run folder is written as :func:`~prunescape.translation.training.train`
writes one (w0, epochs, final, best, metrics, run.json, timing). Its plateau rule
and divergence are its own: once a member has ended, nothing more of it is
recorded, while its slice keeps computing until every member has ended, which
leaves the others unchanged (the slices never mix). Results are deterministic but
not bit-identical to training each member alone (batched kernels sum in another
order), so a workflow trains an arm always one way.

Resumption is exact, as for a single run: after every epoch the stacked weights,
Adam's moments, the RNG states and the metrics so far go to ``state_dir``, and each
member's epoch checkpoints to its own ``.resume/``; the run folders are completed
only when every member has ended (Snakemake deletes a failed job's outputs, so a
member finished early would otherwise lose its epochs).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import torch
from torch import nn
from torch.func import functional_call, vmap
from tqdm import tqdm

from prunescape.io import save_checkpoint, save_torch
from prunescape.landscape.evaluation import SumsModule, metrics_from_sums
from prunescape.landscape.grid import stacked_pooled_sums
from prunescape.translation.batching import Batch, Batcher, batch_sums, token_loss
from prunescape.translation.corpus import PAD
from prunescape.translation.model import Transformer
from prunescape.translation.schedule import learning_rate
from prunescape.translation.training import (
    RunFolder,
    TrainConfig,
    epoch_metrics,
    fingerprint,
    finish_run,
    restore_rng_states,
    rng_states,
    run_ending,
    study_adam,
    tensor_digest,
)

Tensors = dict[str, torch.Tensor]


class _StepLoss(nn.Module):
    """The training step's smoothed token loss as a module, so ``functional_call``
    can hand it one member's parameters."""

    def __init__(self, model: Transformer, label_smoothing: float) -> None:
        super().__init__()
        self.model = model
        self.label_smoothing = label_smoothing

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        return token_loss(self.model, batch, self.label_smoothing)


def _stack(
    model: Transformer, members: Sequence[Tensors], what: str, fill: float | None = None
) -> Tensors:
    """Per-member tensors stacked by parameter name; a member lacking a name gets
    ``fill`` (masks: keep everything), or is an error when ``fill`` is None."""
    device = next(model.parameters()).device
    stacked = {}
    for name, param in model.named_parameters():
        if fill is not None and not any(name in m for m in members):
            continue
        parts = []
        for k, member in enumerate(members):
            if name not in member:
                if fill is None:
                    raise ValueError(f"{what} of member {k} lacks parameter {name!r}")
                parts.append(torch.full_like(param, fill))
                continue
            if member[name].shape != param.shape:
                raise ValueError(
                    f"{what} of member {k}, {name!r}: shape {tuple(member[name].shape)}, "
                    f"model expects {tuple(param.shape)}"
                )
            parts.append(member[name].to(device=device, dtype=param.dtype))
        stacked[name] = torch.stack(parts)
    return stacked


def train_ensemble(
    model: Transformer,
    inits: Sequence[Tensors],
    train_data: Batcher,
    val_data: Batcher,
    cfg: TrainConfig,
    outs: Sequence[str | os.PathLike],
    *,
    state_dir: str | os.PathLike,
    masks: Sequence[Tensors | None] | None = None,
    metas: Sequence[dict] | None = None,
    stop_after: int | None = None,
) -> list[pd.DataFrame]:
    """Train one member per init (masked by ``masks[k]`` when given) with ``model``'s
    architecture, writing member k's run folder to ``outs[k]``; resume state lives in
    ``state_dir``. ``stop_after`` ends the job after that many epochs as if it were
    interrupted (tests). Returns each member's per-epoch metrics."""
    count = len(inits)
    if not count or len(outs) != count:
        raise ValueError(f"{count} inits but {len(outs)} output folders")
    masks = list(masks) if masks is not None else [None] * count
    metas = list(metas) if metas is not None else [{} for _ in range(count)]
    if len(masks) != count or len(metas) != count:
        raise ValueError(f"{count} inits but {len(masks)} masks and {len(metas)} metas")
    device = next(model.parameters()).device
    own = {name for name, _ in model.named_parameters()}
    for k, init in enumerate(inits):
        if set(init) != own:
            raise ValueError(f"init of member {k}: parameter names differ from the model's")
    runs = [RunFolder(out) for out in outs]
    state_path = Path(state_dir) / "state.pt"
    metas = [
        {
            **meta,
            "device": device.type,
            "train": asdict(cfg),
            "model": model.cfg.to_dict(),
            "ensemble": count,
        }
        for meta in metas
    ]
    key = fingerprint(
        metas,
        [str(run.root) for run in runs],
        [{n: float(t.double().sum()) for n, t in init.items()} for init in inits],
        [{n: tensor_digest([m]) for n, m in sorted((mask or {}).items())} for mask in masks],
        [tensor_digest([*data.src, *data.trg]) for data in (train_data, val_data)],
    )
    torch.manual_seed(cfg.seed)
    keep = _stack(model, [m or {} for m in masks], "masks", fill=1.0)
    params = _stack(model, inits, "init")
    with torch.no_grad():
        for name, factor in keep.items():
            params[name].mul_(factor)
    for p in params.values():
        p.requires_grad_(True)
    for name, factor in keep.items():
        # Adam's moments never see a pruned entry, as with MaskEnforcer.
        params[name].register_hook(lambda grad, factor=factor: grad * factor)

    def member_weights(k: int) -> Tensors:
        return {name: p[k].detach().to("cpu", copy=True) for name, p in params.items()}

    for k, run in enumerate(runs):
        save_checkpoint(run.w0, member_weights(k), {**metas[k], "epoch": 0})
    optimizer = study_adam(params.values())
    step_loss = _StepLoss(model, cfg.label_smoothing)

    def member_step(member: Tensors, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        named = {f"model.{name}": value for name, value in member.items()}
        return functional_call(step_loss, named, (batch,))

    batched_step = vmap(member_step, in_dims=(0, None), randomness="different")
    val_sums = SumsModule(model, batch_sums)
    val_batches = val_data.batches(cfg.eval_batch_size, by_length=True)

    def validation() -> list[dict]:
        model.eval()
        with torch.no_grad():
            detached = {name: p.detach() for name, p in params.items()}
            totals = stacked_pooled_sums(val_sums, detached, val_batches).tolist()
        model.train()
        return [metrics_from_sums(*t) for t in totals]

    order = torch.Generator().manual_seed(cfg.seed)
    state = _load_state(state_path, key, runs)
    if state is not None:
        with torch.no_grad():
            for name, p in params.items():
                p.copy_(state["params"][name].to(device))
        optimizer.load_state_dict(state["optimizer"])
        restore_rng_states(state, order, device)
        rows, timing, endings = state["rows"], state["timing"], state["endings"]
        step, start_epoch = state["step"], state["epoch"] + 1
        print(f"resuming after epoch {state['epoch']} from {state_path}", flush=True)
    else:
        for run in runs:
            shutil.rmtree(run.resume, ignore_errors=True)
        start = {"epoch": 0, "step": 0, "lr": 0.0}
        rows = [[{**start, **epoch_metrics(None, v)}] for v in validation()]
        timing, endings, step, start_epoch = [], [None] * count, 0, 1
    lr = 0.0
    model.train()
    for epoch in range(start_epoch, cfg.epochs + 1):
        if all(endings):
            break
        began = time.perf_counter()
        sums = torch.zeros(count, 3, dtype=torch.float64, device=device)
        batches = train_data.batches(cfg.batch_size, order, by_length=True)
        for batch in tqdm(batches, desc=f"epoch {epoch}/{cfg.epochs}", mininterval=10):
            step += 1
            lr = learning_rate(
                step, d_model=model.cfg.d_model, lr_mul=cfg.lr_mul, warmup=cfg.warmup
            )
            for group in optimizer.param_groups:
                group["lr"] = lr
            losses, step_sums = batched_step(params, batch)
            optimizer.zero_grad(set_to_none=True)
            # Each member's mean over the batch's tokens; the sum keeps their gradients apart.
            (losses.sum() / int((batch[1][:, 1:] != PAD).sum())).backward()
            optimizer.step()
            with torch.no_grad():
                for name, factor in keep.items():
                    params[name].mul_(factor)
            sums += step_sums
        train_metrics = [metrics_from_sums(*s) for s in sums.tolist()]
        timing.append({"epoch": epoch, "seconds": round(time.perf_counter() - began, 3)})
        for k, val in enumerate(validation()):
            if endings[k] is not None:
                continue
            rows[k].append(
                {"epoch": epoch, "step": step, "lr": lr, **epoch_metrics(train_metrics[k], val)}
            )
            run = runs[k]
            meta = {**metas[k], "epoch": epoch}
            save_checkpoint(run.epoch(epoch, resume=True), member_weights(k), meta)
            endings[k] = run_ending(rows[k], cfg)
            print(f"member {k} ({run.root}) epoch {epoch}: {rows[k][-1]}", flush=True)
            if endings[k] == "diverged":
                print(
                    f"WARNING: non-finite loss at epoch {epoch} in {run.root}: the run "
                    "diverged; stopping it here",
                    flush=True,
                )
        _save_state(
            state_path, key, params, optimizer, order, rows, timing, endings, step, epoch, device
        )
        interrupted = stop_after is not None and stop_after <= epoch < cfg.epochs
        if interrupted and not all(endings):
            return [pd.DataFrame(member_rows) for member_rows in rows]
    # Every run folder is completed before any resume file goes: a job killed in
    # between resumes straight into this loop instead of training again.
    for k, run in enumerate(runs):
        # A member's timing stops at its own last epoch.
        last = rows[k][-1]["epoch"]
        own_timing = [t for t in timing if t["epoch"] <= last]
        finish_run(run, pd.DataFrame(rows[k]), own_timing, endings[k], metas[k], clean=False)
    state_path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # only when empty: the folder is the caller's
        state_path.parent.rmdir()
    for run in runs:
        shutil.rmtree(run.resume, ignore_errors=True)
    return [pd.DataFrame(member_rows) for member_rows in rows]


def _save_state(
    path: Path, key, params, optimizer, order, rows, timing, endings, step, epoch, device
) -> None:
    """Everything an exact resume needs, in one file that loads with weights_only=True.

    Tensors go to torch.save where they are (it copies one at a time to write), so
    a large ensemble on a GPU never holds a second copy of itself in host memory.
    """
    state = {
        "key": key,
        "epoch": epoch,
        "step": step,
        "rows": rows,
        "timing": timing,
        "endings": endings,
        "params": {name: p.detach() for name, p in params.items()},
        "optimizer": optimizer.state_dict(),
        **rng_states(order, device),
    }
    save_torch(state, path)


def _load_state(path: Path, key: str, runs: Sequence[RunFolder]) -> dict | None:
    """The saved state when it belongs to these inputs and every epoch checkpoint it
    counts on is still there; else None (the job starts over)."""
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for corrupt zips
        print(f"ignoring unreadable resume state {path}: {type(err).__name__}", flush=True)
        return None
    if not isinstance(state, dict) or state.get("key") != key:
        print(f"ignoring resume state of other inputs in {path}", flush=True)
        return None
    for run, member_rows in zip(runs, state["rows"], strict=True):
        last = member_rows[-1]["epoch"]
        if not all(run.epoch(e, resume=True).exists() for e in range(1, last + 1)):
            print(f"ignoring resume state {path}: epoch checkpoints of {run.root} are gone")
            return None
    return state
