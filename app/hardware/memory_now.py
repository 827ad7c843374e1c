"""Memory as it is right now: read afresh before every load, not once per session.

What the machine is (processor, GPUs, the engine build) does not change while Hearth
runs; how much memory is free does, with every model loaded or ended and every other
program. A switch or reload planned on start-up figures would over-allocate.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace

import psutil

from app.hardware.machine import GpuDevice, MachineInfo
from app.hardware.nvidia import detect_nvidia_gpus

_SMI_TIMEOUT_S = 5.0

# refresh_memory's shape: (machine, *, add_ram, add_vram) -> the machine with memory now.
MemoryReader = Callable[..., MachineInfo]


def refresh_memory(machine: MachineInfo, *, add_ram: int = 0, add_vram: int = 0) -> MachineInfo:
    """``machine`` with its free RAM and NVIDIA VRAM read now, plus what ``add_*`` frees."""
    available = int(psutil.virtual_memory().available) + add_ram
    fresh_nvidia = {gpu.name: gpu for gpu in detect_nvidia_gpus()[0]}
    gpus: list[GpuDevice] = []
    for gpu in machine.gpus:
        now = fresh_nvidia.get(gpu.name) if gpu.backend == "cuda" else None
        free = now.free_vram if now is not None else gpu.free_vram
        if gpu.unified_memory:
            free = min(gpu.total_vram, available)
        elif gpu.backend == "cuda":
            free = min(gpu.total_vram, free + add_vram)
        gpus.append(replace(gpu, free_vram=free))
    return replace(machine, available_ram=available, gpus=tuple(gpus))


def with_reserved(machine: MachineInfo, n_bytes: int, *, on_gpu: bool) -> MachineInfo:
    """``machine`` with ``n_bytes`` already spoken for (a draft model loaded beside the
    model being planned): on its best GPU when ``on_gpu`` (and in RAM too where the two
    are one memory), else in RAM."""
    if n_bytes <= 0:
        return machine
    best = machine.best_gpu() if on_gpu else None
    if best is None:
        return replace(machine, available_ram=max(0, machine.available_ram - n_bytes))
    gpus = tuple(
        replace(gpu, free_vram=max(0, gpu.free_vram - n_bytes)) if gpu is best else gpu
        for gpu in machine.gpus
    )
    ram = machine.available_ram - n_bytes if best.unified_memory else machine.available_ram
    return replace(machine, available_ram=max(0, ram), gpus=gpus)


def process_memory(pid: int | None) -> tuple[int, int]:
    """(RAM, NVIDIA VRAM) in bytes that process ``pid`` holds; (0, 0) if it is gone."""
    if pid is None:
        return 0, 0
    try:
        ram = int(psutil.Process(pid).memory_info().rss)
    except (psutil.Error, OSError):
        return 0, 0
    return ram, _process_vram(pid)


def _process_vram(pid: int) -> int:
    path = shutil.which("nvidia-smi")
    if path is None:
        return 0
    try:
        result = subprocess.run(
            [path, "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=_SMI_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except (OSError, subprocess.TimeoutExpired):
        return 0
    total = 0
    for line in result.stdout.splitlines():
        fields = [part.strip() for part in line.split(",")]
        if len(fields) == 2 and fields[0] == str(pid) and fields[1].isdigit():
            total += int(fields[1]) * 1024 * 1024  # MiB
    return total
