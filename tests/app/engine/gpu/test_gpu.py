"""On an NVIDIA machine with the CUDA build: a model loads fully offloaded and says so.

Needs llama-cpp-python built with CUDA (``HEARTH_BACKEND=cuda scripts/setup --dev``)
and an NVIDIA GPU with ``nvidia-smi``. Deselected (not skipped) elsewhere, see
``conftest.py`` beside this file. To run:

    .venv/bin/python -m pytest -m gpu tests/app/engine/gpu -q

On a machine without a CUDA build, ``-m gpu`` makes it run and fail, saying why.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.engine.engine import Engine
from app.engine.protocol import LoadRequest, SamplingParams
from app.hardware import MachineInfo, detect_machine
from app.hardware.offload import plan_offload
from app.hardware.units import MIB
from app.library.fit import ModelShape
from app.library.gguf_header import read_gguf_header
from tests.support.synthetic_gguf import LLAMA_300M, write_synthetic_llama

pytestmark = pytest.mark.gpu
N_CTX = 2048


def gpu_memory_of(pid: int | None) -> int:
    """Graphics memory a process holds, as the driver counts it (nvidia-smi)."""
    smi = shutil.which("nvidia-smi")
    assert smi is not None, "nvidia-smi is not on PATH: no NVIDIA driver here"
    result = subprocess.run(
        [smi, "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    used = 0
    for line in result.stdout.splitlines():
        process, _, mib = line.partition(",")
        if process.strip() == str(pid) and mib.strip().isdigit():
            used += int(mib.strip()) * MIB
    return used


@pytest.fixture(scope="module")
def machine() -> MachineInfo:
    found = detect_machine()
    engine = found.engine
    assert engine is not None and engine.has_backend("cuda") and engine.supports_gpu_offload, (
        "these tests need llama-cpp-python built with CUDA (HEARTH_BACKEND=cuda scripts/setup);"
        f" this build: {engine.system_info if engine else 'not installed'}"
    )
    gpu = found.best_gpu()
    assert gpu is not None and gpu.backend == "cuda", f"no usable CUDA GPU: {found.notes}"
    return found


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # About 300 MB of weights: well above what a CUDA context alone takes.
    path = tmp_path_factory.mktemp("gpu") / "gpu-test-Q4_0.gguf"
    return write_synthetic_llama(path, LLAMA_300M, name="GPU Test Llama")


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = Engine()
    yield engine
    engine.unload()


def test_a_model_loads_fully_offloaded_and_reports_cuda(machine, model, engine) -> None:
    shape = ModelShape.from_header(read_gguf_header(model))
    plan = plan_offload(shape, machine, N_CTX)
    assert plan.all_layers and plan.backend_used == "cuda", plan.reason
    arguments = plan.llama_kwargs()
    assert arguments["n_gpu_layers"] == -1

    info = engine.load(
        LoadRequest(
            model_path=str(model),
            n_ctx=N_CTX,
            n_gpu_layers=arguments["n_gpu_layers"],
            flash_attn=arguments["flash_attn"],
            offload_reason=plan.reason,
        )
    )
    assert info.backend == "CUDA"
    assert info.offload_reason == plan.reason  # not the CPU fallback's reason
    assert "CUDA" in info.system_info
    on_gpu = gpu_memory_of(engine.host_pid)
    stats = engine.generate(
        [{"role": "user", "content": "hello"}],
        SamplingParams(max_tokens=16, seed=1),
        lambda _text: None,
        ignore_eos=True,
    )
    assert stats.completion_tokens == 16

    # The same model with no layers offloaded: the difference is the weights on the GPU.
    cpu_info = engine.load(LoadRequest(model_path=str(model), n_ctx=N_CTX, n_gpu_layers=0))
    assert cpu_info.backend == "CPU"
    on_cpu = gpu_memory_of(engine.host_pid)
    assert on_gpu - on_cpu >= 0.9 * shape.weights_bytes, (on_gpu, on_cpu, shape.weights_bytes)
