"""The tune stage, and the dense baseline of every seed (test BLEU of its best epoch)."""


rule tune_lr:
    input:
        train=rules.translation_data.output.train,
        val=rules.translation_data.output.val,
        vocab=rules.translation_data.output.vocab,
    output:
        **train_outputs(f"{TUNE}/lr_mul_{{lr_mul}}"),
    log:
        f"{TUNE}/lr_mul_{{lr_mul}}/train.log",
    benchmark:
        f"{TUNE}/lr_mul_{{lr_mul}}/benchmark.tsv"
    priority: tune_priority
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
        init_seed=derive_seed(TUNE_SEED, "baseline-init"),
        order_seed=derive_seed(TUNE_SEED, "order"),
        lr_mul=lambda wildcards: float(wildcards.lr_mul),
        # The tune seed's baseline at this lr_mul: named so, because train_baseline
        # adopts the chosen run as that seed's baseline.
        name="baseline",
    script:
        "../scripts/train_baseline.py"


rule tune_choice:
    input:
        status=expand(f"{TUNE}/lr_mul_{{lr_mul}}/run.json", lr_mul=TUNE_GRID),
        metrics=expand(f"{TUNE}/lr_mul_{{lr_mul}}/metrics.csv", lr_mul=TUNE_GRID),
    output:
        grid=f"{TUNE}/grid.csv",
        choice=f"{TUNE}/choice.json",
        figure=report(
            f"{TUNE}/grid.png",
            caption="../report/tune_grid.rst",
            category="Tuned schedule",
        ),
    log:
        f"{TUNE}/logs/choice.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        runs=[
            {
                "lr_mul": float(value),
                "status": f"{TUNE}/lr_mul_{value}/run.json",
                "metrics": f"{TUNE}/lr_mul_{value}/metrics.csv",
            }
            for value in TUNE_GRID
        ],
    script:
        "../scripts/tune_choice.py"


rule train_baseline:
    input:
        train=rules.translation_data.output.train,
        val=rules.translation_data.output.val,
        test=rules.translation_data.output.test,
        vocab=rules.translation_data.output.vocab,
        references=rules.translation_data.output.references,
        schedule=schedule_choice,
        tuned=tuned_baseline_runs,
    output:
        **train_outputs(f"{MODELS}/baseline"),
        bleu=f"{MODELS}/baseline/bleu.json",
        hypotheses=f"{MODELS}/baseline/test_hypotheses.txt",
    log:
        f"{MODELS}/baseline/train.log",
    benchmark:
        f"{MODELS}/baseline/benchmark.tsv"
    priority: TRAINING_PRIORITY
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
        init_seed=seed_params("baseline-init"),
        order_seed=seed_params("order"),
        lr_mul=None,
        name="baseline",
    script:
        "../scripts/train_baseline.py"
