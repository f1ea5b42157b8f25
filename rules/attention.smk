"""Experiment 1: a single attention block trained with each optimiser setting."""


rule attention_dataset:
    output:
        data=f"{ATTENTION}/dataset.pt",
        stats=f"{ATTENTION}/dataset_stats.json",
    log:
        f"{ATTENTION}/logs/dataset.log",
    conda:
        ENV
    threads: 1
    params:
        dataset=lookup(dpath="attention/dataset", within=config),
    script:
        "../scripts/attention_dataset.py"


rule attention_train:
    input:
        data=rules.attention_dataset.output.data,
    output:
        metrics=f"{ATTENTION}/{{setting}}/metrics.csv",
    log:
        f"{ATTENTION}/logs/train_{{setting}}.log",
    benchmark:
        f"{ATTENTION}/benchmarks/train_{{setting}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        attention=lookup(dpath="attention", within=config),
    script:
        "../scripts/attention_train.py"


rule attention_analysis:
    input:
        metrics=attention_metrics,
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
        loglog=report(
            f"{ATTENTION}/figures/convergence_loglog.png",
            caption="../report/attention_loglog.rst",
            category="E1 optimisers",
        ),
    log:
        f"{ATTENTION}/logs/analysis.log",
    conda:
        ENV
    threads: 1
    params:
        settings=SETTINGS,
        threshold=lookup(dpath="attention/threshold", within=config),
        smoothing=lookup(dpath="attention/smoothing", within=config),
    script:
        "../scripts/attention_analysis.py"
