"""Loss landscapes and Hessian spectra of every E3 model of every seed."""


rule landscape_eval_set:
    input:
        split=landscape_split,
    output:
        f"{LANDSCAPE}/eval_set.pt",
    log:
        f"{LANDSCAPE}/logs/eval_set.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        tokens=lookup(dpath="landscape/eval_tokens", within=config),
        batch_size=lookup(dpath="landscape/batch_size", within=config),
    script:
        "../scripts/landscape_eval_set.py"


rule landscape_tile:
    input:
        **LANDSCAPE_RUN_INPUTS,
    output:
        f"{LANDSCAPE_SEED}/{{model}}/tiles/tile_{{tile}}.csv",
    log:
        f"{LANDSCAPE_SEED}/logs/{{model}}_tile_{{tile}}.log",
    benchmark:
        f"{LANDSCAPE_SEED}/benchmarks/{{model}}_tile_{{tile}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=GPUS,
    params:
        device=DEVICE,
        landscape=lookup(dpath="landscape", within=config),
        model=lookup(dpath="model", within=config),
        render_seed=RENDER_SEED,
    script:
        "../scripts/landscape_run.py"


rule landscape_model:
    input:
        **LANDSCAPE_RUN_INPUTS,
        tiles=landscape_tile_files,
    output:
        grids=f"{LANDSCAPE_SEED}/{{model}}/grids.csv",
        hessian=f"{LANDSCAPE_SEED}/{{model}}/hessian.csv",
    log:
        f"{LANDSCAPE_SEED}/logs/{{model}}.log",
    benchmark:
        f"{LANDSCAPE_SEED}/benchmarks/{{model}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=GPUS,
    params:
        device=DEVICE,
        landscape=lookup(dpath="landscape", within=config),
        model=lookup(dpath="model", within=config),
        render_seed=RENDER_SEED,
    script:
        "../scripts/landscape_run.py"


rule landscape_collect:
    input:
        run_files(landscape_runs(), "grids", "hessian"),
    output:
        tidy=f"{LANDSCAPE}/landscapes.csv",
        viewer=f"{LANDSCAPE}/viewer.csv",
        hessian=f"{LANDSCAPE}/hessian.csv",
    log:
        f"{LANDSCAPE}/logs/collect.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        runs=landscape_runs(),
    script:
        "../scripts/landscape_collect.py"
