"""Job set-up: the configured device is honoured, or refused with a clear message."""

import json
import subprocess
import sys
import time

import pytest
import torch

from prunescape.runtime import TIMING_PREFIX, DeviceError, job, select_device


def split_timing(log: str) -> tuple[str, dict]:
    """The log without its last line, and that line's timing, checked for order."""
    body, _, last = log.rstrip("\n").rpartition("\n")
    assert last.startswith(TIMING_PREFIX)
    times = json.loads(last.removeprefix(TIMING_PREFIX))
    assert times["process_started"] <= times["payload_started"] <= times["ended"]
    return body + "\n" if body else "", times


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
    assert split_timing(log.read_text())[0] == "inside\n"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with (
        pytest.raises(SystemExit, match=r"^DeviceError: config key device: cuda"),
        job(1, str(log), "cuda"),
    ):
        pass
    assert "DeviceError: config key device: cuda" in split_timing(log.read_text())[0]


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
    log, _ = split_timing(log)
    assert log.startswith("started\nTraceback (most recent call last):")
    assert log.endswith("CheckpointError: w.pt: truncated or corrupt file?\n")


def test_unexpected_error_keeps_its_traceback(tmp_path):
    done, log = run_job(tmp_path, "other")
    assert done.returncode != 0
    assert "Traceback (most recent call last):" in done.stderr
    assert done.stderr.rstrip().endswith("KeyError: 'k'")
    assert "KeyError: 'k'" in split_timing(log)[0]


def test_timing_line_spans_the_process(tmp_path):
    """Start-up (process to payload) and payload (to the end) are both measured,
    on success and when the job fails with one of the project's errors."""
    log = tmp_path / "ok.log"
    script = f"from prunescape.runtime import job\nwith job(1, {str(log)!r}):\n    print('ok')"
    before = time.time()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    after = time.time()
    assert done.returncode == 0, done.stderr
    body, times = split_timing(log.read_text())
    assert body == "ok\n"
    # The process started after `before` (to a clock tick) and imported torch before
    # its payload; the clock it reads is the same one this test reads.
    assert before - 0.05 <= times["process_started"] < times["payload_started"] <= after
    assert times["ended"] <= after

    done, log = run_job(tmp_path, "own")
    assert done.returncode != 0
    body, times = split_timing(log)
    assert body.endswith("CheckpointError: w.pt: truncated or corrupt file?\n")
    assert times["payload_started"] - times["process_started"] > 0


def test_a_job_without_torch_never_imports_it(tmp_path):
    """Rendering and table scripts: no torch import (most of such a job's time), and
    the device they are handed is None; a script with torch gets its threads pinned."""
    script = (
        "import sys\n"
        "from prunescape.render import contour_figure\n"
        "from prunescape.runtime import job\n"
        "with job(1, sys.argv[1]) as device:\n"
        "    assert device is None\n"
        "assert 'torch' not in sys.modules\n"
        "import torch\n"
        "with job(1) as device:\n"
        "    assert device.type == 'cpu' and torch.get_num_threads() == 1\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "job.log")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


REUSE_SCRIPT = """
import resource, sys, torch
from prunescape.runtime import job

def pages_faulted_per_block(count: int) -> list[int]:
    faults = []
    for _ in range(count):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        torch.ones(64 << 18)  # 64 MiB, freed at once
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    return faults

default = pages_faulted_per_block(8)
with job(1):
    pages_faulted_per_block(16)  # the heap grows until a freed block fits the next one
    kept = pages_faulted_per_block(8)
print(*default, *kept)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_job_reuses_freed_blocks_instead_of_faulting_them_in_again():
    """By default glibc maps a 64 MiB block afresh on every allocation (16,384 pages
    faulted in). Inside a job the heap keeps freed blocks: it grows for the first few
    (torch asks for 64-byte aligned blocks, which do not always fit the one just freed),
    and from then on every block is reused, with almost no pages faulted in."""
    done = subprocess.run(
        [sys.executable, "-c", REUSE_SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    faults = list(map(int, done.stdout.split()))
    default, kept = faults[:8], faults[8:]
    assert min(default) >= 16_000
    assert sum(kept) < 1_000
