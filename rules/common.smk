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
    instability_rates,
    run_config_text,
)

check_config(config)
# Fails at parse time, naming the key, when attention.runs names an undefined setting.
selected_settings(config["attention"])

RUN = f"results/{config['run']}"
check_run_folder(config, f"{RUN}/config.yaml")
SEEDS = config["seeds"]
E2_SEEDS = config["e2"]["seeds"]
E2_EPOCHS = config["e2"]["epochs"] or config["train"]["epochs"]
# Figures and videos draw this seed's landscapes; tables and verdicts use every seed.
RENDER_SEED = SEEDS[0]
TUNE_SEED = SEEDS[0]
# Per-seed artifacts live under results/<run>/seed_<s>/; shared ones (data, E1's
# dataset, tuning, aggregates across seeds) directly under results/<run>/.
SEED_DIR = f"{RUN}/seed_{{seed}}"
ATTENTION = f"{RUN}/attention"
ATTENTION_SEED = f"{SEED_DIR}/attention"
DATA = f"{RUN}/data"
TUNE = f"{RUN}/tune"
MODELS = f"{SEED_DIR}/models"
EPOCHS = config["train"]["epochs"]
MULTI30K_FILES = sorted(MULTI30K_SHA256)
MASKS = f"{SEED_DIR}/masks"
TICKETS = f"{RUN}/tickets"
PRUNE_RATES = config["prune"]["rates"]
TICKET_RATES = config["tickets"]["rates"]
TICKET_MODELS = [
    f"{init}-{rate}" for rate in TICKET_RATES for init in config["tickets"]["inits"]
]
E3_MODELS = ["baseline", *TICKET_MODELS]
# The instability test (Frankle et al. 2020): these w0 tickets are trained a second
# time, from the same init and mask, in another data order and dropout seed.
REORDERED = f"{SEED_DIR}/reordered"
REORDERED_MODELS = [f"w0-{rate}" for rate in instability_rates(config)]
LANDSCAPE = f"{RUN}/landscape"
LANDSCAPE_SEED = f"{SEED_DIR}/landscape"
E2 = f"{SEED_DIR}/e2"
E2_POINTS = [
    (f"{alpha:g}", f"{beta:g}")
    for beta in config["e2"]["betas"]
    for alpha in config["e2"]["alphas"]
]
METRICS = ["loss", "ppl", "acc"]
FIGURES = f"{RUN}/figures"
SCALES = [f"{s:g}" for s in config["landscape"]["scales"]]
TILES = range(config["landscape"]["tiles"])
SETTINGS = config["attention"]["runs"]
TUNED = config["train"]["lr_mul"] == "tuned"
TUNE_GRID = [f"{value:g}" for value in config["tune"]["lr_muls"]]
ENV = "../envs/prunescape.yaml"
DEVICE = config["device"]
# GPUs booked by each model job (training, evaluation, landscape tiles); the
# SLURM executor turns this into --gpus. "auto" books none and uses one if present.
GPUS = 1 if DEVICE == "cuda" else 0
# Rules of a few seconds (data preparation, masks, tables, figures, the summary)
# say `localrule: True` and `jobstep_slots=0`: on a cluster they run side by side
# on the submitting host (see profiles/slurm), the download too, as compute nodes
# often have no internet. The rule itself is the one place that says so.


wildcard_constraints:
    seed=r"\d+",
    rate=r"\d+",
    init="w0|random|rewind",
    model=r"baseline|(w0|random|rewind)-\d+",
    epoch=r"\d+",
    scale=r"[0-9.e-]+",
    tile=r"\d+",
    lr_mul=r"[0-9.e-]+",
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


def train_outputs(folder):
    """A training run's files (see translation/training.py): the epochs folder holds
    only the epochs that ran, since the plateau rule may stop a run early."""
    return {
        "w0": f"{folder}/w0.pt",
        "epochs": directory(f"{folder}/epochs"),
        "final": f"{folder}/final.pt",
        "best": f"{folder}/best.pt",
        "metrics": f"{folder}/metrics.csv",
        "status": f"{folder}/run.json",
        "timing": f"{folder}/timing.csv",
    }


def tuned_baseline_runs(wildcards):
    """The tune stage's finished runs, for the tune seed's baseline when lr_mul is tuned:
    the stage already trained that baseline at every value, so its job adopts the
    chosen run instead of training it a second time."""
    if TUNED and int(wildcards.seed) == TUNE_SEED:
        return expand(f"{TUNE}/lr_mul_{{lr_mul}}/run.json", lr_mul=TUNE_GRID)
    return []


def schedule_choice(wildcards=None):
    """The tune stage's choice when train.lr_mul is "tuned", else nothing."""
    return rules.tune_choice.output.choice if TUNED else []


def seed_params(name):
    """A params function: the seed of the job's ``seed`` wildcard derived for ``name``."""
    return lambda wildcards: derive_seed(int(wildcards.seed), name)


def ticket_inits(wildcards):
    """The weights the tickets start from (the random arm only borrows w0's shapes;
    the rewind arm picks its epoch out of the baseline's epochs folder)."""
    inits = [rules.train_baseline.output.w0]
    if "rewind" in config["tickets"]["inits"]:
        inits.append(rules.train_baseline.output.epochs)
    return inits


def ticket_members(models, root):
    """A params function: one seed's tickets ``models`` in training order, each with its
    init arm, mask file and run folder under ``root``."""

    def members(wildcards):
        return [
            {
                "name": name,
                "init": name.rsplit("-", 1)[0],
                "masks": f"{MASKS}/rate_{name.rsplit('-', 1)[1]}.pt".format(
                    seed=wildcards.seed
                ),
                "folder": f"{root}/{name}".format(seed=wildcards.seed),
            }
            for name in models
        ]

    return members


def ticket_outputs(models, root):
    """The tickets' run files and test scores, named ``<file>_<ticket>`` (w0_30: the
    w0 ticket at 30 %)."""
    outputs = {}
    for name in models:
        folder = f"{root}/{name}"
        files = {
            **train_outputs(folder),
            "bleu": f"{folder}/bleu.json",
            "hypotheses": f"{folder}/test_hypotheses.txt",
        }
        label = name.replace("-", "_")
        outputs.update({f"{key}_{label}": path for key, path in files.items()})
    return outputs


def model_masks(wildcards):
    """A ticket's pruning mask; the dense baseline has none."""
    if wildcards.model == "baseline":
        return []
    return f"{MASKS}/rate_{wildcards.model.rsplit('-', 1)[1]}.pt"


def landscape_split(wildcards):
    return f"{DATA}/{config['landscape']['split']}.pt"


def landscape_tile_files(wildcards):
    """Row-block tiles of a model's grids when landscape.tiles > 1 (a cluster's
    choice); with one tile the landscape job evaluates the grid itself."""
    if len(TILES) == 1:
        return []
    return expand(
        f"{LANDSCAPE_SEED}/{{model}}/tiles/tile_{{tile}}.csv",
        tile=TILES,
        allow_missing=True,
    )


# What a landscape job of one (seed, model) reads: the run's epochs, its mask, the
# shared evaluation subset.
LANDSCAPE_RUN_INPUTS = {
    "epochs": f"{MODELS}/{{model}}/epochs",
    "w0": f"{MODELS}/{{model}}/w0.pt",
    "final": f"{MODELS}/{{model}}/final.pt",
    "status": f"{MODELS}/{{model}}/run.json",
    "masks": model_masks,
    "eval_set": f"{LANDSCAPE}/eval_set.pt",
    "vocab": f"{DATA}/vocab.json",
}


def line_pairs(wildcards):
    """One seed's pairs of models joined by a line: the w0 and the random-init ticket
    of one mask, the baseline and each ticket, a reordered w0 ticket and its original.
    """
    final = f"{MODELS}/{{model}}/final.pt"
    pairs = [
        ("same mask", f"w0-{rate}", f"random-{rate}", final, final)
        for rate in TICKET_RATES
        if {f"w0-{rate}", f"random-{rate}"} <= set(TICKET_MODELS)
    ]
    pairs += [("from the baseline", "baseline", t, final, final) for t in TICKET_MODELS]
    pairs += [
        ("data order", name, f"{name} reordered", final, f"{REORDERED}/{name}/final.pt")
        for name in REORDERED_MODELS
    ]
    return [
        {
            "kind": kind,
            "a": a,
            "b": b,
            "a_path": a_path.format(seed=wildcards.seed, model=a),
            "b_path": b_path.format(seed=wildcards.seed, model=b),
        }
        for kind, a, b, a_path, b_path in pairs
    ]


def line_inputs(wildcards):
    """The final weights of every model a line of the seed ends at."""
    return sorted(
        {path for p in line_pairs(wildcards) for path in (p["a_path"], p["b_path"])}
    )


def landscape_runs():
    """Every (seed, model) landscape with its grid, Hessian and trajectory-path files,
    for the collector."""
    return [
        {
            "seed": seed,
            "model": model,
            "grids": f"{RUN}/seed_{seed}/landscape/{model}/grids.csv",
            "hessian": f"{RUN}/seed_{seed}/landscape/{model}/hessian.csv",
            "path": f"{RUN}/seed_{seed}/landscape/{model}/trajectory_path.csv",
        }
        for seed in SEEDS
        for model in E3_MODELS
    ]


def ticket_runs():
    """Every (seed, model) training run of E3 with its files, for the comparison."""
    runs = []
    for seed in SEEDS:
        for model in E3_MODELS:
            folder = f"{RUN}/seed_{seed}/models/{model}"
            runs.append(
                {
                    "seed": seed,
                    "model": model,
                    "metrics": f"{folder}/metrics.csv",
                    "status": f"{folder}/run.json",
                    "bleu": f"{folder}/bleu.json",
                }
            )
    return runs


def sparsity_reports():
    return [
        {
            "seed": seed,
            "rate": rate,
            "path": f"{RUN}/seed_{seed}/masks/sparsity_{rate}.json",
        }
        for seed in SEEDS
        for rate in TICKET_RATES
    ]


def run_files(runs, *keys):
    return [run[key] for run in runs for key in keys]


def e2_points(wildcards):
    """Every E2 grid point of the job's seed with its metrics file."""
    return [
        {
            "alpha": float(alpha),
            "beta": float(beta),
            "metrics": f"{E2}/alpha_{alpha}/beta_{beta}/metrics.csv".format(
                seed=wildcards.seed
            ),
        }
        for alpha, beta in E2_POINTS
    ]


def e2_point_files(name):
    """One file of every E2 grid point (the seed left as a wildcard)."""
    return [f"{E2}/alpha_{alpha}/beta_{beta}/{name}" for alpha, beta in E2_POINTS]


def e2_metrics(wildcards):
    return [point["metrics"] for point in e2_points(wildcards)]


# Job order on few cores: training and pruning gate most of the DAG (tickets,
# landscapes, E2 axes), so they go first (a priority does not pass to a rule's
# inputs); the rendered seed's landscape jobs are the longest left after them, so they
# start before the other seeds' short ones and do not end the run alone.
TRAINING_PRIORITY = 2


def tune_priority(wildcards):
    """Smaller learning rates reach the plateau later, so their tune runs start first."""
    slowest_first = sorted(TUNE_GRID, key=float)
    return TRAINING_PRIORITY + len(TUNE_GRID) - slowest_first.index(wildcards.lr_mul)


def landscape_priority(wildcards):
    return 1 if int(wildcards.seed) == RENDER_SEED else 0


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
        [rules.tune_choice.output] if TUNED else [],
        expand(f"{MASKS}/sparsity_{{rate}}.json", seed=SEEDS, rate=PRUNE_RATES),
        f"{TICKETS}/comparison.md",
        f"{LANDSCAPE}/viewer.csv",
        e2_targets(),
        render_targets(),
    ]


KINDS = ["contour", "surface"]
FIGURE_FORMATS = config["render"]["formats"]
FIGURE_KEYS = [
    {"scale": scale, "metric": metric, "kind": kind}
    for scale in SCALES
    for metric in METRICS
    for kind in KINDS
]
VIDEO_KEYS = [
    {"scale": scale, "metric": metric} for scale in SCALES for metric in METRICS
]
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


def figure_params(pattern, keys, formats):
    """A params function: each figure a render job draws, named by its keys, with
    its files (one per format), so scripts never parse file names."""

    def figures(wildcards):
        return [
            {
                **key,
                "paths": [
                    expand(pattern, ext=ext, **key, **dict(wildcards.items()))[0]
                    for ext in formats
                ],
            }
            for key in keys
        ]

    return figures


def e2_targets():
    return [
        expand(f"{E2}/summary.csv", seed=E2_SEEDS),
        expand(f"{E2}/videos/{{metric}}.html", seed=E2_SEEDS, metric=METRICS),
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
        rules.landscape_measures.output,
        rules.viewer.output,
        rules.results_summary.output,
    ]
