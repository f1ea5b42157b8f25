"""What a reader of the study sees: landscape figures and videos, the viewer, the summary."""


rule landscape_figures:
    input:
        landscapes=rules.landscape_collect.output.tidy,
    output:
        png=render_files(
            LANDSCAPE_FIGURE,
            FIGURE_KEYS,
            "png",
            caption="../report/render_landscape.rst",
            category="E3 loss landscapes",
            subcategory="{model}",
            labels={"scale": "{scale}"},
        ),
        pdf=pdf_files(LANDSCAPE_FIGURE),
    log:
        f"{FIGURES}/logs/landscape_{{model}}_scale_{{scale}}.log",
    conda:
        ENV
    threads: 1
    params:
        epoch=FINAL_LANDSCAPE_EPOCH,
        models=E3_MODELS,
    script:
        "../scripts/render_landscape_figures.py"


rule landscape_comparison:
    input:
        landscapes=rules.landscape_collect.output.tidy,
    output:
        png=render_files(
            COMPARISON_FIGURE,
            FIGURE_KEYS,
            "png",
            caption="../report/render_comparison.rst",
            category="E3 loss landscapes",
            subcategory="all models side by side",
            labels={"scale": "{scale}"},
        ),
        pdf=pdf_files(COMPARISON_FIGURE),
    log:
        f"{FIGURES}/logs/comparison_scale_{{scale}}.log",
    conda:
        ENV
    threads: 1
    params:
        epoch=FINAL_LANDSCAPE_EPOCH,
        models=E3_MODELS,
    script:
        "../scripts/render_landscape_comparison.py"


rule landscape_video:
    input:
        landscapes=rules.landscape_collect.output.tidy,
    output:
        mp4=render_files(LANDSCAPE_VIDEO, VIDEO_KEYS, "mp4"),
        gif=render_files(LANDSCAPE_VIDEO, VIDEO_KEYS, "gif"),
        page=render_files(
            LANDSCAPE_VIDEO,
            VIDEO_KEYS,
            "html",
            caption="../report/render_video.rst",
            category="E3 landscape videos",
            subcategory="{model}",
        ),
    log:
        f"{FIGURES}/logs/video_{{model}}.log",
    conda:
        ENV
    threads: 1
    params:
        epochs=LANDSCAPE_EPOCHS,
        models=E3_MODELS,
        fps=lookup(dpath="render/fps", within=config, default=2),
    script:
        "../scripts/render_landscape_video.py"


rule viewer:
    input:
        landscapes=rules.landscape_collect.output.viewer,
    output:
        report(
            f"{RUN}/viewer.html",
            caption="../report/viewer_page.rst",
            category="Landscape viewer",
            labels={"page": "interactive viewer"},
        ),
    log:
        f"{RUN}/logs/viewer.log",
    conda:
        ENV
    threads: 1
    params:
        title=f"prunescape loss landscapes: run {config['run']}",
    script:
        "../scripts/render_viewer.py"


rule results_summary:
    input:
        attention=rules.attention_analysis.output.summary,
        tickets=rules.tickets_comparison.output.table,
        e2_summary=rules.e2_surfaces.output.summary,
        e2_surfaces=rules.e2_surfaces.output.surfaces,
        landscapes=rules.landscape_collect.output.tidy,
    output:
        markdown=f"{RUN}/summary.md",
        html=report(
            f"{RUN}/summary.html",
            caption="../report/summary_results.rst",
            category="Results summary",
            labels={"page": "claims beside our numbers"},
        ),
    log:
        f"{RUN}/logs/summary.log",
    conda:
        ENV
    threads: 1
    params:
        run=config["run"],
        setup={
            "corpus": config["data"]["source"],
            "layers": config["model"]["layers"],
            "d_model": config["model"]["d_model"],
            "epochs": EPOCHS,
            "grid": config["landscape"]["resolution"],
        },
        landscape_epoch=FINAL_LANDSCAPE_EPOCH,
        e2_rate=lookup(dpath="e2/rate", within=config),
    script:
        "../scripts/render_summary.py"


# Seconds each: on a cluster they run on the submitting host instead of
# waiting in the queue (see profiles/slurm). The download runs there too, as
# compute nodes often have no internet.
localrules:
    run_config,
    multi30k_raw,
    attention_dataset,
    translation_data,
    landscape_eval_set,
    prune_masks,
    e2_axes,
    attention_analysis,
    tickets_comparison,
    landscape_collect,
    e2_surfaces,
    e2_render,
    landscape_figures,
    landscape_comparison,
    landscape_video,
    viewer,
    results_summary,
