"""The baseline transformer, and test-set BLEU for every trained model."""


rule train_baseline:
    input:
        train=rules.translation_data.output.train,
        val=rules.translation_data.output.val,
        vocab=rules.translation_data.output.vocab,
    output:
        w0=f"{MODELS}/baseline/w0.pt",
        epochs=epoch_checkpoints("baseline"),
        final=f"{MODELS}/baseline/final.pt",
        metrics=f"{MODELS}/baseline/metrics.csv",
        timing=f"{MODELS}/baseline/timing.csv",
    log:
        f"{MODELS}/baseline/train.log",
    benchmark:
        f"{MODELS}/baseline/benchmark.tsv"
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
        init_seed=derive_seed(config["train"]["seed"], "baseline-init"),
    script:
        "../scripts/train_baseline.py"


rule evaluate_model:
    input:
        weights=f"{MODELS}/{{model}}/final.pt",
        test=rules.translation_data.output.test,
        vocab=rules.translation_data.output.vocab,
        references=rules.translation_data.output.references,
    output:
        scores=f"{MODELS}/{{model}}/bleu.json",
        hypotheses=f"{MODELS}/{{model}}/test_hypotheses.txt",
    log:
        f"{MODELS}/{{model}}/evaluate.log",
    conda:
        ENV
    threads: 1
    resources:
        gpu=GPUS,
    params:
        device=DEVICE,
        model=lookup(dpath="model", within=config),
    script:
        "../scripts/evaluate_model.py"
