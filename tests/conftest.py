"""Shared helpers: the repository root and a runner for snakemake on a config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "config" / "tiny.yaml"


def deep_update(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_update(out[key], value)
        else:
            out[key] = value
    return out


def write_config(path: Path, overrides: dict | None = None) -> Path:
    """The tiny config with ``overrides`` merged in, written to ``path``."""
    config = deep_update(yaml.safe_load(TINY.read_text()), overrides or {})
    path.write_text(yaml.safe_dump(config))
    return path


def snakemake_command(workdir: Path, configfile: Path, *args: str) -> list[str]:
    """The command running this workflow in ``workdir`` with ``configfile``."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile),
        *args,
    ]


def snakemake(workdir: Path, configfile: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the workflow in ``workdir`` (outputs stay out of the repository)."""
    cmd = snakemake_command(workdir, configfile, *args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """One full run of the tiny config, shared by every workflow test."""
    workdir = tmp_path_factory.mktemp("tiny")
    config = write_config(workdir / "tiny.yaml")
    result = snakemake(workdir, config, "--cores", "2")
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir / "results" / "tiny"
