"""Experiment 1: a single attention block trained with each optimiser setting, per seed."""


rule attention_dataset:
    output:
        data=f"{ATTENTION}/dataset.pt",
        stats=f"{ATTENTION}/dataset_stats.json",
    log:
        f"{ATTENTION}/logs/dataset.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        dataset=lookup(dpath="attention/dataset", within=config),
    script:
        "../scripts/attention_dataset.py"


# One job per seed trains all of the seed's settings: they share the init and the
# data order, and a process start costs about as much as a few epochs.
rule attention_train:
    input:
        data=rules.attention_dataset.output.data,
    output:
        metrics=attention_runs("metrics.csv"),
        steps=attention_runs("steps.csv"),
    log:
        f"{ATTENTION_SEED}/logs/train.log",
    benchmark:
        f"{ATTENTION_SEED}/benchmarks/train.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        attention=lookup(dpath="attention", within=config),
        seed=lambda wildcards: int(wildcards.seed),
    script:
        "../scripts/attention_train.py"


rule attention_analysis:
    input:
        metrics=attention_metrics(),
        steps=expand(
            f"{ATTENTION_SEED}/{{setting}}/steps.csv", seed=SEEDS, setting=SETTINGS
        ),
    output:
        summary=f"{ATTENTION}/summary.csv",
        curves=report(
            f"{ATTENTION}/figures/curves.png",
            caption="../report/attention_curves.rst",
            category="E1 optimisers",
        ),
        smoothed=report(
            f"{ATTENTION}/figures/curves_smoothed.png",
            caption="../report/attention_smoothed.rst",
            category="E1 optimisers",
        ),
        rate=report(
            f"{ATTENTION}/figures/rate_fit.png",
            caption="../report/attention_rate.rst",
            category="E1 optimisers",
        ),
    log:
        f"{ATTENTION}/logs/analysis.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        # The (seed, setting) of each input, in the order expand lists them.
        runs=[(seed, setting) for seed in SEEDS for setting in SETTINGS],
        threshold=lookup(dpath="attention/threshold", within=config),
        smoothing=lookup(dpath="attention/smoothing", within=config),
    script:
        "../scripts/attention_analysis.py"
