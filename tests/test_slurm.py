"""The tiny config on a real single-node SLURM cluster, with the project's profile,
gives the same results as a local run.

The session fixture installs (apt) and starts munged, slurmctld and slurmd with
tests/slurm/start_slurm.sh in a fresh state directory, and stops exactly those
daemons, by PID file, at teardown. It needs root; without root, apt or a
working SLURM the test is skipped, except under CI (``CI`` set), where it fails.

Jobs must not depend on the submitting shell: snakemake is started with a bare
environment (system PATH, no PYTHONPATH, no virtualenv or pyenv variables), so a
job finds neither ``python`` nor the library through the shell. It works because
the plugin starts each job with the absolute path of the submitting interpreter
(sys.executable, since the file system is shared), and the workflow puts its own
src/ on PYTHONPATH (rules/common.smk). The test checks in the kept job logs that
every job ran the submitting interpreter's snakemake.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from conftest import REPO, snakemake_command, write_config

pytestmark = [pytest.mark.slurm, pytest.mark.workflow, pytest.mark.slow]

SCRIPTS = REPO / "tests" / "slurm"
PROFILE = REPO / "profiles" / "slurm"
# Safety net only: the tiny config takes a few minutes on a 2-core machine.
SLURM_RUN_LIMIT_S = 1500
# CSVs holding wall-clock measurements: only their layout (header and first
# column) must match. Every other *.csv and *.json must be byte-identical.
TIMING_CSVS = {"timing.csv"}
# One seed's share of every kind of cluster job (tuning, E1, training, tickets,
# landscapes with their Hessians, an E2 retraining): the local rules between them
# run on the submitting host as well. The second seed and the renders would only
# repeat these job kinds, at minutes of queue overhead each.
CLUSTER_TARGETS = [
    "results/tiny/seed_0/attention/sgd/metrics.csv",
    *(f"results/tiny/seed_0/landscape/{m}/hessian.csv" for m in ("baseline", "w0-80", "random-80")),
    "results/tiny/seed_0/e2/alpha_1/beta_0/metrics.csv",
]


def _unavailable(reason: str) -> None:
    """Skip with a printed reason, or fail under CI where SLURM must run."""
    print(f"\nSLURM test not run: {reason}", file=sys.stderr)
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but the SLURM test cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as err:
        return f"({path}: {err})"


class Cluster:
    def __init__(self, state: Path, env: dict[str, str]) -> None:
        self.state = state
        self.conf = state / "slurm.conf"
        self.env = env

    def logs(self) -> str:
        return "\n".join(
            f"--- {name} (tail)\n{_tail(self.state / 'log' / name, 20)}"
            for name in ("slurmctld.log", "slurmd.log")
        )


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running single-node SLURM cluster; stops every daemon it started."""
    if os.geteuid() != 0:
        _unavailable("needs root to install and start SLURM daemons")
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        _unavailable('snakemake-executor-plugin-slurm is not installed (pip install -e ".[slurm]")')
    installed = all(shutil.which(t) for t in ("slurmctld", "slurmd", "munged", "sbatch"))
    if not installed and not shutil.which("apt-get"):
        _unavailable("SLURM is not installed and there is no apt-get to install it")
    # munged (user munge) must reach its socket: a world-traversable dir in /tmp,
    # not pytest's private tmp dir.
    state = Path(tempfile.mkdtemp(prefix="prunescape-slurm-"))
    state.chmod(0o755)
    env = {
        **os.environ,
        "SLURM_STATE_DIR": str(state),
        "SLURM_CTLD_PORT": str(_free_port()),
        "SLURMD_PORT": str(_free_port()),
        "SLURM_CONF": str(state / "slurm.conf"),
    }
    try:
        started = subprocess.run(
            ["bash", str(SCRIPTS / "start_slurm.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        failure = None
        if started.returncode != 0:
            failure = f"start_slurm.sh failed ({started.returncode}):\n{started.stderr[-3000:]}"
    except subprocess.TimeoutExpired as err:
        failure = f"start_slurm.sh timed out: {err}"
    cluster = Cluster(state, env)
    try:
        if failure:
            _unavailable(failure)
        yield cluster
    finally:
        stopped = subprocess.run(
            ["bash", str(SCRIPTS / "stop_slurm.sh")],
            env={**env, "SLURM_PURGE": "1"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        print(stopped.stdout, stopped.stderr, file=sys.stderr)


def _bare_env(cluster: Cluster) -> dict[str, str]:
    """What a login shell on a cluster node might offer: no python of ours on PATH."""
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "SLURM_CONF": str(cluster.conf),
    }
    if "TMPDIR" in os.environ:
        env["TMPDIR"] = os.environ["TMPDIR"]
    return env


def _snakemake_cmd(workdir: Path, configfile: Path, *args: str) -> list[str]:
    # As conftest.snakemake, plus what a cluster run needs there: a bare
    # environment and SIGINT on time-out (a hung run ignores SIGTERM; SIGINT
    # makes snakemake scancel its jobs), -k as the last resort.
    return [
        "timeout",
        "-s",
        "INT",
        "-k",
        "120",
        str(SLURM_RUN_LIMIT_S),
        *snakemake_command(workdir, configfile, *args),
    ]


def _compare_trees(local: Path, remote: Path) -> list[str]:
    """Problems: SLURM-run files the local run lacks, and CSV/JSON files that differ."""
    problems = []
    files = sorted(p.relative_to(remote) for p in remote.rglob("*") if p.is_file())
    assert files, f"the SLURM run produced nothing under {remote}"
    compared = 0
    for rel in files:
        mine = local / rel
        if not mine.is_file():
            problems.append(f"not in the local run: {rel}")
            continue
        if rel.suffix not in {".csv", ".json"}:
            continue
        compared += 1
        mine_bytes, their_bytes = mine.read_bytes(), (remote / rel).read_bytes()
        if rel.name in TIMING_CSVS:
            mine_bytes, their_bytes = (_first_column(b) for b in (mine_bytes, their_bytes))
        if mine_bytes != their_bytes:
            problems.append(f"differs between local and SLURM runs: {rel}")
    assert compared, "no CSV or JSON results to compare"
    return problems


def _first_column(data: bytes) -> list[bytes]:
    return [line.split(b",")[0] for line in data.splitlines()]


def _profile_default_resources() -> list[str]:
    """The profile's default resources, less partition and account (none here)."""
    profile = yaml.safe_load((PROFILE / "config.v8+.yaml").read_text())
    entries = profile["default-resources"]
    if isinstance(entries, dict):
        entries = [f"{key}={value}" for key, value in entries.items()]
    return [
        entry
        for entry in entries
        if entry.split("=", 1)[0].strip() not in {"slurm_partition", "slurm_account"}
    ]


def test_slurm_run_matches_local_run(slurm_cluster, tiny_run, tmp_path, record_property):
    cluster = slurm_cluster
    workdir = tmp_path / "slurm"
    workdir.mkdir()
    config = write_config(workdir / "tiny.yaml")
    overrides = [
        "--profile",
        str(PROFILE),
        "--jobs",
        "2",
        "--default-resources",
        *_profile_default_resources(),
        # no accounting database here: poll squeue, and early (the plugin adds
        # 10 s to the interval after every check that finds nothing finished)
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "8",
        "--seconds-between-status-checks",
        "8",
        "--slurm-keep-successful-logs",
        "--latency-wait",
        "10",
    ]
    env = _bare_env(cluster)
    began = time.monotonic()
    run = subprocess.run(
        _snakemake_cmd(workdir, config, *overrides, *CLUSTER_TARGETS),
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - began
    record_property("slurm_wall_seconds", round(wall, 1))
    print(f"\nSLURM run of the tiny config: {wall:.1f} s wall time (exit {run.returncode})")
    if run.returncode != 0:
        subprocess.run(
            _snakemake_cmd(workdir, config, "--unlock"), env=env, capture_output=True, timeout=300
        )
        failed_logs = "\n".join(
            f"--- {log}\n{_tail(log)}"
            for log in sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
            if "Error" in log.read_text(errors="replace")
        )
        pytest.fail(
            f"snakemake on SLURM failed (exit {run.returncode}, after {wall:.0f} s; "
            f"124 = killed by the time limit)\n{run.stderr[-6000:]}\n"
            f"{failed_logs[-6000:]}\n{cluster.logs()}",
            pytrace=False,
        )

    problems = _compare_trees(tiny_run.parent, workdir / "results")
    assert not problems, "\n".join(problems)
    for target in CLUSTER_TARGETS:
        assert (workdir / target).is_file(), f"the SLURM run did not make {target}"

    # Every job ran the submitting interpreter's snakemake, found without the shell.
    job_logs = sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
    assert job_logs, "no SLURM job logs were kept"
    import snakemake

    entry = str(Path(snakemake.__file__).with_name("__main__.py"))
    for log in job_logs:
        text = log.read_text(errors="replace")
        assert f"Command: {entry}" in text, f"{log}: job did not run {sys.executable}"
