"""A machine in a few lines of plain text, for ``hearth system`` and bug reports."""

from __future__ import annotations

from app.hardware.machine import GpuDevice, MachineInfo
from app.hardware.units import format_gb

_OS_LABELS = {"linux": "Linux", "macos": "macOS", "windows": "Windows"}
_BACKEND_LABELS = {
    "cuda": "CUDA",
    "metal": "Metal",
    "vulkan": "Vulkan",
    "rocm": "ROCm",
    "sycl": "SYCL",
    "opencl": "OpenCL",
    "cpu": "CPU",
    "blas": "BLAS",
    "rpc": "RPC",
}


def backend_label(backend: str) -> str:
    return _BACKEND_LABELS.get(backend, backend.upper())


def describe_machine(info: MachineInfo) -> str:
    """Multi-line text: computer, processor, memory, graphics, engine, where models run."""
    os_label = _OS_LABELS.get(info.os, info.os)
    lines = [
        f"Computer:   {' '.join(filter(None, (os_label, info.os_version)))} ({info.arch})",
        f"Processor:  {info.cpu_name}, {info.cpu_cores} cores, {info.cpu_threads} threads",
        f"Memory:     {format_gb(info.total_ram)}, {format_gb(info.available_ram)} available",
    ]
    usable = info.usable_gpus()
    if not info.gpus:
        lines.append("Graphics:   none found")
    for gpu in info.gpus:
        lines.append(f"Graphics:   {_describe_gpu(gpu, gpu in usable)}")
    lines.append(f"Engine:     {_describe_engine(info)}")
    if info.engine is not None and info.engine.cpu_features:
        lines.append(f"CPU features: {', '.join(info.engine.cpu_features)}")
    best = info.best_gpu()
    if best is not None:
        where = f"{best.name} ({backend_label(best.backend)})"
    else:
        where = "the processor (CPU only: slower, and limited by RAM)"
    lines.append(f"Models run on: {where}")
    lines.extend(f"Note: {note}" for note in info.notes)
    return "\n".join(lines)


def _describe_gpu(gpu: GpuDevice, usable: bool) -> str:
    backend = backend_label(gpu.backend)
    if gpu.unified_memory:
        text = (
            f"{gpu.name} ({backend}, unified memory): up to {format_gb(gpu.total_vram)}"
            f" for models, {format_gb(gpu.free_vram)} usable now"
        )
    else:
        text = (
            f"{gpu.name} ({backend}): {format_gb(gpu.total_vram)}, {format_gb(gpu.free_vram)} free"
        )
    if not usable:
        text += f"; not used: this engine build has no {backend} support"
    return text


def _describe_engine(info: MachineInfo) -> str:
    engine = info.engine
    if engine is None:
        return "llama-cpp-python is not installed (or its library does not load)"
    backends = " + ".join(backend_label(b) for b in engine.backends)
    offload = "yes" if engine.supports_gpu_offload else "no"
    return f"llama-cpp-python {engine.version}, backends {backends}, GPU offload {offload}"
