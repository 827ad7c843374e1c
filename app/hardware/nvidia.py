"""NVIDIA graphics cards and their memory, through NVML, without a CUDA context.

``pynvml`` is used when it happens to be installed (it is not a dependency);
otherwise ``nvidia-smi``, which ships with the driver on Linux and Windows, is run
with a short timeout. Both read NVML, which does not reserve graphics memory the way
a CUDA context in this process would. Any failure (no driver, no tool, a hung
driver) gives an empty list and a note saying why.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess

from app.hardware.machine import GpuDevice
from app.hardware.units import MIB

NVIDIA_SMI_QUERY = (
    "--query-gpu=name,memory.total,memory.free",
    "--format=csv,noheader,nounits",
)
NVIDIA_SMI_TIMEOUT_S = 2.0


def parse_nvidia_smi(text: str) -> list[GpuDevice]:
    """Reads ``name, total MiB, free MiB`` lines; lines that do not parse are skipped."""
    gpus = []
    for line in text.splitlines():
        # The name itself may hold commas, so the numbers are taken from the right.
        name, sep, numbers = line.strip().rpartition(",")
        name, sep2, total_text = name.rpartition(",")
        if not (sep and sep2):
            continue
        try:
            total, free = int(float(total_text)), int(float(numbers))
        except ValueError:  # "[N/A]" or "[Not Supported]"
            continue
        gpus.append(
            GpuDevice(
                name=name.strip(),
                backend="cuda",
                total_vram=total * MIB,
                free_vram=free * MIB,
            )
        )
    return gpus


def nvidia_gpus_from_smi(
    executable: str = "nvidia-smi", timeout_s: float = NVIDIA_SMI_TIMEOUT_S
) -> tuple[list[GpuDevice], str | None]:
    """The GPUs ``nvidia-smi`` reports, and a note when it could not be asked."""
    path = shutil.which(executable)
    if path is None:
        return [], None  # no NVIDIA driver: nothing worth a note
    try:
        result = subprocess.run(
            [path, *NVIDIA_SMI_QUERY],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
            # A windowed app on Windows would flash a console window otherwise.
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except subprocess.TimeoutExpired:
        return [], f"nvidia-smi did not answer within {timeout_s:g} s"
    except OSError as error:
        return [], f"nvidia-smi could not be run: {error}"
    if result.returncode != 0:
        message = (result.stdout + result.stderr).strip().splitlines()
        detail = message[0] if message else f"exit status {result.returncode}"
        return [], f"nvidia-smi failed: {detail}"
    return parse_nvidia_smi(result.stdout), None


def nvidia_gpus_from_nvml() -> list[GpuDevice] | None:
    """The GPUs NVML reports through pynvml, or None when pynvml is absent or fails."""
    try:
        import pynvml  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:
        return None
    try:
        gpus = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            name = pynvml.nvmlDeviceGetName(handle)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            gpus.append(
                GpuDevice(
                    name=name.decode() if isinstance(name, bytes) else str(name),
                    backend="cuda",
                    total_vram=int(memory.total),
                    free_vram=int(memory.free),
                )
            )
        return gpus
    except Exception:
        return None
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()


def detect_nvidia_gpus() -> tuple[list[GpuDevice], str | None]:
    """NVIDIA GPUs through pynvml if present, else nvidia-smi; never raises."""
    gpus = nvidia_gpus_from_nvml()
    if gpus is not None:
        return gpus, None
    return nvidia_gpus_from_smi()
