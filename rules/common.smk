"""Paths, config checks and input functions shared by every stage."""

import os
import sys

# Jobs import the library from this checkout, installed or not, local or on a cluster.
SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, SRC)
os.environ.update(
    PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))
)

from prunescape.workflow import check_config

check_config(config)

RUN = f"results/{config['run']}"
ATTENTION = f"{RUN}/attention"
SETTINGS = list(config["attention"]["settings"])
ENV = "../envs/prunescape.yaml"


wildcard_constraints:
    setting="|".join(SETTINGS),


def attention_metrics(wildcards=None):
    return expand(f"{ATTENTION}/{{setting}}/metrics.csv", setting=SETTINGS)


def all_targets():
    return [
        f"{ATTENTION}/dataset_stats.json",
        attention_metrics(),
        f"{ATTENTION}/summary.csv",
        f"{ATTENTION}/figures/curves.png",
    ]
