"""Puts Hearth on a recorded machine: its parts and its memory as recorded, now and at
every load (the real memory reading would replace the recorded figures)."""

from __future__ import annotations

from typing import Any

from app.hardware import MachineInfo
from app.hearth import Hearth


def use_recorded_machine(hearth: Hearth, machine: MachineInfo) -> None:
    def as_recorded(_probed: MachineInfo, **_freed: Any) -> MachineInfo:
        return machine

    hearth._machine = machine
    hearth.read_memory = as_recorded
