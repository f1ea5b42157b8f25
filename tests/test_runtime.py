"""Job set-up: the configured device is honoured, or refused with a clear message."""

import subprocess
import sys

import pytest
import torch

from prunescape.runtime import DeviceError, job, select_device


def test_cpu_and_auto_without_gpu(monkeypatch):
    assert select_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert select_device("auto") == torch.device("cpu")


def test_cuda_without_gpu_fails_naming_the_key(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match=r"^config key device: cuda, but host .* no usable GPU"):
        select_device("cuda")


def test_unknown_device_is_refused():
    with pytest.raises(DeviceError, match="expected cpu, cuda or auto, got 'tpu'"):
        select_device("tpu")


def test_job_yields_the_device_and_logs_the_error(monkeypatch, tmp_path):
    log = tmp_path / "logs" / "job.log"
    with job(1, str(log)) as device:
        print("inside")
    assert device == torch.device("cpu")
    assert log.read_text() == "inside\n"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with (
        pytest.raises(SystemExit, match=r"^DeviceError: config key device: cuda"),
        job(1, str(log), "cuda"),
    ):
        pass
    assert "DeviceError: config key device: cuda" in log.read_text()


JOB_SCRIPT = """
import sys
from prunescape.io import CheckpointError
from prunescape.runtime import job

errors = {{"own": CheckpointError("w.pt: truncated or corrupt file?"), "other": KeyError("k")}}
with job(1, {log!r}):
    print("started")
    raise errors[sys.argv[1]]
"""


def run_job(tmp_path, kind: str) -> tuple[subprocess.CompletedProcess, str]:
    """Run a one-job script that fails with ``kind`` of error; return it and its log."""
    log = tmp_path / "job.log"
    script = JOB_SCRIPT.format(log=str(log))
    done = subprocess.run(
        [sys.executable, "-c", script, kind], capture_output=True, text=True, timeout=120
    )
    return done, log.read_text()


def test_own_error_prints_one_line_and_logs_the_traceback(tmp_path):
    done, log = run_job(tmp_path, "own")
    assert done.returncode != 0
    assert done.stderr == (
        f"CheckpointError: w.pt: truncated or corrupt file? (traceback in {tmp_path / 'job.log'})\n"
    )
    assert log.startswith("started\nTraceback (most recent call last):")
    assert log.endswith("CheckpointError: w.pt: truncated or corrupt file?\n")


def test_unexpected_error_keeps_its_traceback(tmp_path):
    done, log = run_job(tmp_path, "other")
    assert done.returncode != 0
    assert "Traceback (most recent call last):" in done.stderr
    assert done.stderr.rstrip().endswith("KeyError: 'k'")
    assert "KeyError: 'k'" in log
