"""Recorded machines and model shapes for the hardware tests.

The machines under ``machines/`` are written in the format ``save_machine`` records,
with the numbers those computers report (psutil RAM, nvidia-smi MiB, Metal's
recommendedMaxWorkingSetSize); ``model_shapes.json`` holds real models' header numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.hardware.machine import MachineInfo, load_machine
from app.library.fit import ModelShape

HERE = Path(__file__).parent
MACHINE_FILES = sorted((HERE / "machines").glob("*.json"))


@pytest.fixture(scope="session")
def machines() -> dict[str, MachineInfo]:
    return {path.stem: load_machine(path) for path in MACHINE_FILES}


@pytest.fixture(scope="session")
def shapes() -> dict[str, ModelShape]:
    data = json.loads((HERE / "model_shapes.json").read_text(encoding="utf-8"))
    return {
        key: ModelShape(**numbers)
        for key, numbers in data.items()
        if not key.startswith("_") and "n_layers" in numbers
    }
