"""Process set-up shared by the workflow's scripts: threads, device, determinism, logs."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import socket
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


class DeviceError(RuntimeError):
    """The configured device is not usable on this host."""


def select_device(name: str = "cpu") -> torch.device:
    """The torch device for config key ``device``: cpu, cuda, or auto (cuda when present).

    On CUDA, cuBLAS gets a fixed workspace so deterministic algorithms can be
    enforced; results are then repeatable on the same GPU model and software,
    though not byte-identical to a CPU run.
    """
    import torch

    if name not in ("cpu", "cuda", "auto"):
        raise DeviceError(f"config key device: expected cpu, cuda or auto, got {name!r}")
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise DeviceError(
            f"config key device: cuda, but host {socket.gethostname()} has no usable GPU "
            f"(torch {torch.__version__}, {build}); request a GPU for this job or set device: cpu"
        )
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.benchmark = False
    return torch.device("cuda", torch.cuda.current_device())


# glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory(limit: int = 1 << 30) -> bool:
    """Let glibc's malloc keep freed blocks of up to ``limit`` bytes for reuse.

    A training step's largest tensors (logits over the vocabulary and their gradients)
    pass glibc's mmap threshold (32 MiB at most), so by default every step maps them
    afresh, faults in each page and unmaps them when freed. Measured on a 2-core CPU
    at vocabulary 8,000 (``benchmarks/train_bench.py``), that was a sixth to a third
    of a training step.
    With the mmap and trim thresholds raised, freed memory stays in the heap for the
    next step; PyTorch's CPU tuning guide gets the same by preloading jemalloc or
    tcmalloc. The numbers computed do not change. Returns whether the allocator took
    the setting (False where the C library has no ``mallopt``).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, limit)) and bool(mallopt(M_TRIM_THRESHOLD, limit))


def own_error(error: BaseException) -> bool:
    """Whether ``error`` is one of the project's error classes (CheckpointError,
    ConfigError, DeviceError, ...), raised on purpose with a message for the user."""
    return isinstance(error, Exception) and type(error).__module__.split(".")[0] == "prunescape"


TIMING_PREFIX = "prunescape-timing "


def process_started() -> float:
    """When this process was created, in Unix seconds.

    psutil adds the boot time, which Linux gives in whole seconds, so its answer
    can be up to a second early, as long as the start-up being measured. On Linux
    the start tick from /proc, anchored with CLOCK_BOOTTIME, is right to one tick.
    """
    try:
        with open("/proc/self/stat") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        since_boot = ticks / os.sysconf("SC_CLK_TCK")
        return time.time() - time.clock_gettime(time.CLOCK_BOOTTIME) + since_boot
    except (OSError, AttributeError, IndexError, ValueError):
        import psutil

        return psutil.Process().create_time()


def timing_line(process: float, payload: float, ended: float) -> str:
    """The log's last line, read by ``benchmarks/workflow_overhead.py`` to tell
    interpreter start and imports (process to payload) from the job's work."""
    times = {"process_started": process, "payload_started": payload, "ended": ended}
    return TIMING_PREFIX + json.dumps(times)


@contextlib.contextmanager
def job(
    threads: int = 1, log: str | None = None, device: str = "cpu"
) -> Iterator[torch.device | None]:
    """Pin torch to the job's threads, pick its device, keep freed memory for reuse
    (:func:`keep_freed_memory`), and send stdout/stderr (progress bars) to the log.
    Yields the device.

    A fixed thread count keeps CPU results byte-identical between reruns. A script
    that never imported torch (figures, tables, the summary) yields None and is left
    without it: importing torch would be most of such a job's time. The log
    gets every failure's traceback; the project's own errors (see
    :func:`own_error`) already say what went wrong in one line, so the job exits
    with just that line and the log's path instead of re-raising under a traceback.
    Last, pass or fail, the log gets a :func:`timing_line`.
    """
    payload_started = time.time()
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(max(1, threads))
        torch.use_deterministic_algorithms(True, warn_only=True)
        keep_freed_memory()

    def chosen_device() -> torch.device | None:
        return select_device(device) if torch is not None else None

    if not log:
        yield chosen_device()
        return
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    with (
        open(log, "w", buffering=1) as handle,
        contextlib.redirect_stderr(handle),
        contextlib.redirect_stdout(handle),
    ):
        try:
            yield chosen_device()
        except BaseException as error:
            traceback.print_exc(file=handle)
            if not own_error(error):
                raise
            raise SystemExit(f"{type(error).__name__}: {error} (traceback in {log})") from None
        finally:
            print(timing_line(process_started(), payload_started, time.time()), file=handle)
