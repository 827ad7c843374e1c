"""Reads llama.cpp's system information line: which backends and CPU features it has.

``llama_print_system_info()`` returns one line. Current builds list each backend
registry with its features::

    CUDA : ARCHS = 890 | USE_GRAPHS = 1 | CPU : SSE3 = 1 | AVX2 = 1 | FMA = 1 |

Builds from before the backend registry (2024) gave one flat list in which a GPU
backend was a flag::

    AVX = 1 | AVX2 = 1 | ... | CUDA = 1 | METAL = 0 | BLAS = 1 |

Both are read. A backend that reports no features is missing from the line, so the
engine probe also asks llama.cpp's device list (see :mod:`app.hardware.engine_probe`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SECTION = re.compile(r"^([A-Za-z][\w-]*) :(.*)$")
# Registry names (and old-style flags) as Hearth spells backends.
_BACKEND_NAMES = {
    "cpu": "cpu",
    "cuda": "cuda",
    "rocm": "rocm",
    "hip": "rocm",
    "hipblas": "rocm",
    "metal": "metal",
    "vulkan": "vulkan",
    "sycl": "sycl",
    "opencl": "opencl",
    "cann": "cann",
    "musa": "musa",
    "kompute": "kompute",
    "blas": "blas",
    "rpc": "rpc",
}
# Flags of the old flat format that name a backend rather than a CPU feature.
_OLD_BACKEND_FLAGS = {"CUDA", "METAL", "VULKAN", "SYCL", "KOMPUTE", "CANN", "HIPBLAS", "MUSA"}
# Build options that the CPU section lists beside the instruction sets.
_CPU_BUILD_OPTIONS = {
    "LLAMAFILE",
    "OPENMP",
    "REPACK",
    "AARCH64_REPACK",
    "ACCELERATE",
    "KLEIDIAI",
    "BLAS",
}


@dataclass(frozen=True)
class SystemInfo:
    """The backends (lower case, in the order listed, CPU always present) and CPU features."""

    backends: tuple[str, ...]
    cpu_features: tuple[str, ...]
    features: dict[str, dict[str, str]]  # backend -> feature -> value, as written


def backend_name(registry_name: str) -> str:
    """``'CUDA'`` -> ``'cuda'``, ``'ROCm'`` -> ``'rocm'``; unknown names in lower case."""
    key = registry_name.strip().lower()
    return _BACKEND_NAMES.get(key, key)


def parse_system_info(text: str) -> SystemInfo:
    """Parses either format; never raises (an unreadable line gives CPU only)."""
    features: dict[str, dict[str, str]] = {}
    current: str | None = None
    flat: dict[str, str] = {}
    for piece in text.split("|"):
        piece = piece.strip()
        if not piece:
            continue
        # "CUDA : ARCHS = 890" opens a backend's section; a backend with no features
        # leaves only its name, run into the next one: "Vulkan : BLAS : ACCELERATE = 1".
        while match := _SECTION.match(piece):
            current = backend_name(match.group(1))
            features.setdefault(current, {})
            piece = match.group(2).strip()
        if not piece:
            continue
        name, sep, value = piece.partition("=")
        if not sep:
            continue
        name, value = name.strip(), value.strip()
        if current is None:
            flat[name] = value
        else:
            features[current][name] = value
    if not features and flat:
        features = _from_flat(flat)
    backends = [b for b in features if b != "cpu"]
    backends.append("cpu")
    cpu = features.get("cpu", {})
    cpu_features = tuple(
        name for name, value in cpu.items() if value == "1" and name not in _CPU_BUILD_OPTIONS
    )
    return SystemInfo(tuple(backends), cpu_features, features)


def _from_flat(flat: dict[str, str]) -> dict[str, dict[str, str]]:
    """The pre-registry line: GPU backends are flags set to 1, the rest describes the CPU."""
    features: dict[str, dict[str, str]] = {}
    cpu: dict[str, str] = {}
    for name, value in flat.items():
        if name in _OLD_BACKEND_FLAGS:
            if value == "1":
                features[backend_name(name)] = {}
        else:
            cpu[name] = value
    features["cpu"] = cpu
    return features
