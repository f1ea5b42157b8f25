"""What a reader of the study sees: landscape figures and videos, the viewer, the summary."""

KINDS = ["contour", "surface"]
FIGURE_KEYS = [{"metric": metric, "kind": kind} for metric in METRICS for kind in KINDS]
VIDEO_KEYS = [
    {"scale": scale, "metric": metric} for scale in SCALES for metric in METRICS
]
FINAL_LANDSCAPE_EPOCH = max(LANDSCAPE_EPOCHS)
LANDSCAPE_FIGURE = (
    f"{FIGURES}/landscape/{{model}}/scale_{{scale}}/{{metric}}_{{kind}}.{{ext}}"
)
COMPARISON_FIGURE = f"{FIGURES}/comparison/scale_{{scale}}/{{metric}}_{{kind}}.{{ext}}"
LANDSCAPE_VIDEO = f"{FIGURES}/videos/{{model}}/scale_{{scale}}_{{metric}}.{{ext}}"


def render_files(pattern, keys, ext, **report_options):
    """``pattern`` filled in with each of ``keys`` (other wildcards kept).

    With report options, each file is flagged for the report and labelled by its keys.
    """
    paths = [expand(pattern, ext=ext, allow_missing=True, **key)[0] for key in keys]
    if not report_options:
        return paths
    labels = report_options.pop("labels", {})
    flagged = []
    for path, key in zip(paths, keys, strict=True):
        flagged.append(report(path, labels={**labels, **key}, **report_options))
    return flagged


def run_setup():
    """One sentence on the configuration, for the results summary."""
    data, model, train = config["data"], config["model"], config["train"]
    nx, ny = config["landscape"]["resolution"]
    return (
        f"Run `{config['run']}` used the {data['source']} corpus, a {model['layers']}+"
        f"{model['layers']}-layer transformer with d_model {model['d_model']}, "
        f"{train['epochs']} training epochs, and landscapes on a {nx}×{ny} grid."
    )


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
        pdf=render_files(LANDSCAPE_FIGURE, FIGURE_KEYS, "pdf"),
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
            subcategory="side by side",
            labels={"scale": "{scale}"},
        ),
        pdf=render_files(COMPARISON_FIGURE, FIGURE_KEYS, "pdf"),
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
        setup=run_setup(),
        landscape_epoch=FINAL_LANDSCAPE_EPOCH,
        e2_rate=lookup(dpath="e2/rate", within=config),
    script:
        "../scripts/render_summary.py"


def render_targets():
    return [
        expand(
            LANDSCAPE_FIGURE,
            model=E3_MODELS,
            scale=SCALES,
            metric=METRICS,
            kind=KINDS,
            ext=["png", "pdf"],
        ),
        expand(
            COMPARISON_FIGURE,
            scale=SCALES,
            metric=METRICS,
            kind=KINDS,
            ext=["png", "pdf"],
        ),
        expand(
            LANDSCAPE_VIDEO,
            model=E3_MODELS,
            scale=SCALES,
            metric=METRICS,
            ext=["mp4", "gif", "html"],
        ),
        rules.viewer.output,
        rules.results_summary.output,
    ]
