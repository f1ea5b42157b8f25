"""Experiment 3's training arm: global magnitude masks and retrained tickets."""


rule prune_masks:
    input:
        final=rules.train_baseline.output.final,
        vocab=rules.translation_data.output.vocab,
    output:
        masks=f"{MASKS}/rate_{{rate}}.pt",
        report=f"{MASKS}/sparsity_{{rate}}.json",
    log:
        f"{MASKS}/logs/rate_{{rate}}.log",
    conda:
        ENV
    threads: 1
    params:
        model=lookup(dpath="model", within=config),
        prune=lookup(dpath="prune", within=config),
    script:
        "../scripts/prune_masks.py"


rule retrain_ticket:
    input:
        masks=f"{MASKS}/rate_{{rate}}.pt",
        init=ticket_init,
        train=rules.translation_data.output.train,
        val=rules.translation_data.output.val,
        vocab=rules.translation_data.output.vocab,
    output:
        w0=f"{MODELS}/{{init}}-{{rate}}/w0.pt",
        epochs=epoch_checkpoints("{init}-{rate}"),
        final=f"{MODELS}/{{init}}-{{rate}}/final.pt",
        metrics=f"{MODELS}/{{init}}-{{rate}}/metrics.csv",
        timing=f"{MODELS}/{{init}}-{{rate}}/timing.csv",
    log:
        f"{MODELS}/{{init}}-{{rate}}/train.log",
    benchmark:
        f"{MODELS}/{{init}}-{{rate}}/benchmark.tsv"
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
        random_seed=derive_seed(config["train"]["seed"], "random-init"),
    script:
        "../scripts/retrain_ticket.py"


rule tickets_comparison:
    input:
        metrics=expand(f"{MODELS}/{{model}}/metrics.csv", model=E3_MODELS),
        bleu=expand(f"{MODELS}/{{model}}/bleu.json", model=E3_MODELS),
        sparsity=expand(f"{MASKS}/sparsity_{{rate}}.json", rate=TICKET_RATES),
    output:
        table=f"{TICKETS}/comparison.csv",
        markdown=f"{TICKETS}/comparison.md",
        figure=report(
            f"{TICKETS}/convergence.png",
            caption="../report/tickets_convergence.rst",
            category="E3 lottery tickets",
        ),
    log:
        f"{TICKETS}/logs/comparison.log",
    conda:
        ENV
    threads: 1
    params:
        models=E3_MODELS,
        rates=TICKET_RATES,
    script:
        "../scripts/tickets_comparison.py"
