"""What a reader of the study sees: landscape figures and videos, the viewer, the summary.

Figures and videos draw the first seed's landscapes (RENDER_SEED); the summary's
tables and verdicts use every seed.
"""


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
        ),
        pdf=pdf_files(LANDSCAPE_FIGURE),
    log:
        f"{FIGURES}/logs/landscape_{{model}}.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        seed=RENDER_SEED,
        models=E3_MODELS,
        figures=figure_params(LANDSCAPE_FIGURE, FIGURE_KEYS, FIGURE_FORMATS),
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
        ),
        pdf=pdf_files(COMPARISON_FIGURE),
    log:
        f"{FIGURES}/logs/comparison.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        seed=RENDER_SEED,
        models=E3_MODELS,
        figures=figure_params(COMPARISON_FIGURE, FIGURE_KEYS, FIGURE_FORMATS),
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
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        seed=RENDER_SEED,
        models=E3_MODELS,
        videos=figure_params(LANDSCAPE_VIDEO, VIDEO_KEYS, ["mp4", "gif", "html"]),
        fps=lookup(dpath="render/fps", within=config, default=2),
    script:
        "../scripts/render_landscape_video.py"


rule landscape_measures:
    input:
        hessian=rules.landscape_collect.output.hessian,
        lines=rules.landscape_collect.output.lines,
        barriers=rules.landscape_collect.output.barriers,
        paths=rules.landscape_collect.output.paths,
        trajectories=expand(
            rules.landscape_model.output.trajectory, seed=RENDER_SEED, model=E3_MODELS
        ),
    output:
        spectrum=report(
            f"{FIGURES}/hessian_spectrum.png",
            caption="../report/hessian_spectrum.rst",
            category="E3 landscape measures",
        ),
        lines=report(
            f"{FIGURES}/interpolation.png",
            caption="../report/interpolation.rst",
            category="E3 landscape measures",
        ),
        trajectories=report(
            f"{FIGURES}/trajectories.png",
            caption="../report/trajectories.rst",
            category="E3 landscape measures",
        ),
    log:
        f"{FIGURES}/logs/measures.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        seed=RENDER_SEED,
        models=E3_MODELS,
    script:
        "../scripts/render_landscape_measures.py"


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
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        title=f"prunescape loss landscapes: run {config['run']}",
    script:
        "../scripts/render_viewer.py"


rule results_summary:
    input:
        attention=rules.attention_analysis.output.summary,
        tickets=rules.tickets_comparison.output.table,
        e2_summary=expand(rules.e2_surfaces.output.summary, seed=E2_SEEDS),
        e2_surfaces=expand(rules.e2_surfaces.output.surfaces, seed=E2_SEEDS),
        landscapes=rules.landscape_collect.output.tidy,
        hessian=rules.landscape_collect.output.hessian,
        barriers=rules.landscape_collect.output.barriers,
        paths=rules.landscape_collect.output.paths,
        tune=[rules.tune_choice.output.choice] if TUNED else [],
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
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        jobstep_slots=0,
    params:
        run=config["run"],
        e2_seeds=E2_SEEDS,
        setup={
            "corpus": config["data"]["source"],
            "layers": config["model"]["layers"],
            "d_model": config["model"]["d_model"],
            "epochs": EPOCHS,
            "grid": config["landscape"]["resolution"],
            "seeds": SEEDS,
        },
        lr_mul=config["train"]["lr_mul"],
        e2_rate=lookup(dpath="e2/rate", within=config),
    script:
        "../scripts/render_summary.py"
