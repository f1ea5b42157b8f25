"""Translation data: the Multi30k release or the offline synthetic corpus, encoded."""


rule run_config:
    output:
        f"{RUN}/config.yaml",
    log:
        f"{RUN}/logs/run_config.log",
    localrule: True
    resources:
        jobstep_slots=0,
    params:
        text=run_config_text(config),
    run:
        from prunescape.io import write_text

        write_text(output[0], params.text)
        write_text(log[0], f"recorded the resolved config in {output[0]}\n")


rule multi30k_raw:
    output:
        expand("resources/multi30k/{name}", name=MULTI30K_FILES),
    log:
        "resources/multi30k/fetch.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        local_dir=lookup(dpath="data/multi30k_dir", within=config),
        url=lookup(dpath="data/multi30k_url", within=config),
    script:
        "../scripts/multi30k_fetch.py"


rule translation_data:
    input:
        raw=multi30k_inputs,
    output:
        train=f"{DATA}/train.pt",
        val=f"{DATA}/val.pt",
        test=f"{DATA}/test.pt",
        vocab=f"{DATA}/vocab.json",
        references=f"{DATA}/test_references.txt",
        stats=f"{DATA}/stats.json",
    log:
        f"{DATA}/logs/prepare.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        data=lookup(dpath="data", within=config),
    script:
        "../scripts/translation_data.py"
