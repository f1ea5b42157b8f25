"""Process set-up shared by the workflow's scripts: threads, determinism, logs."""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Iterator
from pathlib import Path

import torch


@contextlib.contextmanager
def job(threads: int = 1, log: str | None = None) -> Iterator[None]:
    """Pin torch to the job's threads and send stdout/stderr (progress bars) to the log.

    A fixed thread count keeps CPU results byte-identical between reruns.
    """
    torch.set_num_threads(max(1, threads))
    torch.use_deterministic_algorithms(True, warn_only=True)
    if not log:
        yield
        return
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    with (
        open(log, "w", buffering=1) as handle,
        contextlib.redirect_stderr(handle),
        contextlib.redirect_stdout(handle),
    ):
        try:
            yield
        except BaseException:
            traceback.print_exc(file=handle)
            raise
