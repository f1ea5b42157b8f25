"""Loss landscapes, Hessian spectra and trajectories of every E3 model of every seed;
the loss along lines between one seed's models."""


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
    priority: landscape_priority
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
        trajectory=f"{LANDSCAPE_SEED}/{{model}}/trajectory.csv",
        path=f"{LANDSCAPE_SEED}/{{model}}/trajectory_path.csv",
    log:
        f"{LANDSCAPE_SEED}/logs/{{model}}.log",
    benchmark:
        f"{LANDSCAPE_SEED}/benchmarks/{{model}}.tsv"
    priority: landscape_priority
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


rule landscape_lines:
    input:
        finals=line_inputs,
        eval_set=f"{LANDSCAPE}/eval_set.pt",
        vocab=f"{DATA}/vocab.json",
    output:
        lines=f"{LANDSCAPE_SEED}/lines.csv",
        barriers=f"{LANDSCAPE_SEED}/barriers.csv",
    log:
        f"{LANDSCAPE_SEED}/logs/lines.log",
    benchmark:
        f"{LANDSCAPE_SEED}/benchmarks/lines.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=GPUS,
    params:
        device=DEVICE,
        model=lookup(dpath="model", within=config),
        line=lookup(dpath="landscape/line", within=config),
        pairs=line_pairs,
    script:
        "../scripts/landscape_lines.py"


rule landscape_collect:
    input:
        run_files(landscape_runs(), "grids", "hessian", "path"),
        lines=expand(rules.landscape_lines.output.lines, seed=SEEDS),
        barriers=expand(rules.landscape_lines.output.barriers, seed=SEEDS),
    output:
        tidy=f"{LANDSCAPE}/landscapes.csv",
        viewer=f"{LANDSCAPE}/viewer.csv",
        hessian=report(
            f"{LANDSCAPE}/hessian.csv",
            caption="../report/landscape_tables.rst",
            category="E3 landscape measures",
            labels={"table": "Hessian spectra"},
        ),
        lines=report(
            f"{LANDSCAPE}/lines.csv",
            caption="../report/landscape_tables.rst",
            category="E3 landscape measures",
            labels={"table": "lines between models"},
        ),
        barriers=report(
            f"{LANDSCAPE}/barriers.csv",
            caption="../report/landscape_tables.rst",
            category="E3 landscape measures",
            labels={"table": "barriers"},
        ),
        paths=report(
            f"{LANDSCAPE}/trajectory_paths.csv",
            caption="../report/landscape_tables.rst",
            category="E3 landscape measures",
            labels={"table": "trajectory paths"},
        ),
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
        seeds=SEEDS,
    script:
        "../scripts/landscape_collect.py"
