"""MachineInfo: JSON round trips, malformed records, and which GPU the engine can use."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from app.hardware.machine import (
    EngineBuild,
    GpuDevice,
    MachineInfo,
    load_machine,
    save_machine,
)

MACHINE_FILES = sorted((Path(__file__).parent / "machines").glob("*.json"))


@pytest.mark.parametrize("path", MACHINE_FILES, ids=lambda p: p.stem)
def test_recorded_machines_round_trip_through_json(path, tmp_path):
    machine = load_machine(path)
    copy = tmp_path / "copy.json"
    save_machine(machine, copy)

    assert load_machine(copy) == machine
    assert json.loads(copy.read_text()) == json.loads(path.read_text())
    assert MachineInfo.from_dict(machine.to_dict()) == machine


def test_there_are_four_recorded_machines():
    assert {p.stem for p in MACHINE_FILES} == {
        "linux_rtx4090_24gb_ram64gb",
        "mac_m2max_64gb",
        "laptop_cpu_only_16gb",
        "gaming_rtx3070_8gb_ram32gb",
    }


def test_malformed_records_are_refused_with_a_value_error(machines):
    good = machines["mac_m2max_64gb"].to_dict()
    missing_ram = {k: v for k, v in good.items() if k != "total_ram"}
    with pytest.raises(ValueError, match="total_ram"):
        MachineInfo.from_dict(missing_ram)
    bad_gpu = dict(good, gpus=[{"name": "x", "vram": 1}])
    with pytest.raises(ValueError, match="not a recorded machine"):
        MachineInfo.from_dict(bad_gpu)
    with pytest.raises(ValueError):
        MachineInfo.from_dict({"os": "linux"})


def test_best_gpu_is_the_usable_one_with_most_free_memory(machines):
    base = machines["linux_rtx4090_24gb_ram64gb"]
    small = GpuDevice("NVIDIA GeForce RTX 3060", "cuda", 12 * 1024**3, 11 * 1024**3)
    big = base.gpus[0]
    two = replace(base, gpus=(small, big))
    assert two.best_gpu() == big
    assert two.usable_gpus() == (small, big)


def test_gpus_of_a_backend_the_build_lacks_are_not_usable(machines):
    gaming = machines["gaming_rtx3070_8gb_ram32gb"]
    vulkan_gpu = GpuDevice("NVIDIA GeForce RTX 3070", "vulkan", 8 * 1024**3, 7 * 1024**3)
    vulkan_build = EngineBuild("0.3.36", "", ("vulkan", "cpu"), (), True)
    machine = replace(gaming, gpus=(*gaming.gpus, vulkan_gpu), engine=vulkan_build)
    assert machine.usable_gpus() == (vulkan_gpu,)
    assert machine.best_gpu() == vulkan_gpu


def test_a_build_without_gpu_offload_uses_no_gpu(machines):
    gaming = machines["gaming_rtx3070_8gb_ram32gb"]
    no_offload = replace(gaming.engine, supports_gpu_offload=False)
    assert replace(gaming, engine=no_offload).best_gpu() is None


def test_without_engine_information_every_gpu_counts(machines):
    gaming = machines["gaming_rtx3070_8gb_ram32gb"]
    assert replace(gaming, engine=None).best_gpu() == gaming.gpus[0]
    assert machines["laptop_cpu_only_16gb"].best_gpu() is None
