"""Config handling: bad configs fail at parse time naming the key, GPUs are booked
only where the device asks for them, and the SLURM profile matches the local rules."""

import re

import pytest
import yaml
from conftest import REPO, snakemake, write_config

from prunescape.workflow import changed_keys


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"attention": {"settings": {"x": {"optimizer": "lbfgs", "lr": 0.1}}}}, "optimizer"),
        ({"attention": {"epochs": -3}}, "epochs"),
        ({"attention": {"dataset": {"train_fraction": 1.5}}}, "train_fraction"),
        ({"attention": {"dataset": {"train_fraction": 0}}}, "train_fraction"),
        ({"attention": {"epoch": 5}}, "epoch"),
        ({"atention": {}}, "atention"),
        ({"attention": {"model": {"d_model": 10, "heads": 4}}}, "attention.model.d_model"),
        ({"data": {"source": "synthetic", "train_pairs": 100}}, "data.train_pairs"),
        ({"tune": {"lr_muls": [0.1, 0.1000001]}}, "tune.lr_muls"),
        ({"tickets": {"instability_rates": [30]}}, "tickets.instability_rates"),
        (
            {"tickets": {"inits": ["random"], "instability_rates": [80]}},
            "unless tickets.inits has w0",
        ),
        ({"landscape": {"line": {"range": [0.1, 1.2]}}}, "landscape.line.range"),
    ],
)
def test_bad_config_fails_before_any_job(tmp_path, overrides, expected):
    config = write_config(tmp_path / "bad.yaml", overrides)
    result = snakemake(tmp_path, config, "--cores", "1")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert expected in output, output[-2000:]
    assert not (tmp_path / "results").exists()


def test_default_and_paper_configs_validate(tmp_path):
    for name in ("config.yaml", "multi30k-cpu.yaml", "paper.yaml"):
        result = snakemake(tmp_path, REPO / "config" / name, "-n", "--quiet", "rules")
        assert result.returncode == 0, result.stderr[-2000:]
        assert "attention_train" in result.stdout + result.stderr


def _rules_booking_gpus(output: str) -> set[str]:
    """Rules of a dry run whose jobs list ``gpu=1`` among their resources."""
    booked, rule = set(), None
    for line in output.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] in ("rule", "localrule"):
            rule = words[1].rstrip(":")
        elif words[:1] == ["resources:"] and "gpu=1" in line:
            booked.add(rule)
    return booked


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        ("cpu", set()),
        ("auto", set()),
        (
            "cuda",
            {
                "tune_lr",
                "train_baseline",
                "retrain_tickets",
                "retrain_reordered",
                "e2_retrain",
                "landscape_model",
                "landscape_lines",
            },
        ),
    ],
)
def test_gpus_are_booked_for_model_jobs_on_cuda(tmp_path, device, expected):
    config = write_config(tmp_path / "gpu.yaml", {"device": device})
    result = snakemake(tmp_path, config, "-n")
    assert result.returncode == 0, result.stderr[-2000:]
    assert _rules_booking_gpus(result.stdout + result.stderr) == expected


def test_every_local_rule_is_free_of_job_step_slots():
    """Local rules run on the submitting host; with a job-step slot each (the
    profile's default) they would queue behind one another there. Each local rule
    says both things itself; the profile lists none."""
    local, free = set(), set()
    for path in (REPO / "rules").glob("*.smk"):
        for block in re.split(r"\n(?=rule \w+:)", path.read_text()):
            name = re.match(r"rule (\w+):", block)
            if name and "localrule: True" in block:
                local.add(name.group(1))
                if "jobstep_slots=0" in block:
                    free.add(name.group(1))
    assert {"multi30k_raw", "translation_data", "tune_choice", "results_summary"} <= local
    assert free == local
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.v8+.yaml").read_text())
    assert not any("jobstep_slots" in res for res in profile["set-resources"].values())


def test_run_folder_records_its_config_and_refuses_another(tmp_path):
    """Two configs must not mix their artifacts in one results/<run>/ folder."""
    first = write_config(tmp_path / "first.yaml")
    result = snakemake(tmp_path, first, "--cores", "1", "results/tiny/config.yaml")
    assert result.returncode == 0, result.stderr[-2000:]
    record = (tmp_path / "results" / "tiny" / "config.yaml").read_text()
    assert re.match(r"# fingerprint: [0-9a-f]{16}\n", record)
    assert yaml.safe_load(record)["train"]["epochs"] == 3
    assert "replace_run_config" not in yaml.safe_load(record)

    second = write_config(tmp_path / "second.yaml", {"train": {"epochs": 4}, "seeds": [0]})
    refused = snakemake(tmp_path, second, "-n")
    assert refused.returncode != 0
    assert "keys differ: seeds, train.epochs" in refused.stdout + refused.stderr
    allowed = snakemake(tmp_path, second, "-n", "--config", "replace_run_config=true")
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    same = snakemake(tmp_path, first, "-n")
    assert same.returncode == 0, same.stderr[-2000:]


def test_changed_keys_are_dotted_and_cover_added_and_removed():
    old = {"a": {"b": 1, "c": [1, 2]}, "gone": 1}
    new = {"a": {"b": 1, "c": [1, 3]}, "added": {"x": 0}}
    assert changed_keys(old, new) == ["a.c", "added.x", "gone"]
    assert changed_keys(old, old) == []


def test_instability_rates_default_to_the_highest_ticket_rate_of_the_w0_arm():
    from prunescape.workflow import instability_rates

    tickets = {"rates": [30, 80], "inits": ["w0", "random"], "instability_rates": None}
    assert instability_rates({"tickets": tickets}) == [80]
    assert instability_rates({"tickets": {**tickets, "inits": ["random"]}}) == []
    assert instability_rates({"tickets": {**tickets, "instability_rates": []}}) == []
    assert instability_rates({"tickets": {**tickets, "instability_rates": [30]}}) == [30]
