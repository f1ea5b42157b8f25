"""The README's promises: every snakemake command it shows is accepted, and the licence
that pyproject.toml declares is in the repository.

Each command is dry-run (``-n``) in a copy of the repository, so nothing lands in
the checkout's results.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
NOT_COPIED = shutil.ignore_patterns(".git", ".snakemake", "results", "__pycache__", ".*_cache")


def bash_lines(markdown: str) -> list[str]:
    """Lines of the fenced bash blocks, backslash continuations joined, comments dropped."""
    lines = []
    for block in FENCE.findall(markdown):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                lines.append(line)
    return lines


def snakemake_commands(markdown: str) -> list[list[str]]:
    """Every ``snakemake ...`` command, also one chained with ``&&``, as argument lists."""
    commands = []
    for line in bash_lines(markdown):
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            if words and words[0] == "snakemake":
                commands.append(words[1:])
    return commands


def dry_run(arguments: list[str]) -> list[str]:
    """The arguments with ``-n`` and ``--quiet`` added where missing."""
    extra = [flag for flag in ("-n", "--quiet") if flag not in arguments]
    return [*arguments, *extra]


COMMANDS = snakemake_commands((REPO / "README.md").read_text())


def test_commands_are_found():
    assert ["--cores", "2"] in COMMANDS
    assert any("--profile" in command for command in COMMANDS)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of the repository for the dry runs' lock and log files."""
    copy = tmp_path_factory.mktemp("readme") / "repo"
    shutil.copytree(REPO, copy, ignore=NOT_COPIED)
    return copy


@pytest.mark.parametrize("arguments", COMMANDS, ids=shlex.join)
def test_readme_command_dry_runs(arguments, checkout):
    if "--report" in arguments:
        pytest.skip("--report reads a finished run's results; it schedules no jobs")
    command = [sys.executable, "-m", "snakemake", *dry_run(arguments)]
    done = subprocess.run(command, cwd=checkout, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"snakemake {shlex.join(arguments)}\n{done.stderr[-3000:]}"


def test_licence_is_the_declared_one():
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["license"]["text"]
    licence = (REPO / "LICENSE").read_text()
    assert licence.startswith(f"{declared} License\n\nCopyright (c) 2026 the prunescape authors\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in licence
