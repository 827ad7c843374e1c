"""Apple Silicon: the approximation of Metal's working set, and the GPU built from it."""

from __future__ import annotations

import pytest

from app.hardware.apple import apple_silicon_gpu, metal_working_set
from app.hardware.machine import EngineBuild, EngineDevice
from app.hardware.units import GIB


@pytest.mark.parametrize(
    ("ram_gb", "working_set_gb"),
    [(8, 8 * 2 / 3), (16, 16 * 2 / 3), (32, 32 * 2 / 3), (36, 27), (64, 48), (128, 96)],
)
def test_working_set_is_two_thirds_below_36_gb_and_three_quarters_above(ram_gb, working_set_gb):
    assert metal_working_set(ram_gb * GIB) == pytest.approx(working_set_gb * GIB, abs=1)


def test_gpu_budget_is_capped_by_the_ram_available_now():
    gpu = apple_silicon_gpu("Apple M3 Pro", 36 * GIB, 20 * GIB, None)
    assert gpu.name == "Apple M3 Pro GPU"
    assert gpu.backend == "metal" and gpu.unified_memory
    assert gpu.total_vram == 27 * GIB
    assert gpu.free_vram == 20 * GIB


def test_metals_own_working_set_beats_the_rule():
    metal = EngineDevice("Metal", "Apple M1", "metal", "gpu", total_memory=11 * GIB)
    engine = EngineBuild("0.3.36", "", ("metal", "cpu"), (), True, (metal,))
    gpu = apple_silicon_gpu("Apple M1", 16 * GIB, 12 * GIB, engine)
    assert gpu.total_vram == 11 * GIB
    assert gpu.free_vram == 11 * GIB


def test_an_odd_chip_name_still_gives_a_sensible_gpu_name():
    assert apple_silicon_gpu("", 16 * GIB, 8 * GIB, None).name == "Apple Silicon GPU"
