"""Experiment 3's training arm: global magnitude masks, and one seed's tickets retrained
together (one vmapped job: they share the schedule and the data order)."""


rule prune_masks:
    input:
        final=rules.train_baseline.output.final,
        vocab=rules.translation_data.output.vocab,
    output:
        masks=expand(f"{MASKS}/rate_{{rate}}.pt", rate=PRUNE_RATES, allow_missing=True),
        reports=expand(
            f"{MASKS}/sparsity_{{rate}}.json", rate=PRUNE_RATES, allow_missing=True
        ),
    log:
        f"{MASKS}/logs/prune.log",
    priority: TRAINING_PRIORITY
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        model=lookup(dpath="model", within=config),
        prune=lookup(dpath="prune", within=config),
    script:
        "../scripts/prune_masks.py"


rule retrain_tickets:
    input:
        masks=expand(f"{MASKS}/rate_{{rate}}.pt", rate=TICKET_RATES, allow_missing=True),
        init=ticket_inits,
        train=rules.translation_data.output.train,
        val=rules.translation_data.output.val,
        test=rules.translation_data.output.test,
        vocab=rules.translation_data.output.vocab,
        references=rules.translation_data.output.references,
        schedule=schedule_choice,
    output:
        **ticket_outputs(TICKET_MODELS, MODELS),
    log:
        f"{MODELS}/logs/tickets.log",
    benchmark:
        f"{MODELS}/benchmarks/tickets.tsv"
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
        tickets=ticket_members(TICKET_MODELS, MODELS),
        state_dir=f"{MODELS}/.tickets_resume",
        random_seed=seed_params("random-init"),
        order_seed=seed_params("order"),
        rewind_epoch=lookup(dpath="tickets/rewind_epoch", within=config),
    script:
        "../scripts/retrain_tickets.py"


rule tickets_comparison:
    input:
        run_files(ticket_runs(), "metrics", "status", "bleu"),
        [report["path"] for report in sparsity_reports()],
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
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        runs=ticket_runs(),
        sparsity=sparsity_reports(),
        acc_targets=lookup(dpath="tickets/acc_targets", within=config),
    script:
        "../scripts/tickets_comparison.py"


# The instability test's second retraining: same w0 and mask, another data order and
# dropout seed.
if REORDERED_MODELS:

    rule retrain_reordered:
        input:
            masks=expand(
                f"{MASKS}/rate_{{rate}}.pt",
                rate=instability_rates(config),
                allow_missing=True,
            ),
            init=[rules.train_baseline.output.w0],
            train=rules.translation_data.output.train,
            val=rules.translation_data.output.val,
            test=rules.translation_data.output.test,
            vocab=rules.translation_data.output.vocab,
            references=rules.translation_data.output.references,
            schedule=schedule_choice,
        output:
            **ticket_outputs(REORDERED_MODELS, REORDERED),
        log:
            f"{REORDERED}/logs/tickets.log",
        benchmark:
            f"{REORDERED}/benchmarks/tickets.tsv"
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
            tickets=ticket_members(REORDERED_MODELS, REORDERED),
            state_dir=f"{REORDERED}/.tickets_resume",
            random_seed=seed_params("random-init"),
            order_seed=seed_params("reordered-order"),
            rewind_epoch=None,
        script:
            "../scripts/retrain_tickets.py"
