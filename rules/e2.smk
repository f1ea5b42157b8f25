"""Experiment 2: retrain a seed's pruned baseline from a grid of starting points."""


rule e2_axes:
    input:
        w0=rules.train_baseline.output.w0,
        final=rules.train_baseline.output.final,
        masks=f"{MASKS}/rate_{config['e2']['rate']}.pt",
    output:
        f"{E2}/axes.pt",
    log:
        f"{E2}/logs/axes.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        e2=lookup(dpath="e2", within=config),
        seed=seed_params("e2"),
    script:
        "../scripts/e2_axes.py"


rule e2_retrain:
    input:
        axes=rules.e2_axes.output[0],
        w0=rules.train_baseline.output.w0,
        masks=rules.e2_axes.input.masks,
        train=rules.translation_data.output.train,
        val=rules.translation_data.output.val,
        vocab=rules.translation_data.output.vocab,
        schedule=schedule_choice,
    output:
        starts=e2_point_files("w0.pt"),
        finals=e2_point_files("final.pt"),
        metrics=e2_point_files("metrics.csv"),
    log:
        f"{E2}/logs/retrain.log",
    benchmark:
        f"{E2}/benchmarks/retrain.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=train_runtime,
        gpu=GPUS,
    params:
        device=DEVICE,
        model=lookup(dpath="model", within=config),
        train=lookup(dpath="train", within=config),
        epochs=E2_EPOCHS,
        order_seed=seed_params("order"),
        state_dir=f"{E2}/.resume",
        points=[
            {"alpha": float(alpha), "beta": float(beta)} for alpha, beta in E2_POINTS
        ],
    script:
        "../scripts/e2_retrain.py"


rule e2_surfaces:
    input:
        metrics=e2_metrics,
    output:
        surfaces=f"{E2}/surfaces.csv",
        summary=f"{E2}/summary.csv",
    log:
        f"{E2}/logs/surfaces.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        points=e2_points,
        epochs=E2_EPOCHS,
    script:
        "../scripts/e2_surfaces.py"


rule e2_render:
    input:
        surfaces=rules.e2_surfaces.output.surfaces,
    output:
        heatmaps=expand(
            f"{E2}/figures/{{{{metric}}}}_epoch_{{epoch}}.png",
            epoch=range(E2_EPOCHS + 1),
            allow_missing=True,
        ),
        mp4=f"{E2}/videos/{{metric}}.mp4",
        gif=f"{E2}/videos/{{metric}}.gif",
        page=report(
            f"{E2}/videos/{{metric}}.html",
            caption="../report/e2_video.rst",
            category="E2 starting points",
            labels={"metric": "{metric}", "seed": "{seed}"},
        ),
    log:
        f"{E2}/logs/render_{{metric}}.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        fps=lookup(dpath="e2/fps", within=config),
    script:
        "../scripts/e2_render.py"
