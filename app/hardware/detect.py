"""Looks at this computer and returns a :class:`MachineInfo`; never raises.

Sources, each optional: psutil (RAM, cores), the OS (processor name), NVML or
``nvidia-smi`` (NVIDIA cards), ``sysctl`` (Apple Silicon), and the installed engine
(its backends and llama.cpp's own device list). A source that is missing or fails
leaves its part empty and, where it is worth knowing, a note in ``MachineInfo.notes``.
The whole probe takes a few tenths of a second, most of it loading llama.cpp the first
time. Free memory is as it was at the call: a load reads it again
(:mod:`app.hardware.memory_now`), since it changes with every model loaded or ended.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from typing import TypeVar

import psutil

from app.hardware.apple import apple_silicon_gpu, read_sysctl
from app.hardware.cpu import cpu_name
from app.hardware.engine_probe import CHEAP_MEMORY_BACKENDS, engine_device_memory, probe_engine
from app.hardware.machine import EngineBuild, GpuDevice, MachineInfo
from app.hardware.nvidia import detect_nvidia_gpus

T = TypeVar("T")
_OS_NAMES = {"Darwin": "macos", "Linux": "linux", "Windows": "windows"}


def detect_machine(*, include_engine: bool = True) -> MachineInfo:
    """A snapshot of this machine. ``include_engine=False`` skips loading llama.cpp."""
    notes: list[str] = []
    system = platform.system()
    os_name = _OS_NAMES.get(system, system.lower() or "unknown")
    arch = platform.machine()
    memory = psutil.virtual_memory()
    engine = _guard(probe_engine, None, notes, "the engine") if include_engine else None
    if include_engine and engine is None:
        notes.append("llama-cpp-python is not installed or its library did not load")
    processor = _guard(cpu_name, "unknown processor", notes, "the processor name")
    no_gpus: list[GpuDevice] = []
    gpus = _guard(
        lambda: _detect_gpus(os_name, arch, processor, memory.available, engine, notes),
        no_gpus,
        notes,
        "the graphics cards",
    )
    return MachineInfo(
        os=os_name,
        os_version=_os_version(os_name),
        arch=arch,
        cpu_name=processor,
        cpu_cores=psutil.cpu_count(logical=False) or os.cpu_count() or 1,
        cpu_threads=psutil.cpu_count(logical=True) or os.cpu_count() or 1,
        total_ram=int(memory.total),
        available_ram=int(memory.available),
        gpus=tuple(gpus),
        engine=engine,
        notes=tuple(notes),
    )


def _detect_gpus(
    os_name: str,
    arch: str,
    processor: str,
    available_ram: int,
    engine: EngineBuild | None,
    notes: list[str],
) -> list[GpuDevice]:
    gpus: list[GpuDevice] = []
    nvidia, note = detect_nvidia_gpus()
    gpus.extend(nvidia)
    if note:
        notes.append(note)
    if os_name == "macos" and arch in ("arm64", "aarch64"):
        memsize = read_sysctl("hw.memsize")
        total = int(memsize) if memsize and memsize.isdigit() else psutil.virtual_memory().total
        gpus.append(apple_silicon_gpu(processor, total, available_ram, engine))
    gpus.extend(_engine_only_gpus(engine, gpus, notes))
    return gpus


def _engine_only_gpus(
    engine: EngineBuild | None, found: list[GpuDevice], notes: list[str]
) -> list[GpuDevice]:
    """GPUs that only llama.cpp itself can describe: Vulkan, ROCm, SYCL, or CUDA without NVML."""
    if engine is None:
        return []
    known = {gpu.backend for gpu in found}
    extra: list[GpuDevice] = []
    for backend in dict.fromkeys(d.backend for d in engine.devices if d.kind in ("gpu", "igpu")):
        if backend in known:
            continue
        if backend in CHEAP_MEMORY_BACKENDS:
            devices = tuple(d for d in engine.devices if d.backend == backend)
        else:
            # Costs a GPU context in this process; only done when nothing else can tell.
            devices = engine_device_memory(backend)
            notes.append(f"{backend} memory was read through llama.cpp")
        extra.extend(
            GpuDevice(
                name=device.description or device.name,
                backend=backend,
                total_vram=device.total_memory,
                free_vram=device.free_memory,
                unified_memory=device.kind == "igpu",
            )
            for device in devices
        )
    return extra


def _os_version(os_name: str) -> str:
    if os_name == "macos":
        return platform.mac_ver()[0] or platform.release()
    if os_name == "windows":
        return platform.version()
    return platform.release()


def _guard(probe: Callable[[], T], fallback: T, notes: list[str], what: str) -> T:
    """Runs one probe; a failure becomes a note and the fallback, never an exception."""
    try:
        return probe()
    except Exception as error:
        notes.append(f"could not read {what}: {error}")
        return fallback
