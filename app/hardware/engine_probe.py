"""Asks the installed llama-cpp-python what it was built with and which devices it sees.

Three sources, all cheap: ``llama_print_system_info()`` (backends and CPU features,
see :mod:`app.hardware.system_info`), ``llama_supports_gpu_offload()``, and
llama.cpp's backend device registry (``ggml_backend_dev_*``), which llama-cpp-python
does not wrap, so it is called through ctypes on the ``libggml`` that
``llama_cpp._ggml`` has already loaded.

Device memory is asked only of Metal and Vulkan devices. On CUDA (and ROCm) it would
run ``cudaMemGetInfo``, which creates a GPU context in *this* process and keeps a few
hundred MB of graphics memory busy for as long as Hearth's window is open; there the
numbers come from NVML / ``nvidia-smi`` instead (:mod:`app.hardware.nvidia`), and
:func:`engine_device_memory` is the explicit, last-resort way to ask.

Importing llama_cpp loads the native library (about 0.2 s on a CPU build), once per
process: the build cannot change while Hearth runs, so the answer is cached.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any

from app.hardware.machine import EngineBuild, EngineDevice
from app.hardware.system_info import backend_name, parse_system_info

# enum ggml_backend_dev_type in the llama.cpp that llama-cpp-python 0.3.36 vendors.
_DEVICE_KINDS = {0: "cpu", 1: "gpu", 2: "igpu", 3: "accel", 4: "meta"}
# Backends whose memory query has no lasting cost in this process.
CHEAP_MEMORY_BACKENDS = frozenset({"metal", "vulkan"})


@functools.lru_cache(maxsize=1)
def probe_engine() -> EngineBuild | None:
    """The engine build, or None when llama-cpp-python cannot be imported."""
    try:
        import llama_cpp
    except Exception:  # not installed, or its native library fails to load
        return None
    try:
        raw = llama_cpp.llama_print_system_info()
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        offload = bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:
        text, offload = "", False
    info = parse_system_info(text)
    devices = engine_devices(CHEAP_MEMORY_BACKENDS)
    backends = list(info.backends)
    for device in devices:  # a backend without features is missing from the text
        if device.backend not in backends:
            backends.insert(len(backends) - 1, device.backend)  # keep 'cpu' last
    return EngineBuild(
        version=str(getattr(llama_cpp, "__version__", "unknown")),
        system_info=text.strip(),
        backends=tuple(backends),
        cpu_features=info.cpu_features,
        supports_gpu_offload=offload,
        devices=devices,
    )


def engine_devices(with_memory_for: frozenset[str] = frozenset()) -> tuple[EngineDevice, ...]:
    """llama.cpp's device list; memory filled in for the backends named. Never raises."""
    lib = _ggml_library()
    if lib is None:
        return ()
    try:
        devices = []
        for index in range(lib.ggml_backend_dev_count()):
            device = lib.ggml_backend_dev_get(index)
            backend = backend_name(
                _text(lib.ggml_backend_reg_name(lib.ggml_backend_dev_backend_reg(device)))
            )
            free = total = 0
            if backend in with_memory_for:
                free_c, total_c = ctypes.c_size_t(0), ctypes.c_size_t(0)
                lib.ggml_backend_dev_memory(device, ctypes.byref(free_c), ctypes.byref(total_c))
                free, total = free_c.value, total_c.value
            devices.append(
                EngineDevice(
                    name=_text(lib.ggml_backend_dev_name(device)),
                    description=_text(lib.ggml_backend_dev_description(device)),
                    backend=backend,
                    kind=_DEVICE_KINDS.get(lib.ggml_backend_dev_type(device), "unknown"),
                    total_memory=total,
                    free_memory=free,
                )
            )
        return tuple(devices)
    except Exception:  # a build without these symbols, or an older enum
        return ()


def engine_device_memory(backend: str) -> tuple[EngineDevice, ...]:
    """The devices of ``backend`` with their memory, even where asking costs a GPU context."""
    return tuple(d for d in engine_devices(frozenset({backend})) if d.backend == backend)


@functools.lru_cache(maxsize=1)
def _ggml_library() -> Any:
    try:
        from llama_cpp import _ggml
    except Exception:
        return None
    lib = _ggml.libggml
    try:
        pointer, text = ctypes.c_void_p, ctypes.c_char_p
        _declare(lib.ggml_backend_dev_count, [], ctypes.c_size_t)
        _declare(lib.ggml_backend_dev_get, [ctypes.c_size_t], pointer)
        _declare(lib.ggml_backend_dev_name, [pointer], text)
        _declare(lib.ggml_backend_dev_description, [pointer], text)
        _declare(lib.ggml_backend_dev_type, [pointer], ctypes.c_int)
        _declare(lib.ggml_backend_dev_backend_reg, [pointer], pointer)
        _declare(lib.ggml_backend_reg_name, [pointer], text)
        size_p = ctypes.POINTER(ctypes.c_size_t)
        _declare(lib.ggml_backend_dev_memory, [pointer, size_p, size_p], None)
    except AttributeError:  # an engine build without the device registry
        return None
    return lib


def _declare(function: Any, argtypes: list[Any], restype: Any) -> None:
    function.argtypes = argtypes
    function.restype = restype


def _text(value: bytes | None) -> str:
    return value.decode("utf-8", "replace") if value else ""
