"""The computer Hearth runs on: RAM, graphics memory, and what the engine build supports.

``detect_machine()`` probes this machine (never raises, a few tenths of a second);
``describe_machine()`` words it for ``hearth system``; ``load_machine`` /
``save_machine`` record it as JSON. The load plan (GPU layers, flash attention) is
in :mod:`app.hardware.offload`, imported from there directly: it builds on
:mod:`app.library.fit`, which itself uses this package's machine description.
"""

from app.hardware.describe import describe_machine
from app.hardware.detect import detect_machine
from app.hardware.machine import (
    EngineBuild,
    EngineDevice,
    GpuDevice,
    MachineInfo,
    load_machine,
    save_machine,
)

__all__ = [
    "EngineBuild",
    "EngineDevice",
    "GpuDevice",
    "MachineInfo",
    "describe_machine",
    "detect_machine",
    "load_machine",
    "save_machine",
]
