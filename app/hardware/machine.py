"""What Hearth knows about the computer: processor, memory, graphics and the engine build.

Plain data, no probing (that is :mod:`app.hardware.detect`), so a machine can be
written to JSON, read back, and replayed in tests and bug reports.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Backends the engine names in its system information, as Hearth spells them.
GPU_BACKENDS = ("cuda", "metal", "vulkan", "rocm", "sycl", "opencl", "cann", "musa")


@dataclass(frozen=True)
class GpuDevice:
    """One graphics processor and the memory the engine may use on it.

    For Apple Silicon (``unified_memory``) ``total_vram`` is Metal's recommended
    working set, a share of the RAM, and ``free_vram`` is that share capped by the
    RAM that is available right now.
    """

    name: str
    backend: str  # 'cuda' | 'metal' | 'vulkan' | 'rocm' | ...
    total_vram: int
    free_vram: int
    unified_memory: bool = False


@dataclass(frozen=True)
class EngineDevice:
    """A device as llama.cpp's backend registry lists it (``CUDA0``, ``Metal``, ``CPU``)."""

    name: str
    description: str
    backend: str  # the registry's name, lower case: 'cuda', 'metal', 'cpu', 'blas', ...
    kind: str  # 'cpu' | 'gpu' | 'igpu' | 'accel' | 'meta' | 'unknown'
    total_memory: int = 0  # 0 where Hearth did not ask (see app.hardware.engine_probe)
    free_memory: int = 0


@dataclass(frozen=True)
class EngineBuild:
    """What the installed llama-cpp-python was compiled with."""

    version: str
    system_info: str
    backends: tuple[str, ...]  # lower case, e.g. ('cuda', 'cpu')
    cpu_features: tuple[str, ...]  # e.g. ('AVX2', 'FMA', 'F16C')
    supports_gpu_offload: bool
    devices: tuple[EngineDevice, ...] = ()

    def has_backend(self, backend: str) -> bool:
        return backend in self.backends


@dataclass(frozen=True)
class MachineInfo:
    """A snapshot of this computer, as far as running a model is concerned."""

    os: str  # 'linux' | 'macos' | 'windows' | other platform.system() in lower case
    os_version: str
    arch: str  # 'x86_64', 'arm64', 'AMD64', ...
    cpu_name: str
    cpu_cores: int  # physical cores
    cpu_threads: int  # logical processors
    total_ram: int
    available_ram: int  # psutil's "available": free plus reclaimable caches
    gpus: tuple[GpuDevice, ...] = ()
    engine: EngineBuild | None = None  # None: llama-cpp-python is not installed or broken
    notes: tuple[str, ...] = field(default=())  # what could not be probed, and why

    def usable_gpus(self) -> tuple[GpuDevice, ...]:
        """The GPUs the installed engine can offload to.

        With no engine information (not installed yet) every GPU counts: set-up builds
        the engine for the machine's own graphics backend.
        """
        if self.engine is None:
            return self.gpus
        if not self.engine.supports_gpu_offload:
            return ()
        return tuple(gpu for gpu in self.gpus if self.engine.has_backend(gpu.backend))

    def best_gpu(self) -> GpuDevice | None:
        """The usable GPU with the most free memory, or None for CPU only.

        One device only: llama.cpp can split layers over several GPUs, but planning for
        the largest one alone is the conservative choice.
        """
        usable = self.usable_gpus()
        return max(usable, key=lambda gpu: gpu.free_vram) if usable else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MachineInfo:
        """Rebuilds a machine from :meth:`to_dict`'s output; ValueError if it is malformed."""
        try:
            engine_data = data.get("engine")
            engine = None
            if engine_data is not None:
                engine = EngineBuild(
                    version=str(engine_data["version"]),
                    system_info=str(engine_data["system_info"]),
                    backends=tuple(engine_data["backends"]),
                    cpu_features=tuple(engine_data.get("cpu_features", ())),
                    supports_gpu_offload=bool(engine_data["supports_gpu_offload"]),
                    devices=tuple(EngineDevice(**d) for d in engine_data.get("devices", ())),
                )
            return cls(
                os=str(data["os"]),
                os_version=str(data.get("os_version", "")),
                arch=str(data.get("arch", "")),
                cpu_name=str(data["cpu_name"]),
                cpu_cores=int(data["cpu_cores"]),
                cpu_threads=int(data.get("cpu_threads", data["cpu_cores"])),
                total_ram=int(data["total_ram"]),
                available_ram=int(data["available_ram"]),
                gpus=tuple(GpuDevice(**gpu) for gpu in data.get("gpus", ())),
                engine=engine,
                notes=tuple(data.get("notes", ())),
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a recorded machine description: {error!r}") from error


def save_machine(info: MachineInfo, path: Path | str) -> None:
    """Writes ``info`` as indented JSON, for bug reports and test fixtures."""
    Path(path).write_text(json.dumps(info.to_dict(), indent=2) + "\n", encoding="utf-8")


def load_machine(path: Path | str) -> MachineInfo:
    """Reads a machine written by :func:`save_machine`."""
    return MachineInfo.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
