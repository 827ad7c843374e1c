"""Selects the ``gpu`` tests by deselecting them (never skipping) where they prove nothing.

Plain ``pytest`` runs them only where the installed llama-cpp-python was built with
CUDA and sees an NVIDIA GPU; elsewhere (CI, CPU-only machines) they are deselected and
the summary says so. ``pytest -m gpu`` asks for them explicitly: they run whatever the
build, and fail, saying why, on a machine without CUDA. Any other ``-m`` expression is
left to pytest's own marker selection.
"""

from __future__ import annotations

import pytest


def cuda_build_present() -> bool:
    """The engine was built with CUDA and llama.cpp lists a CUDA device."""
    from app.hardware.engine_probe import probe_engine

    engine = probe_engine()
    if engine is None or not engine.supports_gpu_offload or not engine.has_backend("cuda"):
        return False
    return any(device.backend == "cuda" for device in engine.devices)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items or config.getoption("markexpr") or cuda_build_present():
        return
    config.hook.pytest_deselected(items=gpu_items)
    items[:] = [item for item in items if not item.get_closest_marker("gpu")]
