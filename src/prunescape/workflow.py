"""Config checks the JSON schema cannot express, run before any job starts."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """A config value is invalid; the message names the key."""


def _require(condition: bool, key: str, expected: str, value: Any) -> None:
    if not condition:
        raise ConfigError(f"config key {key}: expected {expected}, got {value!r}")


def instability_rates(config: dict) -> list[int]:
    """The ticket rates of the instability test: as configured, or by default (null) the
    highest ticket rate when the w0 arm is trained."""
    tickets = config["tickets"]
    if tickets["instability_rates"] is not None:
        return list(tickets["instability_rates"])
    return [max(tickets["rates"])] if "w0" in tickets["inits"] else []


def check_config(config: dict) -> None:
    """Cross-key checks: divisibility of model sizes and the like."""
    model = config["attention"]["model"]
    _require(
        model["d_model"] % model["heads"] == 0,
        "attention.model.d_model",
        f"a multiple of attention.model.heads ({model['heads']})",
        model["d_model"],
    )
    dataset = config["attention"]["dataset"]
    _require(
        dataset["teacher_d_model"] % dataset["teacher_heads"] == 0,
        "attention.dataset.teacher_d_model",
        f"a multiple of attention.dataset.teacher_heads ({dataset['teacher_heads']})",
        dataset["teacher_d_model"],
    )
    model = config["model"]
    _require(
        model["d_model"] % model["heads"] == 0,
        "model.d_model",
        f"a multiple of model.heads ({model['heads']})",
        model["d_model"],
    )
    _require(model["d_model"] % 2 == 0, "model.d_model", "an even number", model["d_model"])
    data = config["data"]
    _require(
        data["train_pairs"] is None or data["source"] == "multi30k",
        "data.train_pairs",
        "null unless data.source is multi30k (size the synthetic corpus with data.synthetic.train)",
        data["train_pairs"],
    )
    missing = sorted(set(config["tickets"]["rates"]) - set(config["prune"]["rates"]))
    _require(not missing, "tickets.rates", "rates listed in prune.rates", missing)
    tickets = config["tickets"]
    unknown = sorted(set(instability_rates(config)) - set(tickets["rates"]))
    _require(not unknown, "tickets.instability_rates", "rates listed in tickets.rates", unknown)
    _require(
        not instability_rates(config) or "w0" in tickets["inits"],
        "tickets.instability_rates",
        "an empty list unless tickets.inits has w0 (the test retrains the w0 ticket)",
        tickets["instability_rates"],
    )
    low, high = config["landscape"]["line"]["range"]
    _require(
        low <= 0 and high >= 1,
        "landscape.line.range",
        "[low, high] with low <= 0 and high >= 1 (a line's barrier needs t = 0 and t = 1)",
        [low, high],
    )
    if "rewind" in tickets["inits"]:
        epoch = tickets["rewind_epoch"]
        _require(
            epoch is not None and epoch <= config["train"]["epochs"],
            "tickets.rewind_epoch",
            f"an epoch in 1..{config['train']['epochs']} when tickets.inits has rewind",
            epoch,
        )
    _require(
        config["e2"]["rate"] in config["prune"]["rates"],
        "e2.rate",
        f"one of prune.rates {config['prune']['rates']}",
        config["e2"]["rate"],
    )
    folders = [f"{value:g}" for value in config["tune"]["lr_muls"]]
    _require(
        len(set(folders)) == len(folders),
        "tune.lr_muls",
        "values that differ in 6 significant digits (each names its run folder)",
        config["tune"]["lr_muls"],
    )
    landscape = config["landscape"]
    epochs = landscape["epochs"]
    if isinstance(epochs, list):
        too_late = [e for e in epochs if e > config["train"]["epochs"]]
        _require(
            not too_late, "landscape.epochs", f"epochs in 0..{config['train']['epochs']}", too_late
        )
    _require(
        landscape["tiles"] <= landscape["resolution"][1],
        "landscape.tiles",
        f"at most the grid's rows ({landscape['resolution'][1]})",
        landscape["tiles"],
    )


#: Config key that lets a run folder take a changed config (it is never recorded).
REPLACE_KEY = "replace_run_config"


def recorded_config(config: dict) -> dict:
    """The resolved config as a run folder records it (defaults and overrides applied)."""
    return {k: v for k, v in config.items() if k != REPLACE_KEY}


def config_fingerprint(config: dict) -> str:
    """A short content hash of the recorded config: equal configs, equal fingerprints."""
    text = json.dumps(recorded_config(config), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_config_text(config: dict) -> str:
    """``results/<run>/config.yaml``: the fingerprint, then the resolved config."""
    body = yaml.safe_dump(json.loads(json.dumps(recorded_config(config))), sort_keys=True)
    return f"# fingerprint: {config_fingerprint(config)}\n{body}"


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}{key}."))
        return out or {prefix.rstrip("."): {}}
    return {prefix.rstrip("."): value}


def changed_keys(old: dict, new: dict) -> list[str]:
    """Dotted keys whose values differ between two configs (added or removed too)."""
    a, b = _flatten(old), _flatten(new)
    return sorted(k for k in a.keys() | b.keys() if a.get(k, object()) != b.get(k, object()))


def check_run_folder(config: dict, recorded: str | os.PathLike) -> None:
    """Refuse to mix two configs' artifacts in one run folder.

    ``recorded`` is the folder's config.yaml from an earlier invocation; a config
    that differs fails at once, naming the keys, unless ``replace_run_config`` is set.
    """
    path = Path(recorded)
    if not path.is_file() or config.get(REPLACE_KEY) in (True, "true"):
        return
    try:
        old = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not a readable config record ({err})") from None
    differing = changed_keys(old, json.loads(json.dumps(recorded_config(config))))
    if differing:
        shown = ", ".join(differing[:8]) + (" …" if len(differing) > 8 else "")
        raise ConfigError(
            f"{path} was made by another config (keys differ: {shown}); choose another "
            f"run name, or pass --config {REPLACE_KEY}=true to replace it"
        )
