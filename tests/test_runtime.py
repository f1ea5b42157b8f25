"""Job set-up: the configured device is honoured, or refused with a clear message."""

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
    with pytest.raises(DeviceError), job(1, str(log), "cuda"):
        pass
    assert "DeviceError: config key device: cuda" in log.read_text()
