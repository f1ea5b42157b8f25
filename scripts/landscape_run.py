"""Landscapes of one seed's model: every epoch and scale of its grid (or one row block
of each, as a tile job); in the model's job also the Hessian spectrum at each of
those epochs and the last, and the path of its training on the path's PCA plane
(with the loss surface on that plane for the first seed, which is rendered).

The first seed's model draws ``landscape.epochs`` (its figures and videos are
rendered); the other seeds draw ``landscape.replicate_epochs``."""

from pathlib import Path

import pandas as pd

from prunescape.io import load_checkpoint, read_json, write_csv
from prunescape.landscape import (
    GRID_COLUMNS,
    PATH_COLUMNS,
    epoch_weights_path,
    grid_coordinates,
    hessian_spectrum,
    merge_run_tiles,
    run_epochs,
    run_grids,
    run_plane,
    trajectory_landscape,
    trajectory_path,
    undefined_spectrum,
)
from prunescape.runtime import job
from prunescape.seeding import derive_seed
from prunescape.translation.artifacts import build_model, load_batches, load_vocab
from prunescape.translation.batching import batch_sums, differentiable_sums
from prunescape.translation.training import load_parameters

with job(snakemake.threads, snakemake.log[0], snakemake.params.device) as device:
    cfg = snakemake.params.landscape
    seed, name = int(snakemake.wildcards.seed), snakemake.wildcards.model
    folder = Path(snakemake.input.status).parent
    status = read_json(snakemake.input.status)
    rendered = seed == snakemake.params.render_seed
    epochs = run_epochs(cfg["epochs" if rendered else "replicate_epochs"], status["epochs_run"])
    masks = load_checkpoint(snakemake.input.masks)[0] if snakemake.input.masks else None
    w0, _ = load_checkpoint(snakemake.input.w0)
    final, _ = load_checkpoint(snakemake.input.final)
    model = build_model(snakemake.params.model, len(load_vocab(snakemake.input.vocab))).to(device)
    batches = load_batches(snakemake.input.eval_set)
    tile = snakemake.wildcards.get("tile")
    if tile is not None or not snakemake.input.tiles:
        directions = run_plane(
            cfg["plane"],
            w0,
            final,
            seed=derive_seed(seed, "landscape"),
            norm=cfg["norm"],
            masks=masks,
        )
        weights = {epoch: load_checkpoint(epoch_weights_path(folder, epoch))[0] for epoch in epochs}
        nx, ny = cfg["resolution"]
        xs, ys = grid_coordinates(-cfg["range"], cfg["range"], nx, -cfg["range"], cfg["range"], ny)
        grids = run_grids(
            model,
            weights,
            directions,
            xs,
            ys,
            cfg["scales"],
            batches,
            batch_sums,
            tiles=cfg["tiles"],
            tile=int(tile or 0),
            points_per_pass=cfg["points_per_pass"],
        )
    else:
        grids = merge_run_tiles(snakemake.input.tiles)
    if tile is not None:
        write_csv(snakemake.output[0], grids)
    else:
        write_csv(snakemake.output.grids, grids)
        hessian = cfg["hessian"]
        spectra = []
        # The verdicts read every seed's last epoch, drawn or not.
        for epoch in sorted({*epochs, status["epochs_run"]}):
            if status["diverged"] and epoch == status["epochs_run"]:
                print(f"WARNING: {name} (seed {seed}) diverged: its last Hessian is undefined")
                spectrum = undefined_spectrum(hessian["top_k"])
            else:
                load_parameters(model, load_checkpoint(epoch_weights_path(folder, epoch))[0])
                spectrum = hessian_spectrum(
                    model,
                    batches,
                    differentiable_sums,
                    k=hessian["top_k"],
                    seed=derive_seed(seed, "hessian", name, epoch),
                    masks=masks,
                    tol=hessian["tol"],
                    trace_samples=tuple(hessian["trace_samples"]),
                )
            spectra.append(spectrum.assign(epoch=epoch))
        columns = ["epoch", *spectra[0].columns.drop("epoch")]
        write_csv(snakemake.output.hessian, pd.concat(spectra, ignore_index=True)[columns])
        steps = run_epochs(cfg["trajectory_epochs"], status["epochs_run"])
        surface, path = pd.DataFrame(columns=GRID_COLUMNS), pd.DataFrame(columns=PATH_COLUMNS)
        if status["diverged"] or len(steps) < 3:
            print(
                f"WARNING: {name} (seed {seed}) has no trajectory plane: "
                + ("it diverged" if status["diverged"] else f"only epochs {steps} to span it")
            )
        else:
            checkpoints = {e: load_checkpoint(epoch_weights_path(folder, e))[0] for e in steps}
            if rendered:
                surface, path = trajectory_landscape(
                    model,
                    checkpoints,
                    final,
                    batches,
                    batch_sums,
                    resolution=tuple(cfg["resolution"]),
                    masks=masks,
                    points_per_pass=cfg["points_per_pass"],
                )
            else:  # the path only: the figure draws the first seed's surface
                path = trajectory_path(checkpoints, final, masks=masks)
        write_csv(snakemake.output.trajectory, surface)
        write_csv(snakemake.output.path, path)
