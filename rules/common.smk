"""Paths, config checks and input functions shared by every stage."""

import os
import sys

# Jobs import the library from this checkout, installed or not, local or on a cluster.
SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, SRC)
os.environ.update(
    PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))
)

from prunescape.attention.settings import selected_settings
from prunescape.seeding import derive_seed
from prunescape.translation.multi30k import SHA256 as MULTI30K_SHA256
from prunescape.workflow import (
    check_config,
    check_run_folder,
    landscape_epochs,
    run_config_text,
)

check_config(config)
# Fails at parse time, naming the key, when attention.runs names an undefined setting.
selected_settings(config["attention"])

RUN = f"results/{config['run']}"
check_run_folder(config, f"{RUN}/config.yaml")
SEEDS = config["seeds"]
# Per-seed artifacts live under results/<run>/seed_<s>/; shared ones (data, E1's
# dataset, tuning, aggregates across seeds) directly under results/<run>/.
SEED_DIR = f"{RUN}/seed_{{seed}}"
ATTENTION = f"{RUN}/attention"
ATTENTION_SEED = f"{SEED_DIR}/attention"
DATA = f"{RUN}/data"
MODELS = f"{RUN}/models"
EPOCHS = config["train"]["epochs"]
MULTI30K_FILES = sorted(MULTI30K_SHA256)
MASKS = f"{RUN}/masks"
TICKETS = f"{RUN}/tickets"
PRUNE_RATES = config["prune"]["rates"]
TICKET_RATES = config["tickets"]["rates"]
TICKET_MODELS = [
    f"{init}-{rate}" for rate in TICKET_RATES for init in config["tickets"]["inits"]
]
E3_MODELS = ["baseline", *TICKET_MODELS]
LANDSCAPE = f"{RUN}/landscape"
E2 = f"{RUN}/e2"
E2_POINTS = [
    (f"{alpha:g}", f"{beta:g}")
    for beta in config["e2"]["betas"]
    for alpha in config["e2"]["alphas"]
]
METRICS = ["loss", "ppl", "acc"]
FIGURES = f"{RUN}/figures"
LANDSCAPE_EPOCHS = landscape_epochs(config["landscape"]["epochs"], EPOCHS)
SCALES = [f"{s:g}" for s in config["landscape"]["scales"]]
TILES = range(config["landscape"]["tiles"])
SETTINGS = config["attention"]["runs"]
ENV = "../envs/prunescape.yaml"
DEVICE = config["device"]
# GPUs booked by each model job (training, evaluation, landscape tiles); the
# SLURM executor turns this into --gpus. "auto" books none and uses one if present.
GPUS = 1 if DEVICE == "cuda" else 0


wildcard_constraints:
    seed=r"\d+",
    rate=r"\d+",
    init="w0|random|rewind",
    model=r"baseline|(w0|random|rewind)-\d+",
    epoch=r"\d+",
    scale=r"[0-9.e-]+",
    tile=r"\d+",
    alpha=r"-?[0-9.e-]+",
    beta=r"-?[0-9.e-]+",
    metric="|".join(METRICS),


def attention_runs(name):
    """One file per E1 setting of a seed (``{seed}`` left as a wildcard)."""
    return expand(
        f"{ATTENTION_SEED}/{{setting}}/{name}", setting=SETTINGS, allow_missing=True
    )


def attention_metrics(wildcards=None):
    """Every seed's per-epoch metrics of every E1 setting, seed by seed."""
    return expand(
        f"{ATTENTION_SEED}/{{setting}}/metrics.csv", seed=SEEDS, setting=SETTINGS
    )


def multi30k_inputs(wildcards):
    """The released raw files when the config trains on Multi30k, else nothing."""
    if config["data"]["source"] != "multi30k":
        return []
    return rules.multi30k_raw.output


def epoch_checkpoints(model):
    return [
        f"{MODELS}/{model}/epochs/epoch_{epoch:03d}.pt"
        for epoch in range(1, EPOCHS + 1)
    ]


def ticket_init(wildcards):
    """The weights a ticket starts from (the random arm only borrows w0's shapes)."""
    if wildcards.init == "rewind":
        epoch = config["tickets"]["rewind_epoch"]
        return f"{MODELS}/baseline/epochs/epoch_{epoch:03d}.pt"
    return rules.train_baseline.output.w0


def model_masks(wildcards):
    """A ticket's pruning mask; the dense baseline has none."""
    if wildcards.model == "baseline":
        return []
    return f"{MASKS}/rate_{wildcards.model.rsplit('-', 1)[1]}.pt"


def epoch_weights(wildcards):
    """Weights of a model after an epoch; epoch 0 is its (masked) init w0."""
    epoch = int(wildcards.epoch)
    if epoch == 0:
        return f"{MODELS}/{wildcards.model}/w0.pt"
    return f"{MODELS}/{wildcards.model}/epochs/epoch_{epoch:03d}.pt"


def landscape_split(wildcards):
    return f"{DATA}/{config['landscape']['split']}.pt"


def all_landscape_keys():
    """(model, epoch, scale) of every landscape, in the viewer's order."""
    return [
        (model, epoch, scale)
        for model in E3_MODELS
        for scale in SCALES
        for epoch in LANDSCAPE_EPOCHS
    ]


def landscape_tiles(model, epoch, scale):
    return [
        f"{LANDSCAPE}/{model}/epoch_{epoch}/scale_{scale}/tile_{tile}.csv"
        for tile in TILES
    ]


def all_landscape_tiles():
    return [path for key in all_landscape_keys() for path in landscape_tiles(*key)]


def e2_metrics():
    return [f"{E2}/alpha_{alpha}/beta_{beta}/metrics.csv" for alpha, beta in E2_POINTS]


def train_runtime(wildcards, attempt):
    """Minutes for a training job; grows with each retry after a time-out."""
    return config["train"]["runtime_minutes"] * attempt


def all_targets():
    return [
        f"{RUN}/config.yaml",
        f"{ATTENTION}/dataset_stats.json",
        attention_metrics(),
        f"{ATTENTION}/summary.csv",
        f"{ATTENTION}/figures/curves.png",
        f"{DATA}/stats.json",
        expand(f"{MASKS}/sparsity_{{rate}}.json", rate=PRUNE_RATES),
        f"{TICKETS}/comparison.md",
        f"{LANDSCAPE}/viewer.csv",
        e2_targets(),
        render_targets(),
    ]


KINDS = ["contour", "surface"]
FIGURE_FORMATS = config["render"]["formats"]
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


def pdf_files(pattern):
    """The PDF copies of a figure rule's outputs, when render.formats asks for them."""
    return render_files(pattern, FIGURE_KEYS, "pdf") if "pdf" in FIGURE_FORMATS else []


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


def e2_targets():
    return [
        rules.e2_surfaces.output.summary,
        expand(f"{E2}/videos/{{metric}}.html", metric=METRICS),
    ]


def render_targets():
    return [
        expand(
            LANDSCAPE_FIGURE,
            model=E3_MODELS,
            scale=SCALES,
            metric=METRICS,
            kind=KINDS,
            ext=FIGURE_FORMATS,
        ),
        expand(
            COMPARISON_FIGURE,
            scale=SCALES,
            metric=METRICS,
            kind=KINDS,
            ext=FIGURE_FORMATS,
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
