"""Apple Silicon: unified memory and how much of it Metal lets the GPU use.

On an M-series Mac the GPU shares the RAM. Metal reports a budget,
``MTLDevice.recommendedMaxWorkingSetSize``; past it macOS starts to page GPU memory
and generation slows to a crawl. When the engine's Metal device is available
(:mod:`app.hardware.engine_probe`) its own number is used. Otherwise Hearth uses an
approximation of that budget, from the values Macs report:

* 36 GB of RAM or more: about 75 % of it (64 GB -> 48 GB, 128 GB -> 96 GB);
* below 36 GB: about two thirds (16 GB -> 10.7 GB, 8 GB -> 5.3 GB).

The budget is then capped by the RAM available right now: the GPU's share is the same
memory the other applications are using.
"""

from __future__ import annotations

import subprocess

from app.hardware.machine import EngineBuild, GpuDevice
from app.hardware.units import GIB

LARGE_MAC_RAM = 36 * GIB
LARGE_MAC_FRACTION = 0.75
SMALL_MAC_FRACTION = 2 / 3
SYSCTL_TIMEOUT_S = 1.0


def metal_working_set(total_ram: int) -> int:
    """An approximation of ``recommendedMaxWorkingSetSize`` for a Mac with ``total_ram``."""
    fraction = LARGE_MAC_FRACTION if total_ram >= LARGE_MAC_RAM else SMALL_MAC_FRACTION
    return int(total_ram * fraction)


def read_sysctl(name: str) -> str | None:
    """``sysctl -n name`` on macOS, or None if it cannot be read."""
    try:
        result = subprocess.run(
            ["sysctl", "-n", name],
            capture_output=True,
            text=True,
            timeout=SYSCTL_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = result.stdout.strip()
    return value if result.returncode == 0 and value else None


def apple_silicon_gpu(
    chip_name: str, total_ram: int, available_ram: int, engine: EngineBuild | None
) -> GpuDevice:
    """The integrated GPU of an Apple Silicon Mac, with its Metal budget."""
    working_set = metal_working_set(total_ram)
    if engine is not None:
        for device in engine.devices:
            if device.backend == "metal" and device.total_memory > 0:
                working_set = device.total_memory  # Metal's own figure beats the rule
                break
    name = chip_name if chip_name.lower().startswith("apple") else "Apple Silicon"
    return GpuDevice(
        name=f"{name} GPU",
        backend="metal",
        total_vram=working_set,
        free_vram=max(0, min(working_set, available_ram)),
        unified_memory=True,
    )
