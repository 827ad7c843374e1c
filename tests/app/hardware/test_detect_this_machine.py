"""detect_machine() and the engine probe on the machine the tests run on."""

from __future__ import annotations

import platform

from app.hardware import describe_machine, detect_machine, load_machine, save_machine
from app.hardware.cpu import parse_cpuinfo
from app.hardware.engine_probe import engine_devices, probe_engine
from app.hardware.system_info import parse_system_info


def test_this_machine_has_sane_numbers():
    machine = detect_machine()
    assert machine.total_ram > 0
    assert 0 < machine.available_ram <= machine.total_ram
    assert machine.cpu_cores >= 1 and machine.cpu_threads >= machine.cpu_cores
    assert machine.cpu_name
    expected_os = {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}
    assert machine.os == expected_os.get(platform.system(), platform.system().lower())
    assert machine.arch == platform.machine()
    for gpu in machine.gpus:
        assert 0 <= gpu.free_vram <= gpu.total_vram


def test_the_installed_engine_has_a_cpu_backend():
    machine = detect_machine()
    assert machine.engine is not None, machine.notes
    assert machine.engine.version == "0.3.36"
    assert "cpu" in machine.engine.backends
    assert machine.engine.backends[-1] == "cpu"
    listed = parse_system_info(machine.engine.system_info).backends
    assert set(listed) <= set(machine.engine.backends)
    assert any(d.kind == "cpu" and d.backend == "cpu" for d in machine.engine.devices)


def test_engine_probe_is_cached_and_device_list_is_llama_cpps():
    assert probe_engine() is probe_engine()
    cpu_devices = [d for d in engine_devices() if d.backend == "cpu"]
    assert len(cpu_devices) == 1 and cpu_devices[0].name == "CPU"


def test_without_the_engine_nothing_is_loaded_and_gpus_still_come_from_the_os():
    machine = detect_machine(include_engine=False)
    assert machine.engine is None
    assert machine.total_ram > 0
    # Without engine information every GPU found counts as usable.
    assert machine.usable_gpus() == machine.gpus


def test_this_machine_round_trips_through_json(tmp_path):
    machine = detect_machine()
    save_machine(machine, tmp_path / "me.json")
    assert load_machine(tmp_path / "me.json") == machine


def test_this_machine_described():
    machine = detect_machine()
    text = describe_machine(machine)
    assert f"Processor:  {machine.cpu_name}" in text
    assert "Memory:" in text and "available" in text
    assert "Engine:     llama-cpp-python 0.3.36" in text
    assert "Models run on:" in text


def test_cpuinfo_parsing():
    x86 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD Ryzen 9 7950X\n"
    arm = "processor\t: 0\nBogoMIPS\t: 108.00\n\nHardware\t: BCM2835\nModel\t: Raspberry Pi 5\n"
    assert parse_cpuinfo(x86) == "AMD Ryzen 9 7950X"
    assert parse_cpuinfo(arm) == "BCM2835"
    assert parse_cpuinfo("") is None
