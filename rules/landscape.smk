"""Loss landscapes of every E3 model, epoch by epoch, global and local view."""


rule landscape_eval_set:
    input:
        split=landscape_split,
    output:
        f"{LANDSCAPE}/eval_set.pt",
    log:
        f"{LANDSCAPE}/logs/eval_set.log",
    conda:
        ENV
    threads: 1
    params:
        sentences=lookup(dpath="landscape/eval_sentences", within=config),
        batch_size=lookup(dpath="landscape/batch_size", within=config),
    script:
        "../scripts/landscape_eval_set.py"


rule landscape_directions:
    input:
        final=f"{MODELS}/{{model}}/final.pt",
        w0=f"{MODELS}/{{model}}/w0.pt",
        masks=model_masks,
    output:
        f"{LANDSCAPE}/{{model}}/directions.pt",
    log:
        f"{LANDSCAPE}/logs/directions_{{model}}.log",
    conda:
        ENV
    threads: 1
    params:
        landscape=lookup(dpath="landscape", within=config),
    script:
        "../scripts/landscape_directions.py"


rule landscape_tile:
    input:
        weights=epoch_weights,
        directions=rules.landscape_directions.output[0],
        eval_set=rules.landscape_eval_set.output[0],
        vocab=rules.translation_data.output.vocab,
    output:
        f"{LANDSCAPE}/{{model}}/epoch_{{epoch}}/scale_{{scale}}/tile_{{tile}}.csv",
    log:
        f"{LANDSCAPE}/logs/{{model}}_epoch_{{epoch}}_scale_{{scale}}_tile_{{tile}}.log",
    benchmark:
        f"{LANDSCAPE}/benchmarks/{{model}}_epoch_{{epoch}}_scale_{{scale}}_tile_{{tile}}.tsv"
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
    script:
        "../scripts/landscape_tile.py"


rule landscape_collect:
    input:
        tiles=all_landscape_tiles(),
    output:
        tidy=f"{LANDSCAPE}/landscapes.csv",
        viewer=f"{LANDSCAPE}/viewer.csv",
    log:
        f"{LANDSCAPE}/logs/collect.log",
    conda:
        ENV
    threads: 1
    params:
        landscapes=all_landscape_keys(),
    script:
        "../scripts/landscape_collect.py"
